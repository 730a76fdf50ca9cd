package boot

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	exe := write("exe", 0o755)
	write("plain", 0o644)
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "exe"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(other, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := other + ":" + dir

	tests := []struct {
		file, want string
		err        error
	}{
		{"exe", exe, nil},            // the non-executable one earlier in PATH is skipped
		{"plain", "", unix.EACCES},   // found, not executable
		{"adir", "", unix.EACCES},    // found, a directory
		{"missing", "", unix.ENOENT}, // nowhere
		{"./rel/x", "./rel/x", nil},  // a slash: used as it is
		{"/abs/missing", "/abs/missing", nil},
	}
	for _, tt := range tests {
		got, err := lookPath(tt.file, path)
		if got != tt.want || err != tt.err {
			t.Errorf("lookPath(%q) = %q, %v; want %q, %v", tt.file, got, err, tt.want, tt.err)
		}
	}
}

func TestLookupEnv(t *testing.T) {
	env := []string{"A=1", "PATH=/x", "B", "PATH=/y", "C=a=b"}
	tests := []struct{ key, want string }{{"PATH", "/x"}, {"C", "a=b"}, {"B", ""}, {"Z", ""}}
	for _, tt := range tests {
		if got := lookupEnv(env, tt.key); got != tt.want {
			t.Errorf("lookupEnv(%q) = %q; want %q", tt.key, got, tt.want)
		}
	}
}

func TestReadStat(t *testing.T) {
	p, state, err := readStat(os.Getpid())
	if err != nil || p.pid != os.Getpid() || p.ppid != os.Getppid() || state != 'R' && state != 'S' {
		t.Errorf("readStat(self) = %+v, %q, %v; want pid %d ppid %d, running", p, state, err, os.Getpid(), os.Getppid())
	}
}

func TestDescendants(t *testing.T) {
	procs := []proc{{pid: 2, ppid: 1}, {pid: 3, ppid: 2}, {pid: 4, ppid: 3}, {pid: 5, ppid: 1}, {pid: 6, ppid: 9}}
	got := descendants(procs, 2)
	if len(got) != 2 || got[0].pid != 3 || got[1].pid != 4 {
		t.Errorf("descendants(procs, 2) = %+v; want pids 3, 4", got)
	}
}
