package control

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// ReadTimeout bounds how long a client may take to send its request.
const ReadTimeout = 5 * time.Second

// answerTimeout bounds the wait for the loop's answer to a command that
// does not wait for a state: the loop answers those at once, unless it has
// already exited.
const answerTimeout = 10 * time.Second

// Call is a request on its way to the loop, and the way back.
type Call struct {
	Request Request
	reply   chan Response // buffered: Reply never blocks the loop
	gone    chan struct{} // closed once the connection stopped waiting
}

// Reply answers the call. Only the first answer counts; it never blocks.
func (c *Call) Reply(r Response) {
	select {
	case c.reply <- r:
	default:
	}
}

// Gone reports whether the client stopped waiting (timeout or error): the
// loop can forget the call.
func (c *Call) Gone() bool {
	select {
	case <-c.gone:
		return true
	default:
		return false
	}
}

// Server accepts connections on the control socket and hands each decoded
// request to the loop through Calls.
type Server struct {
	ln       *listener
	calls    chan *Call
	log      *slog.Logger
	inFlight sync.WaitGroup // connections being served
	closed   atomic.Bool    // Close was called: Accept's error is the end
}

// Listen creates the control socket of the vigil whose run dir is runDir,
// and returns it with its address: the file SocketPath(runDir), or when
// that cannot be made (a read-only or foreign /run) the abstract name
// clients try next. The file is mode 0600 from the start (the umask is set
// around bind, so there is no moment when others could connect), and
// replaces a stale socket a previous vigil left. Call it before any child
// starts: the umask is the process's. Whatever the address, only root and
// vigil's own uid are served (SO_PEERCRED): an abstract name has no mode.
func Listen(runDir string, log *slog.Logger) (*Server, string, error) {
	path := SocketPath(runDir)
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	old := unix.Umask(0o177)
	ln, fileErr := listenUnix(path)
	unix.Umask(old)
	if fileErr != nil {
		abstract := abstractAddress(runDir)
		var err error
		if ln, err = listenUnix(abstract); err != nil {
			return nil, "", fmt.Errorf("listen %s: %w; listen %s: %w", path, fileErr, abstract, err)
		}
		path = abstract
	}
	s := &Server{ln: ln, calls: make(chan *Call), log: log}
	go s.accept()
	return s, path, nil
}

// Calls delivers the requests for the loop to answer.
func (s *Server) Calls() <-chan *Call { return s.calls }

func (s *Server) accept() {
	for {
		conn, err := s.ln.accept()
		if s.closed.Load() {
			if conn != nil {
				conn.Close()
			}
			return
		}
		if err != nil {
			// EMFILE and the like: wait a little rather than spin.
			s.log.Warn("control socket accept", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.inFlight.Add(1)
		go s.serve(conn)
	}
}

// serve reads one request, waits for the loop's answer and writes it. A
// bad request is answered here, without the loop.
func (s *Server) serve(conn *os.File) {
	defer s.inFlight.Done()
	defer conn.Close()
	if err := allowed(conn); err != nil {
		s.log.Warn("control connection refused", "err", err)
		writeResponse(conn, Fail(err))
		return
	}
	conn.SetReadDeadline(time.Now().Add(ReadTimeout))
	line, err := readRequest(conn)
	if err != nil {
		s.log.Debug("control request refused", "err", err)
		writeResponse(conn, Fail(err))
		return
	}
	req, err := DecodeRequest(line)
	if err != nil {
		writeResponse(conn, Fail(err))
		return
	}
	call := &Call{Request: req, reply: make(chan Response, 1), gone: make(chan struct{})}
	defer close(call.gone)
	// The loop takes the call at once, unless it is gone. A command that
	// waits for a state then waits exactly as long as it asked, or as long
	// as the client is there when it asked for no limit.
	take := time.NewTimer(answerTimeout)
	defer take.Stop()
	select {
	case s.calls <- call:
	case <-take.C:
		writeResponse(conn, Fail(errors.New("vigil is not answering (shutting down?)")))
		return
	}
	var limit <-chan time.Time
	var gone <-chan struct{} // a call without a limit ends when its client does
	if d, limited := waitTime(req); limited {
		t := time.NewTimer(d)
		defer t.Stop()
		limit = t.C
	} else {
		gone = hangup(conn)
	}
	select {
	case r := <-call.reply:
		writeResponse(conn, r)
	case <-limit:
		writeResponse(conn, Fail(timeoutError(req)))
	case <-gone:
	}
}

// hangup is closed once the client is gone. It sends nothing after its
// request, so a read that returns means it shut its end: gone when both
// directions are shut (POLLHUP), not when only its writing is, as nc and
// socat do after a request and then wait for the answer (hangup then
// never closes: the call lasts until it is answered).
func hangup(conn *os.File) <-chan struct{} {
	gone := make(chan struct{})
	go func() {
		conn.SetReadDeadline(time.Time{})
		if n, _ := conn.Read(make([]byte, 1)); n == 0 && !halfClosed(conn) {
			close(gone)
		}
	}()
	return gone
}

// halfClosed reports whether the peer of conn shut only its writing: the
// socket polls as readable (EOF) but not hung up.
func halfClosed(conn *os.File) bool {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	half := false
	raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 0); err == nil && n == 1 {
			half = fds[0].Revents&(unix.POLLHUP|unix.POLLERR) == 0
		}
	})
	return half
}

// allowed says why the peer of conn may not use the socket: only root and
// the uid vigil runs as may.
func allowed(conn *os.File) error {
	uid, err := peerUid(conn)
	switch {
	case err != nil:
		return fmt.Errorf("refused: cannot tell who is calling: %w", err)
	case uid != 0 && int64(uid) != int64(os.Geteuid()):
		return fmt.Errorf("refused: uid %d is neither root nor vigil's uid %d", uid, os.Geteuid())
	}
	return nil
}

// waitTime is how long the command itself may wait for a state, once the
// loop took it: limited is false when it may wait without end. A command
// that does not wait is answered at once: answerTimeout is its limit.
func waitTime(r Request) (d time.Duration, limited bool) {
	switch r.Command {
	case CmdStart, CmdStop, CmdRestart, CmdWait:
		return r.Timeout()
	}
	return answerTimeout, true
}

func timeoutError(r Request) error {
	what := map[string]string{CmdStart: "ready", CmdStop: "down", CmdRestart: "ready again", CmdWait: r.Until}[r.Command]
	d, _ := r.Timeout()
	return fmt.Errorf("timed out after %v waiting for %s to be %s", d, strings.Join(r.Names, ", "), what)
}

// readRequest reads one line of at most MaxRequest bytes. EOF ends a
// request as a newline does; EOF with nothing read is an error.
func readRequest(r io.Reader) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, MaxRequest+1), 4096)
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxRequest {
			return nil, fmt.Errorf("read request: longer than %d bytes", MaxRequest)
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(line, []byte("\n")), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, nil
		default:
			return nil, fmt.Errorf("read request: %w", err)
		}
	}
}

func writeResponse(conn *os.File, r Response) {
	conn.SetWriteDeadline(time.Now().Add(ReadTimeout))
	conn.Write(append(appendResponse(nil, r), '\n'))
}

// Close stops accepting connections and waits, at most linger, for the
// answers already given to be written: a `vigil halt` should hear its OK
// before the container ends. The socket file stays; the next vigil
// replaces it.
func (s *Server) Close(linger time.Duration) {
	s.closed.Store(true)
	s.ln.close()
	done := make(chan struct{})
	go func() {
		s.inFlight.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(linger):
	}
}
