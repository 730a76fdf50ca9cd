package process

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMain lets the test binary be the trampoline, as vigil's binary is:
// startAs execs /proc/self/exe as RunAsName.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == RunAsName {
		os.Exit(RunAs(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// wait waits for the child pid (the test has no reaper) and returns its
// exit code.
func wait(t *testing.T, pid int) int {
	t.Helper()
	done := make(chan unix.WaitStatus, 1)
	go func() {
		var ws unix.WaitStatus
		for {
			if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
				break
			}
		}
		done <- ws
	}()
	select {
	case ws := <-done:
		return ws.ExitStatus()
	case <-time.After(20 * time.Second):
		t.Fatalf("pid %d did not exit in 20s", pid)
		return -1
	}
}

func TestStartFailureCode(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		argv []string
		want int
	}{
		{[]string{"/no/such/program"}, 127},
		{[]string{"no-such-program-anywhere"}, 127},
		{[]string{plain}, 126},
		{[]string{dir}, 126},
	}
	for _, tt := range tests {
		_, err := Start(tt.argv, Attr{Env: []string{"PATH=" + dir}, Files: []uintptr{0, 1, 2}})
		if err == nil || FailureCode(err) != tt.want {
			t.Errorf("Start(%q) error %v, FailureCode %d; want an error with %d", tt.argv, err, FailureCode(err), tt.want)
		}
	}
}

// TestStartAs: a process started as another user runs with that user's
// ids and groups, and vigil's own memory stays dumpable, so that /proc of
// PID 1 stays open to root without CAP_SYS_PTRACE (README "Services", user).
func TestStartAs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch users")
	}
	out := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := &User{Spec: "65534:65533", Uid: 65534, Gid: 65533, Groups: []uint32{65533, 4242}, Name: "nobody", Home: "/"}
	pid, err := Start([]string{"sh", "-c", `id -u; id -g; grep ^Groups: /proc/self/status; pwd`}, Attr{
		Dir: "/", Env: []string{"PATH=/usr/bin:/bin"}, Files: []uintptr{0, f.Fd(), 2}, User: u,
	})
	if err != nil {
		t.Fatal(err)
	}
	if dumpable, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err != nil || dumpable != 1 {
		t.Errorf("PR_GET_DUMPABLE after starting a process as %s = %d, %v; want 1", u.Spec, dumpable, err)
	}
	if code := wait(t, pid); code != 0 {
		t.Fatalf("sh as %s exited %d", u.Spec, code)
	}
	b, _ := os.ReadFile(out)
	got := strings.Fields(string(b))
	want := []string{"65534", "65533", "Groups:", "4242", "65533", "/"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("as %s: %q; want %q", u.Spec, got, want)
	}
}

// TestInherit: the caller's open descriptors pass as themselves, a closed
// one as Closed (ForkExec would fail on it), and a child starts with them.
func TestInherit(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	gap := int(r.Fd())
	r.Close()
	files := Inherit(gap + 1)
	for fd := 0; fd < 3; fd++ {
		if files[fd] != uintptr(fd) {
			t.Errorf("Inherit(%d)[%d] = %d; want %d (open)", gap+1, fd, files[fd], fd)
		}
	}
	if files[gap] != Closed {
		t.Errorf("Inherit(%d)[%d] = %d; want Closed (the descriptor is closed)", gap+1, gap, files[gap])
	}
	pid, err := Start([]string{"true"}, Attr{Path: "/bin/true", Files: files})
	if err != nil {
		t.Fatalf("Start with Inherit's descriptors: %v", err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil || ws.ExitStatus() != 0 {
		t.Errorf("child: %v, exit %d; want exit 0", err, ws.ExitStatus())
	}
}
