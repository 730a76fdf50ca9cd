package execline

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Most cases were checked against execlineb 2.9.3.0 (Debian bookworm);
// the comments mark where vigil differs on purpose.
func TestLex(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{}},
		{"comment only", "# nothing to do\n", []string{}},
		{"shebang", "#!/command/execlineb -P\n/etc/x/run\n", []string{"/etc/x/run"}},
		{"no trailing newline", "/etc/x/run", []string{"/etc/x/run"}},
		{"whitespace", " a\tb\r\nc\vd\x01e  ", []string{"a", "b", "c", "d", "e"}},
		{"comment after word", "a #b c\nd", []string{"a", "d"}},
		{"hash inside word", "a#b", []string{"a#b"}},
		{"comment up to newline only", "a #c\rd\ne", []string{"a", "e"}},
		{"quoted", `echo "a b" c`, []string{"echo", "a b", "c"}},
		{"quoted empty", `"" ""x`, []string{"", "x"}},
		{"quotes join", `x"y" z"w v"u "a"#b`, []string{"xy", "zw vu", "a#b"}},
		{"quoted newline", "\"a\nb\"", []string{"a\nb"}},
		{"quoted backslash-newline", "\"a\\\nb\"", []string{"ab"}},
		{"quoted controls", `"\a\b\t\n\v\f\r"`, []string{"\a\b\t\n\v\f\r"}},
		{"quoted quote and backslash", `"\"" "\\" x"\"y"`, []string{`"`, `\`, `x"y`}},
		{"quoted other escapes", `"\c\d\x\q\{\}\#\ "`, []string{"cdxq{}# "}},
		{"hex", `"\0x41" "\0x4g" "\0xabc" "\0xFf"`, []string{"A", "\x04g", "\xabc", "\xff"}},
		{"octal", `"\0101" "\07" "\077" "\0778" "\0379" "\0377" "\0001"`,
			[]string{"A", "\a", "?", "?8", "\x1f9", "\xff", "\x01"}},
		{"decimal", `"\65" "\9" "\99" "\1234" "\255" "\12a" "\8a"`,
			[]string{"A", "\t", "c", "{4", "\xff", "\x0ca", "\x08a"}},
		{"escape ends at backslash", "\"\\1\\\n2\" \"\\0x4\\0x5\"", []string{"\x012", "\x04\x05"}},
		{"unquoted escapes", `a\ b \\ \" \#x \{ \}`, []string{"a b", `\`, `"`, "#x", "{", "}"}},
		{"unquoted escaped tab", "a \\\tb", []string{"a", "\tb"}},
		{"escaped newline inside word", "a\\\nb", []string{"a\nb"}},
		{"standalone backslash-newline", "a \\\nb \\\n\\\nc", []string{"a", "b", "c"}},
		{"backslash at end", `a \`, []string{"a"}},
		{"backslash CR is a word", "a \\\r\nb", []string{"a", "\r", "b"}},
		{"block", "foreground { echo a } echo b",
			[]string{"foreground", " echo", " a", "", "echo", "b"}},
		{"empty block", "{ }", []string{""}},
		{"nested blocks", "x { a { b } c } d", []string{"x", " a", "  b", " ", " c", "", "d"}},
		{"nested empty", "{ { } }", []string{" ", ""}},
		{"block over lines", "if {\n  mkdir -p /x\n}\nchmod 0 /x",
			[]string{"if", " mkdir", " -p", " /x", "", "chmod", "0", "/x"}},
		{"block CRLF", "{\r\n a \r\n}\r\n", []string{" a", ""}},
		{"brace inside word", "{a} {{ }} {# }x", []string{"{a}", "{{", "}}", "{#", "}x"}},
		{"quoted braces", `"{" a "}"`, []string{"{", "a", "}"}},
		{"quoted brace joins", `{"b"}`, []string{"{b}"}},
		{"escaped brace in block", `{ a \} }`, []string{" a", " }", ""}},
		{"quoted word in block", `{ "a b" "" }`, []string{" a b", " ", ""}},
		{"close at end of input", "{ a }", []string{" a", ""}},
		{"lsio echo", `echo "[ls.io-init] done."`, []string{"echo", "[ls.io-init] done."}},
		{"pi-hole", "#!/command/execlineb\nforeground { bash -e /usr/local/bin/_startup.sh }\n",
			[]string{"foreground", " bash", " -e", " /usr/local/bin/_startup.sh", ""}},
		{"deluge escapes", `groupmod -g \${PGID} deluge || x`,
			[]string{"groupmod", "-g", "${PGID}", "deluge", "||", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Lex([]byte(tt.in))
			if err != nil || !slices.Equal(got, tt.want) || got == nil {
				t.Errorf("Lex(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestLexErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		problem  string // a part of the problem
	}{
		{"unterminated quote", "a\n\"b\nc", 2, "unterminated quoted"},
		{"unterminated after escape", `"a\`, 1, "unterminated quoted"},
		// execlineb 2.9.3.0 accepts a script ending inside a quote right
		// after a numeric escape ("\12 at the very end): vigil does not.
		{"unterminated after number", `"\12`, 1, "unterminated quoted"},
		{"quote at end", `a"`, 1, "unterminated quoted"},
		{"backslash ends word", `a\`, 1, "backslash at the end"},
		{"unmatched close", "a\n}", 2, "unmatched }"},
		{"close before open", "} {", 1, "unmatched }"},
		{"unmatched open", "x {\n{ a }\n", 1, "unmatched {"},
		{"open at end of input", "x {", 1, "unmatched {"},
		{"brace word is not a close", "{ a }b", 1, "unmatched {"},
		{"octal zero", `"\00"`, 1, "1 to 255"},
		{"octal too big", `"\0400"`, 1, "1 to 255"},
		{"octal no digit", `"\08"`, 1, "not followed by a digit"},
		{"zero alone", `"\0"`, 1, "not followed by a digit"},
		{"hex zero", `"\0x00"`, 1, "1 to 255"},
		{"hex no digit", `"\0xg"`, 1, "not followed by a digit"},
		{"decimal too big", "\n\n\"\\256\"", 3, "1 to 255"},
		{"decimal far too big", `"\999"`, 1, "1 to 255"},
		{"NUL", "a\x00b", 1, "NUL"},
		{"NUL in comment", "#\x00\na", 1, "NUL"},
		{"NUL in quote", "\"a\x00\"", 1, "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Lex([]byte(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line != tt.line || !strings.Contains(se.Problem, tt.problem) {
				t.Errorf("Lex(%q) = %q, %v; want a SyntaxError on line %d about %q", tt.in, got, err, tt.line, tt.problem)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	words := []string{"", "a", "a b", `"`, `\`, `\"`, "{", "}", "#x", " lead", "a\nb", "$X", "\x01\xff"}
	var script []string
	for _, w := range words {
		script = append(script, Quote(w))
	}
	got, err := Lex([]byte(strings.Join(script, " ")))
	if err != nil || !slices.Equal(got, words) {
		t.Errorf("Lex of quoted %q = %q, %v", words, got, err)
	}
}

// FuzzLex: Lex never panics, and what it reads, quoted word by word and
// read again, gives the same words.
func FuzzLex(f *testing.F) {
	for _, s := range []string{"", "a b", `"x\0x41\n"`, "{ a { b } }", "#c\nd", `a\ b\`, "\"\\1\\\n2\"", "} {"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		words, err := Lex(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("Lex(%q) error %v is not a SyntaxError with a line", data, err)
			}
			return
		}
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, Quote(w))
		}
		again, err := Lex([]byte(strings.Join(quoted, "\n")))
		if err != nil || !slices.Equal(again, words) {
			t.Fatalf("Lex(%q) = %q; quoted and lexed again: %q, %v", data, words, again, err)
		}
	})
}
