package control

import (
	"bufio"
	"errors"
	"fmt"
	"time"
)

// ErrUnreachable wraps the failure to reach a running vigil: no socket,
// nobody listening, or no permission.
var ErrUnreachable = errors.New("no vigil reachable")

// Do sends req to the vigil whose run dir is runDir and returns its
// answer. It tries the socket file, then the abstract name vigil falls
// back to when the run dir cannot hold one.
func Do(runDir string, req Request) (Response, error) {
	req.Version = Version
	path := SocketPath(runDir)
	conn, err := dialUnix(path)
	if err != nil {
		abstract := abstractAddress(runDir)
		var aerr error
		if conn, aerr = dialUnix(abstract); aerr != nil {
			return Response{}, fmt.Errorf("%w at %s (%w) or %s (%w)", ErrUnreachable, path, err, abstract, aerr)
		}
		path = abstract
	}
	defer conn.Close()
	if d, limited := waitTime(req); limited {
		conn.SetDeadline(time.Now().Add(ReadTimeout + answerTimeout + d))
	}
	b := appendRequest(nil, req)
	// A server that refuses the caller answers before it reads: the write
	// may then fail (EPIPE) with the answer waiting to be read.
	_, werr := conn.Write(append(b, '\n'))
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	switch {
	case err != nil && werr != nil:
		return Response{}, fmt.Errorf("send request to %s: %w", path, werr)
	case err != nil:
		return Response{}, fmt.Errorf("read response from %s: %w", path, err)
	}
	resp, err := decodeResponseJSON(line)
	if err != nil {
		return Response{}, fmt.Errorf("decode response from %s: %w", path, err)
	}
	return resp, nil
}
