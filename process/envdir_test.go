package process

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestReadEnvDir(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, tree{
		"A":        txt("hello\nworld\n"),
		"B":        txt(""),
		"C":        txt("\n"),
		"D":        txt("x \t \n"),
		"E":        txt("a\x00b"),
		"F":        txt("  lead"),
		"G":        {link: "A"},
		".hidden":  txt("no"),
		"sub":      {dir: true},
		"sub/X":    txt("no"),
		"LONG":     txt(strings.Repeat("v", maxEnvValue) + "\nrest"),
		"lower_ok": txt("1"),
	})
	want := []EnvEntry{
		{Name: "A", Value: "hello"},
		{Name: "B", Unset: true},
		{Name: "C", Value: ""},
		{Name: "D", Value: "x"},
		{Name: "E", Value: "a\nb"},
		{Name: "F", Value: "  lead"},
		{Name: "G", Value: "hello"},
		{Name: "LONG", Value: strings.Repeat("v", maxEnvValue)},
		{Name: "lower_ok", Value: "1"},
	}
	got, err := ReadEnvDir(dir)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadEnvDir(dir) = %.200v, %v; want %.200v", got, err, want)
	}
}

func TestReadEnvDirErrors(t *testing.T) {
	tests := []struct {
		name  string
		files tree
		want  string // with DIR for the envdir
	}{
		{"equals", tree{"A=B": txt("x")}, `read envdir DIR: file "A=B": a variable name cannot contain '='`},
		{"broken symlink", tree{"A": {link: "nowhere"}}, `read envdir DIR: file "A": stat DIR/A: no such file or directory`},
		{"too long", tree{"A": txt(strings.Repeat("v", maxEnvValue+1))},
			`read envdir DIR: file "A": first line longer than 131072 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			_, err := ReadEnvDir(dir)
			want := strings.ReplaceAll(tt.want, "DIR", dir)
			if err == nil || err.Error() != want {
				t.Errorf("ReadEnvDir(%s) = %v; want %s", tt.name, err, want)
			}
		})
	}
	if _, err := ReadEnvDir(filepath.Join(t.TempDir(), "missing")); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("ReadEnvDir(missing) = %v; want not exist", err)
	}
}

// unwrapAll returns the innermost error of a chain.
func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestApplyEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		entries []EnvEntry
		want    []string
	}{
		{"nothing", []string{"A=1", "B=2"}, nil, []string{"A=1", "B=2"}},
		{"replace in place", []string{"A=1", "B=2", "C=3"}, []EnvEntry{{Name: "B", Value: "x"}}, []string{"A=1", "B=x", "C=3"}},
		{"append sorted", []string{"A=1"}, []EnvEntry{{Name: "Y", Value: "y"}, {Name: "Z", Value: ""}}, []string{"A=1", "Y=y", "Z="}},
		{"unset every occurrence", []string{"A=1", "B=2", "A=3"}, []EnvEntry{{Name: "A", Unset: true}}, []string{"B=2"}},
		{"unset absent", []string{"A=1"}, []EnvEntry{{Name: "Q", Unset: true}}, []string{"A=1"}},
		{"set drops duplicates", []string{"A=1", "B=2", "A=3"}, []EnvEntry{{Name: "A", Value: "n"}}, []string{"A=n", "B=2"}},
		{"no equals", []string{"WEIRD", "A=1"}, []EnvEntry{{Name: "WEIRD", Value: "w"}}, []string{"WEIRD=w", "A=1"}},
		{"value with equals", []string{"A=b=c"}, []EnvEntry{{Name: "B", Value: "x=y"}}, []string{"A=b=c", "B=x=y"}},
		{"last entry wins", nil, []EnvEntry{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}}, []string{"A=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := slices.Clone(tt.env)
			got := ApplyEnv(tt.env, tt.entries)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ApplyEnv(%q, %v) = %q; want %q", tt.env, tt.entries, got, tt.want)
			}
			if !slices.Equal(tt.env, orig) {
				t.Errorf("ApplyEnv(%q) changed its input to %q", orig, tt.env)
			}
		})
	}
}

func FuzzEnvValue(f *testing.F) {
	for _, s := range []string{"", "\n", "a b\t\n", "x\x00y", "line1\nline2", " ", "\t\x00 "} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		line, err := readFirstLine(bytes.NewReader(data))
		if err != nil {
			return
		}
		value, unset := decodeEnvValue(line)
		if unset != (len(data) == 0) {
			t.Errorf("decodeEnvValue(%q) unset = %v; want %v", data, unset, len(data) == 0)
		}
		if unset {
			return
		}
		// What was read is written back unchanged.
		if again, u := decodeEnvValue(encodeEnvValue(value)); u || again != value {
			t.Errorf("decodeEnvValue(encodeEnvValue(%q)) = %q, %v; want %q", value, again, u, value)
		}
		// Any value without NULs or trailing blanks round-trips.
		s := string(data)
		if !strings.Contains(s, "\x00") && strings.TrimRight(s, " \t") == s {
			if got, u := decodeEnvValue(encodeEnvValue(s)); u || got != s {
				t.Errorf("decodeEnvValue(encodeEnvValue(%q)) = %q, %v; want %q", s, got, u, s)
			}
		}
	})
}

func TestEnvFileName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"PATH", true}, {"a.b", true}, {"x-y", true},
		{"", false}, {".", false}, {"..", false}, {".dot", false}, {"a/b", false}, {"a\x00b", false},
	}
	for _, tt := range tests {
		if got := envFileName(tt.name); got != tt.want {
			t.Errorf("envFileName(%q) = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestLookupEnv(t *testing.T) {
	env := []string{"A=1", "PATH=/x", "B", "PATH=/y", "C=a=b"}
	tests := []struct{ key, want string }{{"PATH", "/x"}, {"C", "a=b"}, {"B", ""}, {"Z", ""}}
	for _, tt := range tests {
		if got := LookupEnv(env, tt.key); got != tt.want {
			t.Errorf("LookupEnv(%q) = %q; want %q", tt.key, got, tt.want)
		}
	}
}
