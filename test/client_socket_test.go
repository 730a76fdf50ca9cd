package test

// Black-box tests of client mode's failures and of the control socket
// itself: error exit codes, the socket's mode, and garbage on the socket.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestClientErrors: an unknown service (1, named), usage errors (2), no
// vigil (3, naming the socket).
func TestClientErrors(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{"run": sleeper("web")})
	v := tr.start(nil)
	tr.waitReady("web")

	t.Run("UnknownService", func(t *testing.T) {
		for _, args := range [][]string{
			{"status", "nosuch"},
			{"status", "--json", "web", "nosuch"},
			{"start", "nosuch"},
			{"stop", "nosuch"},
			{"restart", "nosuch"},
			{"signal", "HUP", "nosuch"},
			{"wait", "--up", "nosuch"},
			{"wait", "--down", "--timeout", "1s", "nosuch"},
		} {
			r := tr.client(args...)
			if r.code != 1 || !strings.Contains(r.stderr, "nosuch") {
				t.Errorf("%v\nwant exit 1 and a message naming nosuch", r)
			}
		}
	})

	t.Run("Usage", func(t *testing.T) {
		for _, args := range [][]string{
			{},
			{"bogus"},
			{"status", "--bogus"},
			{"start"},
			{"stop"},
			{"restart"},
			{"start", "--timeout", "soon", "web"},
			{"stop", "--bogus", "web"},
			{"signal"},
			{"signal", "TERM"},
			{"wait", "web"},
			{"wait", "--up", "--down", "web"},
			{"wait", "--ready"},
			{"wait", "--up", "--timeout", "x", "web"},
			{"halt", "abc"},
			{"halt", "256"},
			{"halt", "-1"},
			{"halt", "1", "2"},
			{"check", "web"},
			{"reload", "web"},
			{"with-contenv"},
			{"setuser"},
			{"setuser", "nobody"},
			{"log"},
			{"log", "-s", "big", t.TempDir()},
			{"log", "-n", "-1", t.TempDir()},
			{"log", "a", "b"},
		} {
			r := tr.client(args...)
			if r.code != 2 || r.stderr == "" {
				t.Errorf("%v\nwant exit 2 (usage) and a message", r)
			}
		}
		if v.exited() {
			t.Fatal("vigil exited during the usage errors")
		}
		tr.clientWant(0, "status", "web")
	})

	t.Run("NoVigil", func(t *testing.T) {
		run := filepath.Join(t.TempDir(), "run")
		if err := os.Mkdir(run, 0o755); err != nil {
			t.Fatal(err)
		}
		// A socket file nobody listens on any more, as a vigil that died leaves.
		stale := filepath.Join(t.TempDir(), "run")
		if err := os.Mkdir(stale, 0o755); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("unix", filepath.Join(stale, "control.sock"))
		if err != nil {
			t.Fatal(err)
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		ln.Close()
		for _, dir := range []string{run, stale, filepath.Join(run, "missing")} {
			sock := filepath.Join(dir, "control.sock")
			for _, args := range [][]string{
				{"status"}, {"status", "--json"}, {"start", "web"}, {"stop", "web"}, {"restart", "web"},
				{"signal", "HUP", "web"}, {"wait", "--up", "web"}, {"halt"}, {"halt", "3"}, {"check"}, {"reload"},
			} {
				r := runClient(t, clientEnv("VIGIL_RUN_DIR="+dir), nil, args...)
				if r.code != 3 || !strings.Contains(r.stderr, sock) {
					t.Errorf("%v\nwant exit 3 and a message naming %s", r, sock)
				}
			}
		}
	})
	v.termNoCmd()
}

// TestClientSocketMode: the control socket is a socket of mode 0600, owned
// by vigil's uid.
func TestClientSocketMode(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	v := tr.start(nil)
	tr.waitControl()
	path := filepath.Join(tr.run, "control.sock")
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v; want a socket of mode 0600 (Srw-------)", path, fi.Mode())
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Geteuid() {
		t.Errorf("%s: owner uid %d; want %d (vigil's)", path, uid, os.Geteuid())
	}
	v.termNoCmd()
}

// TestClientRobustness: garbage on the control socket gets an error reply
// or a closed connection; vigil then still answers, serves and reaps.
func TestClientRobustness(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{"run": sleeper("web")})
	v := tr.start(nil)
	tr.waitReady("web")
	sock := filepath.Join(tr.run, "control.sock")
	fdsBefore := fdCount(t, v.vigilPid())

	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	big := []byte(strings.Repeat("x", 1<<20))
	tests := []struct {
		name    string
		req     []byte
		wantErr string // in the error reply, if one comes
	}{
		{"RandomBytes", append(random, '\n'), ""},
		{"OneMegabyteNoNewline", big, "longer"},
		{"OneMegabyteJSON", []byte(`{"v":1,"cmd":"status","names":["` + string(big) + `"]}` + "\n"), "longer"},
		{"UnknownField", []byte(`{"v":1,"cmd":"status","bogus":true}` + "\n"), "bogus"},
		{"WrongVersion", []byte(`{"v":2,"cmd":"status"}` + "\n"), "version"},
		{"NoVersion", []byte(`{"cmd":"status"}` + "\n"), "version"},
		{"UnknownCommand", []byte(`{"v":1,"cmd":"explode"}` + "\n"), "explode"},
		{"TwoValues", []byte(`{"v":1,"cmd":"status"}{"v":1,"cmd":"halt"}` + "\n"), ""},
		{"NotJSON", []byte("status\n"), ""},
		{"EmptyLine", []byte("\n"), ""},
	}
	t.Run("Requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				reply, readErr, _ := rawReply(t, sock, tt.req)
				checkRefused(t, reply, readErr, tt.wantErr)
			})
		}
		t.Run("HalfSent", func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("unix", sock)
			if err != nil {
				t.Fatalf("dial %s: %v", sock, err)
			}
			defer conn.Close()
			start := time.Now()
			conn.SetDeadline(start.Add(lineTimeout))
			if _, err := conn.Write([]byte(`{"v":1,"cmd":"sta`)); err != nil {
				t.Fatal(err)
			}
			// While this connection hangs, others are served.
			tr := *tr
			tr.t = t
			tr.clientWant(0, "status", "web")
			reply, readErr := bufio.NewReader(conn).ReadBytes('\n')
			took := time.Since(start)
			t.Logf("half-sent request: ended after %v: reply %q, %v", took.Round(time.Millisecond), reply, readErr)
			checkRefused(t, reply, readErr, "")
			if took < 4*time.Second {
				t.Errorf("half-sent request ended after %v; want the 5s read timeout", took)
			}
		})
		t.Run("Valid", func(t *testing.T) {
			t.Parallel()
			reply, readErr, _ := rawReply(t, sock, []byte(`{"v":1,"cmd":"status","names":["web"]}`+"\n"))
			var resp struct {
				V        int         `json:"v"`
				OK       bool        `json:"ok"`
				Services []svcStatus `json:"services"`
			}
			if err := json.Unmarshal(reply, &resp); err != nil || !resp.OK || resp.V != 1 || len(resp.Services) != 1 {
				t.Errorf("valid raw status request: reply %q (%v), decoded %+v (%v); want ok with web", reply, readErr, resp, err)
			}
		})
	})

	// Afterwards: vigil answers, serves, reaps, and keeps no connection.
	if v.exited() {
		t.Fatal("vigil exited after the bad requests")
	}
	poll(t, "vigil's fds back to their count before the bad requests", func() (bool, string) {
		n := fdCount(t, v.vigilPid())
		return n <= fdsBefore, fmt.Sprintf("%d fds; %d before", n, fdsBefore)
	})
	tr.clientWant(0, "status")
	before := tr.statusOf("web")
	tr.clientWant(0, "restart", "web")
	if after := tr.statusOf("web"); after.Pid == before.Pid || after.State != "up" {
		t.Errorf("restart after the bad requests: before %+v, after %+v; want a new pid, up", before, after)
	}
	v.noZombieChild()
	v.termNoCmd()
}

// TestClientAbstractSocket: a run dir that cannot hold the socket file
// (read-only root, --user without /run) leaves vigil listening under an
// abstract name, which the client finds without being told, from vigil's
// mount namespace (as `docker exec` enters it). Only root and vigil's own
// uid are served: an abstract socket has no file mode.
func TestClientAbstractSocket(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("nsenter not found:", err)
	}
	tr := newSvcTree(t)
	tr.service("web", map[string]string{"run": sleeper("web")})
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(file, "run")
	v := tr.start([]string{"VIGIL_RUN_DIR=" + runDir})
	enter := []string{"nsenter", "-t", fmt.Sprint(v.vigilPid()), "-m", "-p", "--"}
	env := clientEnv("VIGIL_RUN_DIR=" + runDir)
	var r clientResult
	poll(t, "vigil check through the abstract socket", func() (bool, string) {
		var err error
		r, err = runClientVia(enter, env, nil, "check")
		return err == nil && r.code == 0, r.String()
	})
	other := append(slices.Clone(enter), "setpriv", "--reuid=1234", "--regid=1234", "--clear-groups", "--")
	r, err := runClientVia(other, env, nil, "status")
	if err != nil || r.code != 1 || !strings.Contains(r.stderr, "refused: uid 1234 is neither root nor vigil's uid 0") {
		t.Errorf("vigil status as uid 1234: %v, %v; want exit 1, refused", r, err)
	}
	v.termNoCmd()
	if got := matching(v.stderr(), `control socket in the abstract namespace`); len(got) != 1 {
		t.Errorf("log: %q; want one line naming the abstract socket", got)
	}
}
