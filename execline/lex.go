package execline

import (
	"fmt"
	"strings"
)

// SyntaxError is a script that execlineb refuses (it exits 100): Line,
// counted from 1, says where and Problem what.
type SyntaxError struct {
	Line    int
	Problem string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Problem) }

// Lex turns an execline script into the one command line execlineb would
// build from it (execlineb.html, "Syntax of scripts"; README "execline in
// vigil"):
//
//   - words are separated by whitespace: space, tab, newline, carriage
//     return and every other control character;
//   - "…" is one word, possibly empty, possibly spanning lines, in which
//     \a \b \t \n \v \f \r stand for those characters, \0xHH (one or two
//     hex digits), \0OOO (one to three octal digits) and \DDD (one to
//     three decimal digits, the first not 0) for the byte of that value,
//     which must be 1 to 255, a backslash-newline disappears, and a
//     backslash before any other character stands for that character;
//     quoted and unquoted parts of one word join (a"b c"d is "ab cd");
//   - outside quotes, a backslash stands for the character after it; a
//     backslash standing alone at the end of a line or of the input is
//     ignored;
//   - # starts a comment to the end of the line where a word could start
//     (so a #! first line is a comment); inside a word it is a letter;
//   - a word that is exactly { opens a block and } closes it: every word
//     inside gets one leading space per level of nesting, { disappears
//     and } becomes the empty word, quoted with the spaces of the level
//     it returns to. Blocks must match.
//
// A script with no words (comments only) gives an empty command line:
// the no-op that exits 0. A NUL byte anywhere is refused: execlineb would
// take it for the end of the script.
func Lex(data []byte) ([]string, error) {
	l := &lexer{data: data, line: 1}
	for {
		if err := l.skipSpace(); err != nil {
			return nil, err
		}
		if l.pos == len(l.data) {
			break
		}
		if err := l.word(); err != nil {
			return nil, err
		}
	}
	if n := len(l.opened); n > 0 {
		return nil, &SyntaxError{l.opened[n-1], "unmatched {: the block it opens is never closed"}
	}
	if l.words == nil {
		l.words = []string{}
	}
	return l.words, nil
}

// lexer is the state of one Lex.
type lexer struct {
	data   []byte
	pos    int
	line   int
	words  []string
	opened []int // the line of each { still open, innermost last
}

// isSpace says whether c separates words: every byte from 1 to 32, as in
// execlineb (NUL is refused apart).
func isSpace(c byte) bool { return c > 0 && c <= ' ' }

func (l *lexer) fail(line int, format string, args ...any) error {
	return &SyntaxError{line, fmt.Sprintf(format, args...)}
}

// skipSpace moves to the start of the next word, past whitespace,
// comments and standalone backslash-newlines.
func (l *lexer) skipSpace() error {
	for l.pos < len(l.data) {
		switch c := l.data[l.pos]; {
		case c == 0:
			return l.fail(l.line, "NUL byte in the script")
		case isSpace(c):
			l.advance()
		case c == '#':
			for l.pos < len(l.data) && l.data[l.pos] != '\n' {
				if l.data[l.pos] == 0 {
					return l.fail(l.line, "NUL byte in the script")
				}
				l.pos++
			}
		case c == '\\' && (l.pos+1 == len(l.data) || l.data[l.pos+1] == '\n'):
			l.pos++
			if l.pos < len(l.data) {
				l.advance()
			}
		default:
			return nil
		}
	}
	return nil
}

// advance steps over one byte, counting lines.
func (l *lexer) advance() {
	if l.data[l.pos] == '\n' {
		l.line++
	}
	l.pos++
}

// atWordEnd says whether the byte after pos ends a word there.
func (l *lexer) atWordEnd() bool {
	return l.pos+1 == len(l.data) || isSpace(l.data[l.pos+1])
}

// word reads the word that starts at pos: a brace, or a string.
func (l *lexer) word() error {
	level := len(l.opened)
	switch c := l.data[l.pos]; {
	case c == '{' && l.atWordEnd():
		l.opened = append(l.opened, l.line)
		l.pos++
		return nil
	case c == '}' && l.atWordEnd():
		if level == 0 {
			return l.fail(l.line, "unmatched }: no block is open")
		}
		l.opened = l.opened[:level-1]
		l.words = append(l.words, strings.Repeat(" ", level-1))
		l.pos++
		return nil
	}
	w := []byte(strings.Repeat(" ", level))
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		switch {
		case c == 0:
			return l.fail(l.line, "NUL byte in the script")
		case isSpace(c):
			l.words = append(l.words, string(w))
			return nil
		case c == '"':
			var err error
			if w, err = l.quoted(w); err != nil {
				return err
			}
		case c == '\\':
			if l.pos+1 == len(l.data) {
				return l.fail(l.line, "backslash at the end of the script, inside a word")
			}
			l.pos++
			if l.data[l.pos] == 0 {
				return l.fail(l.line, "NUL byte in the script")
			}
			w = append(w, l.data[l.pos])
			l.advance()
		default:
			w = append(w, c)
			l.pos++
		}
	}
	l.words = append(l.words, string(w))
	return nil
}

// quoted appends to w the quoted string that starts at pos (on its ") and
// moves past its closing ".
func (l *lexer) quoted(w []byte) ([]byte, error) {
	start := l.line
	l.pos++
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		switch c {
		case 0:
			return nil, l.fail(l.line, "NUL byte in the script")
		case '"':
			l.pos++
			return w, nil
		case '\\':
			l.pos++
			var err error
			if w, err = l.escape(w, start); err != nil {
				return nil, err
			}
		default:
			w = append(w, c)
			l.advance()
		}
	}
	return nil, l.fail(start, "unterminated quoted string: no closing \"")
}

// controls maps the letter of a quoted \a \b \t \n \v \f \r to its byte.
var controls = map[byte]byte{'a': 7, 'b': 8, 't': 9, 'n': 10, 'v': 11, 'f': 12, 'r': 13}

// escape appends to w what the backslash sequence at pos (just past the
// backslash) stands for in a quoted string that opened on line start.
func (l *lexer) escape(w []byte, start int) ([]byte, error) {
	if l.pos == len(l.data) {
		return nil, l.fail(start, "unterminated quoted string: no closing \"")
	}
	c := l.data[l.pos]
	switch {
	case c == 0:
		return nil, l.fail(l.line, "NUL byte in the script")
	case c == '\n':
		l.advance()
		return w, nil
	case controls[c] != 0:
		l.pos++
		return append(w, controls[c]), nil
	case c == '0' && l.pos+1 < len(l.data) && l.data[l.pos+1] == 'x':
		l.pos += 2
		return l.number(w, `\0x`, 16, 2)
	case c == '0':
		l.pos++
		return l.number(w, `\0`, 8, 3)
	case c >= '1' && c <= '9':
		return l.number(w, `\`, 10, 3)
	}
	l.pos++
	return append(w, c), nil
}

// number appends the byte that up to max digits of base at pos stand for,
// after the escape prefix; at least one digit is needed, and the value
// must be 1 to 255 (a word cannot hold a NUL).
func (l *lexer) number(w []byte, prefix string, base, max int) ([]byte, error) {
	value, n := 0, 0
	for n < max && l.pos < len(l.data) {
		d := digit(l.data[l.pos])
		if d < 0 || d >= base {
			break
		}
		value = value*base + d
		l.pos++
		n++
	}
	if n == 0 {
		return nil, l.fail(l.line, "%s in a quoted string is not followed by a digit of base %d", prefix, base)
	}
	if value == 0 || value > 255 {
		return nil, l.fail(l.line, "%s%s in a quoted string is %d: a byte must be 1 to 255",
			prefix, l.data[l.pos-n:l.pos], value)
	}
	return append(w, byte(value)), nil
}

// digit is the value of c as a hex digit, or -1.
func digit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// Quote returns word as an execline quoted string that Lex reads back as
// exactly word (which must not hold a NUL byte): it is how a command line
// is written into a script.
func Quote(word string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(word); i++ {
		if c := word[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(word[i])
	}
	b.WriteByte('"')
	return b.String()
}
