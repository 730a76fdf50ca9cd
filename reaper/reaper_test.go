package reaper

import (
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		status unix.WaitStatus
		want   int
	}{
		{0, 0},
		{1 << 8, 1},
		{42 << 8, 42},
		{255 << 8, 255},
		{unix.WaitStatus(unix.SIGTERM), 143},
		{unix.WaitStatus(unix.SIGKILL), 137},
		{unix.WaitStatus(unix.SIGINT) | 0x80, 130}, // core dumped
	}
	for _, tt := range tests {
		if got := (Exit{Status: tt.status}).Code(); got != tt.want {
			t.Errorf("Exit{Status: %#x}.Code() = %d; want %d", uint32(tt.status), got, tt.want)
		}
	}
}

// TestReaper starts real children and checks that every exit arrives with
// its status and that a poke reports when none is left.
func TestReaper(t *testing.T) {
	r := Start()
	want := map[int]int{}
	for code := range 5 {
		pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit " + string(rune('0'+code))}, &syscall.ProcAttr{})
		if err != nil {
			t.Fatal(err)
		}
		want[pid] = code
	}
	deadline := time.After(20 * time.Second)
	for len(want) > 0 {
		select {
		case b := <-r.Batches():
			for _, e := range b.Exits {
				code, ok := want[e.Pid]
				if !ok || e.Code() != code {
					t.Errorf("exit pid %d code %d; want one of %v", e.Pid, e.Code(), want)
				}
				delete(want, e.Pid)
			}
		case <-deadline:
			t.Fatalf("exits not reaped after 20s: %v", want)
		}
	}
	r.Poke()
	for {
		select {
		case b := <-r.Batches():
			if b.Empty {
				return
			}
		case <-deadline:
			t.Fatal("no empty batch after Poke")
		}
	}
}
