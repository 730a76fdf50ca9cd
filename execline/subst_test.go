package execline

import (
	"slices"
	"testing"
)

// The expected words are what execline 2.9.3.0's define, importas and
// multisubstitute produce for the same command lines.
func TestSubstitute(t *testing.T) {
	one := func(k, v string) subst { return subst{k, []string{v}} }
	tests := []struct {
		name   string
		argv   []string
		substs []subst
		want   []string
	}{
		{"both forms", []string{"$X", "${X}", "a${X}b", "$X$X"}, []subst{one("X", "v")},
			[]string{"v", "v", "avb", "vv"}},
		{"bare form ends at \\ $ { } only", []string{"$X/z", "$X.z", "$X-z", "$X}", "$X{", "${X}/z"}, []subst{one("X", "y")},
			[]string{"$X/z", "$X.z", "$X-z", "y}", "y{", "y/z"}},
		{"longer name is not the key", []string{"$XY", "${XY}"}, []subst{one("X", "v")}, []string{"$XY", "${XY}"}},
		{"backslashes", []string{`$A`, `\$A`, `\\$A`, `\\\$A`, `\\\\$A`, `\\\\\$A`, `\${A}`, `\\${A}`},
			[]subst{one("A", "val")},
			[]string{"val", "$A", `\val`, `\$A`, `\\val`, `\\$A`, "${A}", `\val`}},
		{"backslashes before other keys stay", []string{`$B`, `\$B`, `\\$B`, `a\b`}, []subst{one("A", "val")},
			[]string{`$B`, `\$B`, `\\$B`, `a\b`}},
		{"malformed references", []string{"${X", "${}", "$", "$$", "${X ${X}}", "$$X", `\$$X`}, []subst{one("X", "v")},
			[]string{"${X", "${}", "$", "$$", "${X v}", "$v", `\$v`}},
		{"reference inside a broken brace", []string{"${a$X}"}, []subst{one("X", "v")}, []string{"${av}"}},
		{"empty value", []string{"a${X}b"}, []subst{one("X", "")}, []string{"ab"}},
		{"no value removes the word", []string{"a${X}b", "c"}, []subst{{"X", nil}}, []string{"c"}},
		{"split value", []string{"x${X}y${X}"}, []subst{{"X", []string{"a", "b"}}},
			[]string{"xaya", "xayb", "xbya", "xbyb"}},
		{"leftmost varies slowest", []string{"${A}x${B}", "${B}${A}"},
			[]subst{{"A", []string{"a", "b"}}, {"B", []string{"1", "2"}}},
			[]string{"ax1", "ax2", "bx1", "bx2", "1a", "1b", "2a", "2b"}},
		{"values are not searched", []string{"${A}"}, []subst{one("A", "${B}"), one("B", "no")}, []string{"${B}"}},
		{"block words keep their spaces", []string{"foreground", " echo", " ${X}", "", "${X}"},
			[]subst{{"X", []string{"a", "b"}}},
			[]string{"foreground", " echo", " a", " b", "", "a", "b"}},
		{"positional keys", []string{"$1", "${1}0", "$10", "$#", "$@", "x${@}"},
			positionals("script", []string{"a", "b"}, 0, false),
			[]string{"a", "a0", "$10", "2", "a", "b", "xa", "xb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := substitute(tt.argv, tt.substs); !slices.Equal(got, tt.want) {
				t.Errorf("substitute(%q, %v) = %q; want %q", tt.argv, tt.substs, got, tt.want)
			}
		})
	}
}

func TestTransform(t *testing.T) {
	tests := []struct {
		opts  string // transform option letters; d takes delims
		delim string
		value string
		want  []string
	}{
		{"", "", "a  b\n", []string{"a  b\n"}},
		{"n", "", "ab\n", []string{"ab"}},
		{"N", "", "ab\n", []string{"ab\n"}},
		{"Cn", "", "a  ", []string{"a"}},
		{"s", "", "a  b", []string{"a", "", "b"}},
		{"s", "", "a b ", []string{"a", "b"}},
		{"s", "", " ", []string{""}},
		{"s", "", "", []string{}},
		{"sn", "", "a b", []string{"a"}}, // chomp asked, nothing chomped: the last word is dropped
		{"sn", "", "a b ", []string{"a", "b"}},
		{"sn", "", " ", []string{}},
		{"sC", "", "a   b  ", []string{"a", "b"}},
		{"sd", ",", ",a,,b,", []string{"", "a", "", "b"}},
		{"sCd", ",", ",,a,,b,,", []string{"", "a", "b"}},
		{"Cd", ",", ",,a,,b,,", []string{",a,b,"}},
		{"sd", "", "1:a,0:,2:bb,", []string{"a", "", "bb"}},
		{"sd", "", "3:a b,0:,", []string{"a b", ""}},
		{"sd", "", "03:abc,", []string{"abc"}},
		{"snd", "", "1:a,", []string{"a"}},
	}
	for _, tt := range tests {
		tr := newTransform()
		for _, c := range []byte(tt.opts) {
			tr.option(Option{c, tt.delim})
		}
		got, err := tr.apply(tt.value)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("transform -%s (delims %q) of %q = %q, %v; want %q", tt.opts, tr.delims, tt.value, got, err, tt.want)
		}
	}
	for _, bad := range []string{"3:abc", "x:a,", "1:ab", ":", "-1:a,", "+1:a,"} {
		tr := transform{split: true}
		if got, err := tr.apply(bad); err == nil {
			t.Errorf("netstrings %q = %q; want an error", bad, got)
		}
	}
}

func TestPositionals(t *testing.T) {
	argv := []string{"$0", "$1", "$2", "$3", "$#", "$@", "${@}x"}
	tests := []struct {
		args  []string
		nmin  int
		shift bool
		want  []string
	}{
		// execlineb -S2 -c '…' a
		{[]string{"a"}, 2, false, []string{"sh", "a", "", "$3", "1", "a", "ax"}},
		// execlineb -s1 -c '…' a b c
		{[]string{"a", "b", "c"}, 1, true, []string{"sh", "a", "b", "c", "3", "b", "c", "bx", "cx"}},
		// -s with no more args than nmin: $@ is no word
		{[]string{"a", "b"}, 2, true, []string{"sh", "a", "b", "$3", "2"}},
		{[]string{"a", "b"}, 3, true, []string{"sh", "a", "b", "", "2"}},
		{nil, 0, false, []string{"sh", "$1", "$2", "$3", "0"}},
	}
	for _, tt := range tests {
		got := substitute(argv, positionals("sh", tt.args, tt.nmin, tt.shift))
		if !slices.Equal(got, tt.want) {
			t.Errorf("positionals(%q, %d, %v) give %q; want %q", tt.args, tt.nmin, tt.shift, got, tt.want)
		}
	}
}

func TestGetopt(t *testing.T) {
	tests := []struct {
		args     []string
		spec     string
		opts     string // letter=arg;…
		rest     []string
		errorful bool
	}{
		{[]string{"-n", "-X", "a"}, "nX", "n=;X=;", []string{"a"}, false},
		{[]string{"-nX", "a"}, "nX", "n=;X=;", []string{"a"}, false},
		{[]string{"-D", "0", "a"}, "D:", "D=0;", []string{"a"}, false},
		{[]string{"-D0", "a"}, "D:", "D=0;", []string{"a"}, false},
		{[]string{"-iD", "", "a"}, "iD:", "i=;D=;", []string{"a"}, false},
		{[]string{"--", "-n"}, "n", "", []string{"-n"}, false},
		{[]string{"-", "x"}, "n", "", []string{"-", "x"}, false},
		{[]string{"a", "-n"}, "n", "", []string{"a", "-n"}, false},
		{[]string{}, "n", "", []string{}, false},
		{[]string{"-q"}, "n", "", nil, true},
		{[]string{"-D"}, "D:", "", nil, true},
		{[]string{"-:"}, "D:", "", nil, true},
	}
	for _, tt := range tests {
		opts, rest, err := Getopt(tt.args, tt.spec)
		var got string
		for _, o := range opts {
			got += string(o.Letter) + "=" + o.Arg + ";"
		}
		if (err != nil) != tt.errorful || got != tt.opts || (err == nil && !slices.Equal(rest, tt.rest)) {
			t.Errorf("Getopt(%q, %q) = %q, %q, %v; want %q, %q, error %v", tt.args, tt.spec, got, rest, err, tt.opts, tt.rest, tt.errorful)
		}
	}
}

// FuzzSubstitute: substitution never panics, and with no key to match it
// leaves every word as it is.
func FuzzSubstitute(f *testing.F) {
	for _, s := range []string{"$X", `\\${X}x$Y`, "${X", "$$X}", `${Y}\$X\\`} {
		f.Add(s, "a b")
	}
	f.Fuzz(func(t *testing.T, word, value string) {
		values, _ := transform{split: true, delims: " "}.apply(value)
		substitute([]string{word}, []subst{{"X", values}, {"Y", []string{value}}})
		if got := substitute([]string{word}, []subst{{"nomatch", values}}); !slices.Equal(got, []string{word}) {
			t.Fatalf("substitute(%q) with no matching key = %q", word, got)
		}
	})
}
