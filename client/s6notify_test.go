package client

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestChecker: the checker's loop with real check programs: ready on the
// first success, give up after n tries, on the global timeout, or when
// prog is gone; a check over its local time is killed and counts as failed.
func TestChecker(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(dir, "tries")
	// The check fails twice, then succeeds.
	third := []string{"sh", "-c", `n=$(cat "$0" 2>/dev/null || echo 0); echo $((n+1)) > "$0"; [ "$n" -ge 2 ]`, counter}
	never := make(chan struct{})
	gone := make(chan struct{})
	close(gone)
	fast := probe{wait: time.Millisecond}
	tests := []struct {
		name     string
		probe    probe
		check    []string
		progDone <-chan struct{}
		want     int
		notified bool
	}{
		{"ready at once", fast, []string{"true"}, never, checkReady, true},
		{"ready at the third try", probe{wait: time.Millisecond, tries: 3}, third, never, checkReady, true},
		{"gives up", probe{wait: time.Millisecond, tries: 3}, []string{"false"}, never, checkGaveUp, false},
		{"not found counts as a try", probe{wait: time.Millisecond, tries: 2}, []string{"./no/such/check"}, never, checkGaveUp, false},
		{"global timeout", probe{wait: time.Millisecond, global: 300 * time.Millisecond}, []string{"false"}, never, checkTimedOut, false},
		{"global timeout during a check", probe{global: 300 * time.Millisecond}, []string{"sleep", "100"}, never, checkTimedOut, false},
		{"local timeout", probe{wait: time.Millisecond, local: 100 * time.Millisecond, tries: 2}, []string{"sleep", "100"}, never, checkGaveUp, false},
		{"prog gone", probe{initial: time.Hour}, []string{"true"}, gone, checkProgDied, false},
		{"prog gone, -w 0", probe{wait: 0}, []string{"false"}, gone, checkProgDied, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(counter)
			notified := false
			c := &checker{probe: tt.probe, check: tt.check, progDone: tt.progDone,
				notify: func() error { notified = true; return nil },
				warn:   func(string, ...any) {}}
			start := time.Now()
			if got := c.run(); got != tt.want || notified != tt.notified {
				t.Errorf("run() = %d, notified %v; want %d, %v", got, notified, tt.want, tt.notified)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("run() took %v", took)
			}
		})
	}
}

func TestReadNotificationFD(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]int{"3\n": 3, "5": 5, "12\nrest": 12, "x\n": -1, "": -1, " 3": -1} {
		path := filepath.Join(dir, "notification-fd")
		writeFile(t, path, content)
		got, err := readNotificationFD(path)
		if want < 0 && err == nil || want >= 0 && (err != nil || got != want) {
			t.Errorf("readNotificationFD(%q) = %d, %v; want %d", content, got, err, want)
		}
	}
}
