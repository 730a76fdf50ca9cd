package process

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

// snapshotEnv holds what an envdir can and cannot say.
var snapshotEnv = []string{
	"PATH=/bin", "EMPTY=", "MULTI=a\nb\n", "EQ=x=y", "TRAIL=v \t", "PATH=second",
	"NOEQUALS", "=nameless", ".dot=x", "a/b=x", ".=x", "..=x",
}

// snapshotWant is snapshotEnv read back.
var snapshotWant = []EnvEntry{
	{Name: "EMPTY", Value: ""},
	{Name: "EQ", Value: "x=y"},
	{Name: "MULTI", Value: "a\nb\n"},
	{Name: "PATH", Value: "/bin"},
	{Name: "TRAIL", Value: "v"}, // lossy: trailing blanks
}

func TestWriteEnvDir(t *testing.T) {
	tests := []struct {
		name  string
		stale tree // what an earlier boot left in env/, nil: no env/
		kept  []string
	}{
		{"fresh", nil, nil},
		{"stale", tree{
			".":         {dir: true},
			"STALE":     txt("old"),
			"PATH":      txt("/bin\n"), // right already: kept
			"EQ":        txt("x=z\n"),  // same size, another value
			"EMPTY":     {link: "PATH"},
			"MULTI":     {dir: true},
			"MULTI/sub": txt("x"),
			".keep":     txt(""),
			"sub":       {dir: true},
			"LINK":      {link: "/nowhere"},
		}, []string{".keep", "sub"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "env")
			if tt.stale != nil {
				writeTree(t, dir, tt.stale)
				if err := os.Chmod(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			s, err := WriteEnvDir(dir, snapshotEnv)
			if err != nil {
				t.Fatalf("WriteEnvDir(%q) = %v", snapshotEnv, err)
			}
			if got := s.Entries(); !reflect.DeepEqual(got, snapshotWant) {
				t.Errorf("WriteEnvDir(%q).Entries() = %+v; want %+v", snapshotEnv, got, snapshotWant)
			}
			if got, err := ReadEnvDir(dir); err != nil || !reflect.DeepEqual(got, snapshotWant) {
				t.Errorf("ReadEnvDir(WriteEnvDir(%q)) = %+v, %v; want %+v", snapshotEnv, got, err, snapshotWant)
			}
			if data, err := os.ReadFile(filepath.Join(dir, "MULTI")); err != nil || string(data) != "a\x00b\x00\n" {
				t.Errorf("WriteEnvDir MULTI file = %q, %v; want %q", data, err, "a\x00b\x00\n")
			}
			if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("WriteEnvDir: %s mode = %v, %v; want 0700", dir, fi.Mode(), err)
			}
			names := dirList(t, dir)
			want := append([]string{"EMPTY", "EQ", "MULTI", "PATH", "TRAIL"}, tt.kept...)
			if !sameSet(names, want) {
				t.Errorf("WriteEnvDir left %q in %s; want %q", names, dir, want)
			}
			if _, err := os.Lstat(dir + ".new"); !os.IsNotExist(err) {
				t.Errorf("WriteEnvDir left %s.new: %v", dir, err)
			}
		})
	}
}

// TestWriteEnvDirKeeps: a file of an earlier boot that holds the right
// value is not written again.
func TestWriteEnvDirKeeps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	writeTree(t, dir, tree{"PATH": txt("/bin\n"), "HOME": txt("/old\n")})
	before := inode(t, filepath.Join(dir, "PATH"))
	if _, err := WriteEnvDir(dir, []string{"PATH=/bin", "HOME=/root"}); err != nil {
		t.Fatal(err)
	}
	if after := inode(t, filepath.Join(dir, "PATH")); after != before {
		t.Errorf("WriteEnvDir replaced PATH, which held its value (inode %d → %d)", before, after)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "HOME")); string(got) != "/root\n" {
		t.Errorf("WriteEnvDir: HOME = %q; want %q", got, "/root\n")
	}
}

func TestWriteEnvDirNotADirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	writeTree(t, filepath.Dir(dir), tree{"env": {link: "/tmp"}})
	if _, err := WriteEnvDir(dir, []string{"A=1"}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		t.Errorf("WriteEnvDir over a symlink: %s is %v, %v; want a directory", dir, fi.Mode(), err)
	}
}

// TestEnvSnapshotRead: after a script, Read sees every change, and opens
// only the files whose stat changed.
func TestEnvSnapshotRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	s, err := WriteEnvDir(dir, []string{"KEEP=same", "SIZE=8080", "GONE=x", "BLANK=1"})
	if err != nil {
		t.Fatal(err)
	}
	path := func(name string) string { return filepath.Join(dir, name) }
	// What a script does: change a value in place without changing its
	// size (the file keeps its inode), remove one, add one, empty one.
	writeTree(t, dir, tree{"NEW": txt("new\n"), "LINKED": {link: "KEEP"}, ".tmp": txt("x")})
	mustWrite(t, path("SIZE"), "8081\n")
	mustWrite(t, path("BLANK"), "")
	if err := os.Remove(path("GONE")); err != nil {
		t.Fatal(err)
	}
	// KEEP's content changes behind the snapshot's back while its stat
	// stays as vigil wrote it: Read must not open it, so it still reports
	// the value it wrote.
	keepStat := stat(t, path("KEEP"))
	mustWrite(t, path("KEEP"), "SAME\n")
	setMtime(t, path("KEEP"), keepStat.Mtim)

	want := []EnvEntry{
		{Name: "BLANK", Unset: true},
		{Name: "KEEP", Value: "same"},
		{Name: "LINKED", Value: "SAME"}, // new: read
		{Name: "NEW", Value: "new"},
		{Name: "SIZE", Value: "8081"},
	}
	got, err := s.Read()
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Read() after a script = %+v, %v; want %+v", got, err, want)
	}

	// SIZE was read with an mtime of now: racy. A second script that
	// rewrites it within the same tick, same size, same mtime, is seen.
	sizeStat := stat(t, path("SIZE"))
	mustWrite(t, path("SIZE"), "8082\n")
	setMtime(t, path("SIZE"), sizeStat.Mtim)
	want[4].Value = "8082"
	if got, err := s.Read(); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Read() after a rewrite within the same tick = %+v, %v; want %+v", got, err, want)
	}
}

func TestEnvSnapshotReadErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "env")
	s, err := WriteEnvDir(dir, []string{"A=1"})
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, tree{"B=C": txt("x")})
	_, err = s.Read()
	if want := `read envdir ` + dir + `: file "B=C": a variable name cannot contain '='`; err == nil || err.Error() != want {
		t.Errorf("Read() = %v; want %s", err, want)
	}
	if err := os.Remove(filepath.Join(dir, "B=C")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Read(); err != nil || !reflect.DeepEqual(got, []EnvEntry{{Name: "A", Value: "1"}}) {
		t.Errorf("Read() after the error = %+v, %v; want A=1", got, err)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func stat(t *testing.T, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func inode(t *testing.T, path string) uint64 { return stat(t, path).Ino }

func setMtime(t *testing.T, path string, m unix.Timespec) {
	t.Helper()
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, []unix.Timespec{m, m}, 0); err != nil {
		t.Fatal(err)
	}
}

func dirList(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
