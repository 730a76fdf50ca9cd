package client

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"100", 100, true}, {"4k", 4096, true}, {"4K", 4096, true}, {"2M", 2 << 20, true},
		{"0", 0, false}, {"-1", 0, false}, {"k", 0, false}, {"1G", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestLoggerRotates writes numbered lines through a small limit and checks
// that every line is kept, in order, across current and the archives kept,
// and that no more archives than asked are kept.
func TestLoggerRotates(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2026, 11, 21, 7, 0, 0, 0, time.UTC)
	l := &logger{dir: dir, keep: 100, max: 64, stderr: io.Discard, now: func() time.Time {
		clock = clock.Add(time.Millisecond)
		return clock
	}}
	if err := l.open(); err != nil {
		t.Fatal(err)
	}
	var in strings.Builder
	for i := range 50 {
		in.WriteString(strings.Repeat("x", i%7) + "\n")
	}
	in.WriteString("last line without newline")
	if err := l.copy(strings.NewReader(in.String())); err != nil {
		t.Fatal(err)
	}
	got := readLogs(t, dir)
	want := in.String() + "\n"
	if got != want {
		t.Errorf("logs = %q; want %q", got, want)
	}

	l.keep = 2
	l.open()
	l.copy(strings.NewReader(strings.Repeat("0123456789\n", 20)))
	archives, _ := filepath.Glob(filepath.Join(dir, "@*.s"))
	if len(archives) != 2 {
		t.Errorf("archives after pruning = %d; want 2", len(archives))
	}
}

// readLogs is the archives in name (time) order, then current.
func readLogs(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "@*.s"))
	files = append(files, filepath.Join(dir, "current"))
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 64 && strings.Count(string(b), "\n") > 1 {
			t.Errorf("%s holds %d bytes; want at most the 64-byte limit", f, len(b))
		}
		all.Write(b)
	}
	return all.String()
}

func TestLoggerStamps(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 21, 7, 45, 38, 123456000, time.UTC)
	l := &logger{dir: dir, keep: 1, max: 1 << 20, stamp: true, stderr: io.Discard, now: func() time.Time { return at }}
	if err := l.open(); err != nil {
		t.Fatal(err)
	}
	l.copy(strings.NewReader("hello\n"))
	b, _ := os.ReadFile(filepath.Join(dir, "current"))
	if want := "2026-11-21T07:45:38.123456Z hello\n"; string(b) != want {
		t.Errorf("current = %q; want %q", b, want)
	}
}

// failing is a current file that fails its first writes, as a full disk
// does, and then takes everything.
type failing struct {
	fails int
	got   strings.Builder
}

func (f *failing) Write(b []byte) (int, error) {
	if f.fails > 0 {
		f.fails--
		return 0, syscall.ENOSPC
	}
	return f.got.Write(b)
}

func (f *failing) Close() error { return nil }

// TestLoggerRetries: a write that fails is retried until it succeeds:
// nothing is dropped, and the failure is said once, its end once.
func TestLoggerRetries(t *testing.T) {
	old := writeRetry
	writeRetry = time.Millisecond
	defer func() { writeRetry = old }()
	var stderr strings.Builder
	f := &failing{fails: 3}
	l := &logger{current: f, max: 1 << 20, stderr: &stderr, now: time.Now}
	l.write([]byte("one\n"))
	l.write([]byte("two\n"))
	if got := f.got.String(); got != "one\ntwo\n" {
		t.Errorf("written = %q; want %q", got, "one\ntwo\n")
	}
	if got := stderr.String(); strings.Count(got, "retrying") != 1 || strings.Count(got, "writing again") != 1 {
		t.Errorf("stderr = %q; want one retrying line and one writing-again line", got)
	}
}

// TestLoggerCarriesOn: a line cut by a read, or by a logger stopped in
// the middle of it, is carried on without a second time stamp, by the
// same logger or by the next one that opens the file.
func TestLoggerCarriesOn(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 12, 2, 1, 2, 3, 0, time.UTC)
	newLogger := func() *logger {
		l := &logger{dir: dir, keep: 1, max: 1 << 20, stamp: true, stderr: io.Discard, now: func() time.Time { return at }}
		if err := l.open(); err != nil {
			t.Fatal(err)
		}
		return l
	}
	first := newLogger()
	first.feed([]byte("one\ntw"))
	first.feed([]byte("o\nthr"))
	first.current.Close() // stopped by a signal: no newline added
	second := newLogger()
	second.feed([]byte("ee\nfour"))
	if err := second.end(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "current"))
	const stamp = "2026-12-02T01:02:03.000000Z "
	want := stamp + "one\n" + stamp + "two\n" + stamp + "three\n" + stamp + "four\n"
	if string(b) != want {
		t.Errorf("current = %q; want %q", b, want)
	}
}
