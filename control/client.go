package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrUnreachable wraps the failure to reach a running vigil: no socket,
// nobody listening, or no permission.
var ErrUnreachable = errors.New("no vigil reachable")

// Do sends req to the vigil listening at path and returns its answer.
func Do(path string, req Request) (Response, error) {
	req.Version = Version
	conn, err := dialUnix(path)
	if err != nil {
		return Response{}, fmt.Errorf("%w at %s: %w", ErrUnreachable, path, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(ReadTimeout + answerTimeout + waitTime(req)))
	b, err := json.Marshal(req)
	if err != nil {
		return Response{}, fmt.Errorf("encode request: %w", err)
	}
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return Response{}, fmt.Errorf("send request to %s: %w", path, err)
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		return Response{}, fmt.Errorf("read response from %s: %w", path, err)
	}
	var resp Response
	if err := json.Unmarshal(line, &resp); err != nil {
		return Response{}, fmt.Errorf("decode response from %s: %w", path, err)
	}
	return resp, nil
}
