package process

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
		got, err := LookPath(tt.file, path)
		if got != tt.want || err != tt.err {
			t.Errorf("LookPath(%q) = %q, %v; want %q, %v", tt.file, got, err, tt.want, tt.err)
		}
	}
}
