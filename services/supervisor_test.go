package services

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-init/vigil/reaper"
)

// runUntil drives a Supervisor as vigil's loop does, with a reaper of this
// test process, until done says so or the deadline passes.
func runUntil(t *testing.T, s *Supervisor, r *reaper.Reaper, done func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !done() {
		select {
		case b := <-r.Batches():
			for _, e := range b.Exits {
				s.Exited(e)
			}
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
	defs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := reaper.Start()
	s, err := New(defs, os.Environ(), Options{
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		TimeoutKill: time.Second, TimeoutFinish: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Boot(nil)
	runUntil(t, s, r, func() bool { ok, _ := s.Ready(); return ok })
	if _, err := os.Stat(filepath.Join(dir, "web", "hung")); err != nil {
		t.Errorf("the first probe did not run: %v", err)
	}
	s.Shutdown()
	runUntil(t, s, r, s.Down)
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
	defs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := reaper.Start()
	s, err := New(defs, os.Environ(), Options{
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		TimeoutKill: time.Second, TimeoutFinish: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Boot(nil)
	svc := s.byName["web"]
	if svc.state != StateBackoff || svc.last.Code() != 127 {
		t.Fatalf("after a failed exec: state %v, last exit %d; want backoff, 127", svc.state, svc.last.Code())
	}
	runUntil(t, s, r, func() bool { return svc.gen >= 3 })
	if svc.state != StateBackoff || svc.fast < 3 {
		t.Errorf("after 3 failed execs: state %v, fast deaths %d; want backoff, 3", svc.state, svc.fast)
	}
	s.Shutdown()
	runUntil(t, s, r, s.Down)
}
