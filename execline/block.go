package execline

import (
	"errors"
	"fmt"
	"os"

	"github.com/vigil-init/vigil/process"
)

// readBlock reads the block at the start of args (el_semicolon.html): its
// words, each unquoted of one leading space, up to the empty word that
// ends it; rest is what follows. A word without the space is taken as it
// is, with a warning under EXECLINE_STRICT=1 and refused under 2.
func readBlock(inv invocation, args []string) (block, rest []string, err error) {
	block = []string{}
	for i, a := range args {
		switch {
		case a == "":
			return block, args[i+1:], nil
		case a[0] == ' ':
			block = append(block, a[1:])
		case inv.strict >= 2:
			return nil, nil, fmt.Errorf("unquoted argument %q at block position %d", a, i)
		default:
			if inv.strict == 1 {
				warn(inv.name, "unquoted argument %s at block position %d", a, i)
			}
			block = append(block, a)
		}
	}
	return nil, nil, errors.New("unterminated block")
}

// foreground { prog1… } prog2…: run prog1, wait, set ? to its status
// (256+signal if killed), exec prog2 (foreground.html).
type foreground struct {
	prog        string
	block, rest []string
}

func parseForeground(inv invocation, args []string) (command, error) {
	block, rest, err := readBlock(inv, args)
	if err != nil {
		return nil, err
	}
	return &foreground{inv.name, block, rest}, nil
}

func (c *foreground) chain() ([][]string, []string) { return [][]string{c.block}, c.rest }

func (c *foreground) run() int {
	env := os.Environ()
	status := 0
	e, err := runBlock(c.block, env)
	var se *spawnError
	switch {
	case errors.As(err, &se):
		// foreground goes on, with ? the code a shell gives a program it
		// cannot start: 127 not found, 126 not executable (execline says
		// 127 for both).
		warn(c.prog, "%v", err)
		status = process.FailureCode(err)
	case err != nil:
		return fatal(c.prog, exitSys, "%v", err)
	default:
		status = waitStatus(e)
	}
	if len(c.rest) == 0 {
		return 0
	}
	return execNext(c.prog, c.rest, setenv(env, "?", itoa(status)))
}

// background { prog1… } prog2…: start prog1, set ! to its pid, exec
// prog2 without waiting (background.html).
type background struct {
	prog        string
	block, rest []string
}

func parseBackground(inv invocation, args []string) (command, error) {
	const usage = "background { prog... } [ prog... ]"
	opts, args, err := Getopt(args, "d")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	if len(opts) > 0 {
		return nil, &usageError{"option -d (double fork) is not supported by vigil", usage}
	}
	block, rest, err := readBlock(inv, args)
	if err != nil {
		return nil, err
	}
	if len(block) == 0 {
		return nil, errors.New("empty block")
	}
	return &background{inv.name, block, rest}, nil
}

func (c *background) chain() ([][]string, []string) { return [][]string{c.block}, c.rest }

func (c *background) run() int {
	env := os.Environ()
	pid, err := spawn(c.block, env, -1)
	if err != nil {
		return fatal(c.prog, exitSys, "unable to spawn %s: %v", c.block[0], err)
	}
	if len(c.rest) == 0 {
		return 0
	}
	return execNext(c.prog, c.rest, setenv(env, "!", itoa(pid)))
}

// test is a block run as a condition by if and ifelse.
type test struct {
	prog   string
	block  []string
	negate bool // -n
	crash  bool // -X: a crash is a failure, not a reason to exit
}

// passed runs the block and says whether the test passed, or returns the
// code to exit with when the block could not run or crashed.
func (t *test) passed() (ok bool, exit int, done bool) {
	e, err := runBlock(t.block, os.Environ())
	if err != nil {
		return false, fatal(t.prog, exitSys, "%v", err), true
	}
	if e.Status.Signaled() && !t.crash {
		return false, fatal(t.prog, 128+int(e.Status.Signal()), "child crashed with signal %d", e.Status.Signal()), true
	}
	return (approximate(e) == 0) != t.negate, approximate(e), false
}

// if [ -n ] [ -X ] [ -t | -x code ] { prog1… } prog2…: run prog1; exec
// prog2 if it succeeds, else exit with its approximated code (if.html).
type ifCmd struct {
	test
	fixed bool // -n, -t or -x: exit with code rather than prog1's
	code  int
	rest  []string
}

func parseIf(inv invocation, args []string) (command, error) {
	const usage = "if [ -n ] [ -X ] [ -t | -x exitcode ] { prog... } [ prog... ]"
	opts, args, err := Getopt(args, "nXtx:")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	c := &ifCmd{test: test{prog: inv.name}, code: 1}
	for _, o := range opts {
		switch o.Letter {
		case 'n':
			c.negate, c.fixed = true, true
		case 'X':
			c.crash = true
		case 't':
			c.code, c.fixed = 0, true
		case 'x':
			n, ok := parseUint(o.Arg)
			if !ok || n > 65535 {
				return nil, &usageError{fmt.Sprintf("-x %q is not a number", o.Arg), usage}
			}
			if n > 255 {
				return nil, errors.New("invalid exit code")
			}
			c.code, c.fixed = int(n), true
		}
	}
	if c.block, c.rest, err = readBlock(inv, args); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *ifCmd) chain() ([][]string, []string) { return [][]string{c.block}, c.rest }

func (c *ifCmd) run() int {
	ok, code, done := c.passed()
	switch {
	case done:
		return code
	case !ok && c.fixed:
		return c.code
	case !ok:
		return code
	}
	return execNext(c.prog, c.rest, os.Environ())
}

// ifelse [ -n ] [ -X ] { prog1… } { prog2… } prog3…: run prog1; exec
// prog2 if it succeeds, else prog3 (ifelse.html).
type ifelse struct {
	test
	then, otherwise []string
}

func parseIfelse(inv invocation, args []string) (command, error) {
	const usage = "ifelse [ -n ] [ -X ] { prog-if... } { prog-then... } [ prog-else... ]"
	opts, args, err := Getopt(args, "nX")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	c := &ifelse{test: test{prog: inv.name}}
	for _, o := range opts {
		c.negate = c.negate || o.Letter == 'n'
		c.crash = c.crash || o.Letter == 'X'
	}
	if c.block, args, err = readBlock(inv, args); err != nil {
		return nil, fmt.Errorf("if block: %w", err)
	}
	if len(args) == 0 {
		return nil, errors.New("then block required")
	}
	if c.then, c.otherwise, err = readBlock(inv, args); err != nil {
		return nil, fmt.Errorf("then block: %w", err)
	}
	return c, nil
}

func (c *ifelse) chain() ([][]string, []string) {
	return [][]string{c.block, c.then}, c.otherwise
}

func (c *ifelse) run() int {
	ok, code, done := c.passed()
	switch {
	case done:
		return code
	case ok:
		return execNext(c.prog, c.then, os.Environ())
	}
	return execNext(c.prog, c.otherwise, os.Environ())
}
