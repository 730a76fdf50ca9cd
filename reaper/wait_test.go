package reaper

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitAlone names the environment variable under which the test binary
// runs TestWait by itself: a Reaper left running by TestReaper would reap
// the children first.
const waitAlone = "REAPER_TEST_WAIT_ALONE"

// TestWait runs the cases of Wait in a test binary of their own, where no
// Reaper runs.
func TestWait(t *testing.T) {
	if os.Getenv(waitAlone) == "1" {
		testWait(t)
		return
	}
	// The verdict is read from the output, not the exit status: a Reaper
	// of this process may reap the child test binary before cmd.Wait does.
	cmd := exec.Command(os.Args[0], "-test.run=^TestWait$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), waitAlone+"=1")
	done := make(chan []byte, 1)
	go func() {
		out, _ := cmd.CombinedOutput()
		done <- out
	}()
	select {
	case out := <-done:
		if !bytes.HasSuffix(bytes.TrimSpace(out), []byte("\nPASS")) {
			t.Fatalf("TestWait alone failed:\n%s", out)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("TestWait alone did not finish in 60s")
	}
}

func testWait(t *testing.T) {
	tests := []struct {
		script string
		want   int // Exit.Code
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"exit 255", 255},
		{"kill -TERM $$", 143},
		{"kill -KILL $$", 137},
	}
	for _, tt := range tests {
		pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", tt.script}, &syscall.ProcAttr{})
		if err != nil {
			t.Fatal(err)
		}
		e := waitBounded(t, pid)
		if e.Pid != pid || e.Code() != tt.want {
			t.Errorf("Wait(%d) for %q = pid %d code %d; want pid %d code %d", pid, tt.script, e.Pid, e.Code(), pid, tt.want)
		}
	}
	if _, err := Wait(os.Getpid()); err == nil || !errors.Is(err, unix.ECHILD) {
		t.Errorf("Wait(own pid) error = %v; want ECHILD", err)
	}
}

// waitBounded is Wait with a deadline.
func waitBounded(t *testing.T, pid int) Exit {
	t.Helper()
	type result struct {
		e   Exit
		err error
	}
	done := make(chan result, 1)
	go func() {
		e, err := Wait(pid)
		done <- result{e, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Wait(%d): %v", pid, r.err)
		}
		return r.e
	case <-time.After(20 * time.Second):
		t.Fatalf("Wait(%d) did not return in 20s", pid)
		return Exit{}
	}
}
