package execline

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// eltest expression…: exit 0 if the expression is true, 1 if false
// (eltest.html): test(1) with -a and -o (-a binding tighter, both
// short-circuit), ! and parentheses, at any length. A word that is an
// operator is always one; a word starting with a backslash is data, the
// backslash dropped.
type eltest struct {
	prog string
	expr testExpr // nil: no expression, false
}

// testExpr evaluates to the truth of an expression, or an error (a
// number that is not one, a bad regular expression).
type testExpr func() (bool, error)

// Operators of eltest taking one and two data words.
var (
	unaryTests = map[string]func(string) (bool, error){
		"-n": func(s string) (bool, error) { return s != "", nil },
		"-z": func(s string) (bool, error) { return s == "", nil },
		"-e": func(s string) (bool, error) { return unix.Access(s, unix.F_OK) == nil, nil },
		"-r": func(s string) (bool, error) { return unix.Access(s, unix.R_OK) == nil, nil },
		"-w": func(s string) (bool, error) { return unix.Access(s, unix.W_OK) == nil, nil },
		"-x": func(s string) (bool, error) { return unix.Access(s, unix.X_OK) == nil, nil },
		"-f": statTest(false, func(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFREG }),
		"-d": statTest(false, func(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFDIR }),
		"-b": statTest(false, func(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFBLK }),
		"-c": statTest(false, func(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFCHR }),
		"-p": statTest(false, func(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFIFO }),
		"-S": statTest(false, func(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFSOCK }),
		"-h": statTest(true, func(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFLNK }),
		"-L": statTest(true, func(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFLNK }),
		"-g": statTest(false, func(st *unix.Stat_t) bool { return st.Mode&unix.S_ISGID != 0 }),
		"-u": statTest(false, func(st *unix.Stat_t) bool { return st.Mode&unix.S_ISUID != 0 }),
		"-k": statTest(false, func(st *unix.Stat_t) bool { return st.Mode&unix.S_ISVTX != 0 }),
		"-s": statTest(false, func(st *unix.Stat_t) bool { return st.Size > 0 }),
		"-N": statTest(false, func(st *unix.Stat_t) bool { return timeCmp(st.Mtim, st.Atim) > 0 }),
		"-O": statTest(false, func(st *unix.Stat_t) bool { return int(st.Uid) == os.Geteuid() }),
		"-U": statTest(false, func(st *unix.Stat_t) bool { return int(st.Uid) == os.Geteuid() }),
		"-G": statTest(false, func(st *unix.Stat_t) bool { return int(st.Gid) == os.Getegid() }),
		"-v": func(s string) (bool, error) { _, ok := os.LookupEnv(s); return ok, nil },
		"-t": func(s string) (bool, error) {
			fd, ok := parseFd(s)
			if !ok {
				return false, errors.New("-t requires an integer argument")
			}
			_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
			return err == nil, nil
		},
	}
	binaryTests = map[string]func(a, b string) (bool, error){
		"=":   func(a, b string) (bool, error) { return a == b, nil },
		"!=":  func(a, b string) (bool, error) { return a != b, nil },
		"<":   func(a, b string) (bool, error) { return a < b, nil },
		"<=":  func(a, b string) (bool, error) { return a <= b, nil },
		">":   func(a, b string) (bool, error) { return a > b, nil },
		">=":  func(a, b string) (bool, error) { return a >= b, nil },
		"-eq": numTest("-eq", func(a, b int64) bool { return a == b }),
		"-ne": numTest("-ne", func(a, b int64) bool { return a != b }),
		"-gt": numTest("-gt", func(a, b int64) bool { return a > b }),
		"-ge": numTest("-ge", func(a, b int64) bool { return a >= b }),
		"-lt": numTest("-lt", func(a, b int64) bool { return a < b }),
		"-le": numTest("-le", func(a, b int64) bool { return a <= b }),
		"-nt": func(a, b string) (bool, error) { return fileCmp(a, b, 1, true, false) },
		"-ot": func(a, b string) (bool, error) { return fileCmp(a, b, -1, false, true) },
		"-ef": func(a, b string) (bool, error) {
			var s1, s2 unix.Stat_t
			if unix.Stat(a, &s1) != nil {
				return false, nil
			}
			if unix.Stat(b, &s2) != nil {
				return true, nil // as eltest does
			}
			return s1.Dev == s2.Dev && s1.Ino == s2.Ino, nil
		},
		"=~": func(a, b string) (bool, error) {
			re, err := regexp.Compile(b)
			if err != nil {
				return false, fmt.Errorf("unable to compile %s into a regular expression: %v", b, err)
			}
			return re.MatchString(a), nil
		},
	}
)

// statTest is a test on the stat (lstat with link) of a file; a file
// that cannot be stat'ed fails it.
func statTest(link bool, f func(*unix.Stat_t) bool) func(string) (bool, error) {
	return func(path string) (bool, error) {
		var st unix.Stat_t
		stat := unix.Stat
		if link {
			stat = unix.Lstat
		}
		return stat(path, &st) == nil && f(&st), nil
	}
}

// fileCmp compares the mtimes of a and b: want the sign of a against b;
// ifNoA and ifNoB are the answers when one cannot be stat'ed.
func fileCmp(a, b string, want int, ifNoB, ifNoA bool) (bool, error) {
	var s1, s2 unix.Stat_t
	if unix.Stat(a, &s1) != nil {
		return ifNoA, nil
	}
	if unix.Stat(b, &s2) != nil {
		return ifNoB, nil
	}
	return timeCmp(s1.Mtim, s2.Mtim) == want, nil
}

// timeCmp compares two times as cmp.Compare does.
func timeCmp(a, b unix.Timespec) int {
	if c := cmp.Compare(a.Sec, b.Sec); c != 0 {
		return c
	}
	return cmp.Compare(a.Nsec, b.Nsec)
}

// numTest is an integer comparison; like skalibs' int_scan, a number is
// its leading [+-]digits (3x is 3), and a word with none is an error.
func numTest(op string, f func(a, b int64) bool) func(a, b string) (bool, error) {
	return func(a, b string) (bool, error) {
		x, ok1 := leadingInt(a)
		y, ok2 := leadingInt(b)
		if !ok1 || !ok2 {
			return false, errors.New(op + " requires integer arguments")
		}
		return f(x, y), nil
	}
}

func leadingInt(s string) (int64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:j], 10, 32)
	if err != nil {
		// Out of an int's range: the nearest int.
		n = math.MaxInt32
		if s[0] == '-' {
			n = math.MinInt32
		}
	}
	return n, true
}

// isTestOperator says whether word is one of eltest's operators.
func isTestOperator(word string) bool {
	switch word {
	case "!", "-a", "-o", "(", ")":
		return true
	}
	return unaryTests[word] != nil || binaryTests[word] != nil
}

// testParser reads an eltest expression from words.
type testParser struct {
	words []string
	pos   int
}

func (p *testParser) fail() error { return fmt.Errorf("parse error at argument %d", p.pos) }

func (p *testParser) peek() string {
	if p.pos < len(p.words) {
		return p.words[p.pos]
	}
	return ""
}

// data reads a data word: not an operator, a leading backslash dropped.
func (p *testParser) data() (string, error) {
	if p.pos == len(p.words) || isTestOperator(p.words[p.pos]) {
		return "", p.fail()
	}
	w := strings.TrimPrefix(p.words[p.pos], `\`)
	p.pos++
	return w, nil
}

// or: and { -o and }.
func (p *testParser) or() (testExpr, error) {
	return p.chain("-o", p.and, func(a, b testExpr) testExpr {
		return func() (bool, error) {
			if ok, err := a(); ok || err != nil {
				return ok, err
			}
			return b()
		}
	})
}

// and: not { -a not }.
func (p *testParser) and() (testExpr, error) {
	return p.chain("-a", p.not, func(a, b testExpr) testExpr {
		return func() (bool, error) {
			if ok, err := a(); !ok || err != nil {
				return false, err
			}
			return b()
		}
	})
}

// chain reads term { op term }, joined left to right.
func (p *testParser) chain(op string, term func() (testExpr, error), join func(a, b testExpr) testExpr) (testExpr, error) {
	e, err := term()
	for err == nil && p.pos < len(p.words) && p.words[p.pos] == op {
		p.pos++
		var r testExpr
		if r, err = term(); err == nil {
			e = join(e, r)
		}
	}
	return e, err
}

// not: ! not | atom.
func (p *testParser) not() (testExpr, error) {
	if p.pos == len(p.words) || p.words[p.pos] != "!" {
		return p.atom()
	}
	p.pos++
	e, err := p.not()
	if err != nil {
		return nil, err
	}
	return func() (bool, error) { ok, err := e(); return !ok, err }, nil
}

// atom: ( or ) | unary data | data binary data | data.
func (p *testParser) atom() (testExpr, error) {
	w := p.peek()
	switch {
	case p.pos == len(p.words):
		return nil, p.fail()
	case w == "(":
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.pos == len(p.words) || p.words[p.pos] != ")" {
			return nil, p.fail()
		}
		p.pos++
		return e, nil
	case unaryTests[w] != nil:
		p.pos++
		d, err := p.data()
		if err != nil {
			return nil, err
		}
		return func() (bool, error) { return unaryTests[w](d) }, nil
	}
	a, err := p.data()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if p.pos == len(p.words) || binaryTests[op] == nil {
		return func() (bool, error) { return a != "", nil }, nil
	}
	p.pos++
	b, err := p.data()
	if err != nil {
		return nil, err
	}
	return func() (bool, error) { return binaryTests[op](a, b) }, nil
}

func parseEltest(inv invocation, args []string) (command, error) {
	c := &eltest{prog: inv.name}
	if len(args) == 0 {
		return c, nil
	}
	p := &testParser{words: args}
	e, err := p.or()
	if err == nil && p.pos < len(args) {
		err = p.fail()
	}
	if err != nil {
		return nil, err
	}
	c.expr = e
	return c, nil
}

func (c *eltest) chain() ([][]string, []string) { return nil, nil }

func (c *eltest) run() int {
	if c.expr == nil {
		return 1
	}
	ok, err := c.expr()
	switch {
	case err != nil:
		return fatal(c.prog, exitUsage, "%v", err)
	case ok:
		return 0
	}
	return 1
}
