package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestServer runs a server whose "loop" answers every call, and checks the
// round trip, the socket's mode, bad requests, and that it serves on after
// them.
func TestServer(t *testing.T) {
	runDir := t.TempDir()
	path := SocketPath(runDir)
	srv, _, err := Listen(runDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(time.Second)
	go func() {
		for c := range srv.Calls() {
			resp := Ok()
			resp.Services = []Service{{Name: c.Request.Command}}
			c.Reply(resp)
		}
	}()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	for _, bad := range []string{"\x00\x01garbage\n", `{"v":9,"cmd":"status"}` + "\n", `{"v":1,"cmd":"status","x":1}` + "\n"} {
		resp := rawCall(t, path, []byte(bad))
		if resp.OK || resp.Error == "" {
			t.Errorf("request %q: response %+v; want an error", bad, resp)
		}
	}
	resp := rawCall(t, path, make([]byte, 1<<20)) // 1 MB of zeros, no newline
	if resp.OK {
		t.Errorf("1 MB request: response %+v; want an error", resp)
	}
	got, err := Do(runDir, Request{Command: CmdCheck})
	if err != nil || !got.OK || len(got.Services) != 1 || got.Services[0].Name != CmdCheck {
		t.Errorf("Do(check) = %+v, %v; want the loop's answer", got, err)
	}
}

// rawCall writes b and reads one response; a closed connection gives the
// zero Response.
func rawCall(t *testing.T, path string, b []byte) Response {
	t.Helper()
	conn, err := dialUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	go conn.Write(b) // the server may stop reading before all is written
	line, _ := bufio.NewReader(conn).ReadBytes('\n')
	var r Response
	json.Unmarshal(line, &r)
	return r
}

func TestDoUnreachable(t *testing.T) {
	_, err := Do(filepath.Join(t.TempDir(), "none"), Request{Command: CmdStatus})
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("Do(no socket) error = %v; want ErrUnreachable", err)
	}
}

// TestListenAbstract: a run dir that cannot hold the socket file makes
// the server fall back to its abstract name, which Do finds unasked.
func TestListenAbstract(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(notADir, "run")
	srv, addr, err := Listen(runDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(time.Second)
	if !strings.HasPrefix(addr, "@vigil/") {
		t.Errorf("Listen(%s) address = %q; want an abstract one", runDir, addr)
	}
	go func() {
		for c := range srv.Calls() {
			c.Reply(Ok())
		}
	}()
	if got, err := Do(runDir, Request{Command: CmdCheck}); err != nil || !got.OK {
		t.Errorf("Do(%s) = %+v, %v; want the server's OK through %s", runDir, got, err, addr)
	}
}

// TestServerHalfClose: a client that shuts down its writing after the
// request (as nc and socat do) still gets the answer, for a call answered
// at once and for a wait without a limit answered later; a client that
// closes its connection during such a wait makes the call Gone.
func TestServerHalfClose(t *testing.T) {
	runDir := t.TempDir()
	srv, _, err := Listen(runDir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(time.Second)
	gone := make(chan bool, 1)
	go func() {
		for c := range srv.Calls() {
			if c.Request.Command != CmdWait {
				c.Reply(Ok())
				continue
			}
			go func() {
				time.Sleep(300 * time.Millisecond) // the state comes later
				if c.Request.Names[0] == "left" {
					gone <- c.Gone()
				}
				c.Reply(Ok())
			}()
		}
	}()
	call := func(req string, closeAll bool) (Response, error) {
		conn, err := dialUnix(SocketPath(runDir))
		if err != nil {
			return Response{}, err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write([]byte(req + "\n")); err != nil {
			return Response{}, err
		}
		if closeAll {
			return Response{}, nil
		}
		raw, _ := conn.SyscallConn()
		raw.Control(func(fd uintptr) { err = unix.Shutdown(int(fd), unix.SHUT_WR) })
		if err != nil {
			return Response{}, err
		}
		line, err := bufio.NewReader(conn).ReadBytes('\n')
		var r Response
		if err == nil {
			err = json.Unmarshal(line, &r)
		}
		return r, err
	}
	for _, req := range []string{
		`{"v":1,"cmd":"status"}`,
		`{"v":1,"cmd":"wait","until":"ready","names":["web"]}`,
	} {
		if r, err := call(req, false); err != nil || !r.OK {
			t.Errorf("request %s, then shutdown(SHUT_WR): %+v, %v; want the answer, ok", req, r, err)
		}
	}
	if _, err := call(`{"v":1,"cmd":"wait","until":"ready","names":["left"]}`, true); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-gone:
		if !g {
			t.Errorf("a wait whose client closed its connection: Gone() = false; want true")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait was never answered")
	}
}
