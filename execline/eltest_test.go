package execline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEltest(t *testing.T) {
	dir := t.TempDir()
	file, link := filepath.Join(dir, "file"), filepath.Join(dir, "link")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ELTEST_SET", "")
	tests := []struct {
		expr string // words separated by spaces; _ is the empty word
		want string // true, false, or a part of the parse or run error
	}{
		{"x", "true"},
		{"_", "false"},
		{"-n x", "true"},
		{"-z _", "true"},
		{"a = a", "true"},
		{"a != a", "false"},
		{"a < b", "true"},
		{"b <= a", "false"},
		{"3 -eq 3", "true"},
		{"3 -ne 256", "true"},
		{"3 -ne 0 -a 3 -ne 256", "true"},
		{"256 -ne 0 -a 256 -ne 256", "false"},
		{"-5 -lt +2", "true"},
		{"3x -eq 3", "true"},
		{"x -eq 3", "-eq requires integer arguments"},
		{"99999999999 -gt 2147483646", "true"},
		{"! x", "false"},
		{"! ! x", "true"},
		{"( x -o _ ) -a ! _", "true"},
		{"_ -o _ -o x", "true"},
		{"x -o _ -a _", "true"},   // -a binds tighter
		{"_ -a x -eq y", "false"}, // short-circuit: the bad number is never read
		{"-f " + file, "true"},
		{"-d " + dir, "true"},
		{"-f " + dir, "false"},
		{"-e " + file + "-none", "false"},
		{"-h " + link, "true"},
		{"-L " + file, "false"},
		{"-s " + file, "true"},
		{"-r " + file, "true"},
		{"-x " + file, "false"},
		{"-O " + file, "true"},
		{link + " -ef " + file, "true"},
		{file + " -nt " + file + "-none", "true"},
		{"-v ELTEST_SET", "true"},
		{"-v ELTEST_UNSET", "false"},
		{"-t x", "-t requires an integer"},
		{"abc =~ ^a.c$", "true"},
		{"abc =~ ^b", "false"},
		{"abc =~ (", "parse error at argument 2"}, // ( is an operator
		{"abc =~ a(", "unable to compile"},
		{`\-n = \-n`, "true"},
		{"-n = -n", "parse error at argument 1"},
		{"-n", "parse error at argument 1"},
		{"( x", "parse error at argument 2"},
		{"x )", "parse error at argument 1"},
		{"( )", "parse error at argument 1"},
		{"-a x", "parse error at argument 0"},
		{"x y", "parse error at argument 1"},
		{"-n x = y", "parse error at argument 2"},
	}
	for _, tt := range tests {
		words := strings.Fields(tt.expr)
		for i, w := range words {
			if w == "_" {
				words[i] = ""
			}
		}
		cmd, err := parseEltest(invocation{name: "eltest"}, words)
		var got string
		switch {
		case err != nil:
			got = err.Error()
		default:
			ok, err := cmd.(*eltest).expr()
			got = map[bool]string{true: "true", false: "false"}[ok]
			if err != nil {
				got = err.Error()
			}
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("eltest %s = %s; want %s", tt.expr, got, tt.want)
		}
	}
	script(t, `eltest`).want(t, "no expression", "", 1, "")
	script(t, `eltest 1 -eq 1`).want(t, "true", "", 0, "")
	script(t, `eltest 1 -eq 2`).want(t, "false", "", 1, "")
	script(t, `eltest 1 -eq x`).want(t, "run error", "", 100, "requires integer")
	script(t, `eltest 1 -eq`).want(t, "parse error", "", 100, "parse error")
}
