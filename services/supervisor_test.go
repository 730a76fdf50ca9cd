package services

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigil-init/vigil/reaper"
	"golang.org/x/sys/unix"
)

// testReaper is the one reaper of this test binary: two would race for
// the same exits, as two owners of wait4 do in a program.
// The test process is a subreaper, as vigil is: what a service leaves in
// its process group becomes its child, to be reaped and seen gone.
var testReaper = sync.OnceValue(func() *reaper.Reaper {
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	return reaper.Start()
})

// bootSupervisor loads the services of dir and boots them.
func bootSupervisor(t *testing.T, dir string) *Supervisor {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tree, err := LoadTree(Dirs{Services: dir}, Defaults{TimeoutKill: time.Second, TimeoutFinish: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	testReaper() // before the first child starts
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devNull.Close() })
	s, err := New(tree, os.Environ(), Options{Log: log, DevNull: devNull})
	if err != nil {
		t.Fatal(err)
	}
	s.Boot(nil)
	return s
}

// runUntil drives a Supervisor as vigil's loop does, with the test's
// reaper, until done says so or the deadline passes.
func runUntil(t *testing.T, s *Supervisor, done func() bool) {
	t.Helper()
	r := testReaper()
	deadline := time.After(20 * time.Second)
	for !done() {
		select {
		case b := <-r.Batches():
			for _, e := range b.Exits {
				s.Exited(e)
			}
			s.Reaped()
		case ev := <-s.Events():
			s.Handle(ev)
		case <-deadline:
			t.Fatal("condition not reached in 20s")
		}
	}
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestCheckHangs: a probe that hangs is killed after checkLimit and the
// next one decides.
func TestCheckHangs(t *testing.T) {
	old := checkLimit
	checkLimit = 200 * time.Millisecond
	defer func() { checkLimit = old }()

	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "web", "run"), "exec sleep 100\n")
	writeScript(t, filepath.Join(dir, "web", "check"), "[ -e hung ] && exit 0\ntouch hung\nexec sleep 100\n")
	s := bootSupervisor(t, dir)
	runUntil(t, s, s.Ready)
	if _, err := os.Stat(filepath.Join(dir, "web", "hung")); err != nil {
		t.Errorf("the first probe did not run: %v", err)
	}
	s.Shutdown()
	runUntil(t, s, s.Down)
}

// TestRunCannotStart: a run that cannot be executed counts as a fast death:
// it is retried with the growing delay, not at once and not never.
func TestRunCannotStart(t *testing.T) {
	dir := t.TempDir()
	// A run whose interpreter is missing: Load accepts it, exec fails.
	if err := os.MkdirAll(filepath.Join(dir, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web", "run"), []byte("#!/nonexistent/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := bootSupervisor(t, dir)
	svc := s.byName["web"]
	if svc.state != StateBackoff || svc.last.Code() != 127 {
		t.Fatalf("after a failed exec: state %v, last exit %d; want backoff, 127", svc.state, svc.last.Code())
	}
	runUntil(t, s, func() bool { return svc.gen >= 3 })
	if svc.state != StateBackoff || svc.fast < 3 {
		t.Errorf("after 3 failed execs: state %v, fast deaths %d; want backoff, 3", svc.state, svc.fast)
	}
	s.Shutdown()
	runUntil(t, s, s.Down)
}

// TestStoppingIsNotReady: readiness is derived from the state, so a
// service on its way down is not reported ready.
func TestStoppingIsNotReady(t *testing.T) {
	dir := t.TempDir()
	// Ready once TERM is ignored, so that the stop finds it so.
	writeScript(t, filepath.Join(dir, "web", "run"), "trap '' TERM\necho >&3\nwhile :; do sleep 1; done\n")
	if err := os.WriteFile(filepath.Join(dir, "web", "notification-fd"), []byte("3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := bootSupervisor(t, dir)
	runUntil(t, s, s.Ready)
	if err := s.Stop([]string{"web"}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status([]string{"web"})
	if err != nil || len(st) != 1 || st[0].State != StateStopping || st[0].Ready {
		t.Errorf("Status(web) while stopping = %+v, %v; want stopping, not ready", st, err)
	}
	runUntil(t, s, s.Down) // SIGKILL after TimeoutKill
}
