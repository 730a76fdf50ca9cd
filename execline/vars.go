package execline

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/vigil-init/vigil/reaper"
)

// importas [ -i | -D default ] [ -u ] [ -S ] [ -s ] [ -C | -c ] [ -N | -n ]
// [ -d delim ] variable envvar prog…: substitute the value of envvar for
// variable in prog…, then exec it (importas.html).
type importas struct {
	prog          string
	key, envvar   string
	def           *string // -D: the value when envvar is unset
	insist, unset bool    // -i, -u
	tr            transform
	rest          []string
}

func parseImportas(inv invocation, args []string) (command, error) {
	const usage = "importas [ -i | -D default ] [ -u ] [ -S ] [ -s ] [ -C | -c ] [ -N | -n ] [ -d delim ] variable envvar prog..."
	opts, args, err := Getopt(args, "iuD:SNnsCcd:")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	c := &importas{prog: inv.name, tr: newTransform()}
	same := false
	for _, o := range opts {
		switch o.Letter {
		case 'i':
			c.insist = true
		case 'u':
			c.unset = true
		case 'D':
			c.def = &o.Arg
		case 'S':
			same = true
		default:
			c.tr.option(o)
		}
	}
	n := 2
	if same {
		n = 1
	}
	if len(args) < n {
		return nil, &usageError{"too few arguments", usage}
	}
	c.key, c.envvar, c.rest = args[0], args[n-1], args[n:]
	if c.key == "" {
		return nil, errors.New("bad substitution key: empty")
	}
	return c, nil
}

func (c *importas) chain() ([][]string, []string) { return nil, c.rest }

func (c *importas) run() int {
	env := os.Environ()
	value, set := lookupEnv(env, c.envvar)
	switch {
	case !set && c.insist:
		return fatal(c.prog, exitUsage, "%s not set", c.envvar)
	case !set && c.def != nil:
		value, set = *c.def, true
	case set && c.unset:
		env = unsetenv(env, c.envvar)
	}
	var values []string
	if set {
		var err error
		if values, err = c.tr.apply(value); err != nil {
			return fatal(c.prog, exitSys, "substitute %s: %v", c.key, err)
		}
	}
	return execNext(c.prog, substitute(c.rest, []subst{{c.key, values}}), env)
}

// define [ -s ] [ -C | -c ] [ -N | -n ] [ -d delim ] variable value prog…:
// substitute value for variable in prog…, then exec it (define.html).
type define struct {
	prog       string
	key, value string
	tr         transform
	rest       []string
}

func parseDefine(inv invocation, args []string) (command, error) {
	const usage = "define [ -s ] [ -C | -c ] [ -N | -n ] [ -d delim ] variable value prog..."
	opts, args, err := Getopt(args, "NnsCcd:")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	c := &define{prog: inv.name, tr: newTransform()}
	for _, o := range opts {
		c.tr.option(o)
	}
	if len(args) < 2 {
		return nil, &usageError{"too few arguments", usage}
	}
	c.key, c.value, c.rest = args[0], args[1], args[2:]
	if c.key == "" {
		return nil, errors.New("bad substitution key: empty")
	}
	return c, nil
}

func (c *define) chain() ([][]string, []string) { return nil, c.rest }

func (c *define) run() int {
	values, err := c.tr.apply(c.value)
	if err != nil {
		return fatal(c.prog, exitSys, "substitute %s: %v", c.key, err)
	}
	return execNext(c.prog, substitute(c.rest, []subst{{c.key, values}}), os.Environ())
}

// What backtick does when the block fails or writes a NUL byte.
const (
	keepOutput    = iota // -I: what was read, up to a NUL
	useDefault           // -x (unset) or -D default
	exitOnFailure        // -i, the default: exit
)

// backtick [ -i | -I | -x | -D default ] [ -N | -n ] [ -E | -e ] variable
// { prog1… } prog2…: run prog1, put its output in variable, exec prog2
// (backtick.html).
type backtick struct {
	prog     string
	key      string
	onFail   int
	def      *string // with useDefault: nil unsets variable
	chomp    bool    // -n, the default: drop one newline at the end
	doImport bool    // -E: substitute variable and ? instead of exporting them
	block    []string
	rest     []string
}

func parseBacktick(inv invocation, args []string) (command, error) {
	const usage = "backtick [ -i | -I | -x | -D default ] [ -N | -n ] [ -E | -e ] variable { prog... } prog..."
	opts, args, err := Getopt(args, "iINnxD:Ee")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	c := &backtick{prog: inv.name, onFail: exitOnFailure, chomp: true}
	for _, o := range opts {
		switch o.Letter {
		case 'i':
			c.onFail = exitOnFailure
		case 'I':
			c.onFail = keepOutput
		case 'x':
			c.onFail, c.def = useDefault, nil
		case 'D':
			c.onFail, c.def = useDefault, &o.Arg
		case 'N', 'n':
			c.chomp = o.Letter == 'n'
		case 'E', 'e':
			c.doImport = o.Letter == 'E'
		}
	}
	if len(args) < 2 {
		return nil, &usageError{"too few arguments", usage}
	}
	c.key = args[0]
	if c.key == "" || strings.Contains(c.key, "=") {
		return nil, fmt.Errorf("invalid variable name %q", c.key)
	}
	if c.block, c.rest, err = readBlock(inv, args[1:]); err != nil {
		return nil, err
	}
	switch {
	case len(c.block) == 0:
		return nil, errors.New("empty block")
	case len(c.rest) == 0:
		return nil, errors.New("the command line after the block must not be empty")
	}
	return c, nil
}

func (c *backtick) chain() ([][]string, []string) { return [][]string{c.block}, c.rest }

func (c *backtick) run() int {
	env := os.Environ()
	out, e, err := c.capture(env)
	if err != nil {
		return fatal(c.prog, exitSys, "%v", err)
	}
	value, code := c.value(out, e)
	if code != 0 {
		return code
	}
	subs := []subst{}
	if value != nil {
		env = setenv(env, c.key, *value)
		subs = append(subs, subst{c.key, []string{*value}})
	} else {
		env = unsetenv(env, c.key)
	}
	// ? says how the block ended when the chain could go on after a failure.
	if c.onFail != exitOnFailure {
		status := itoa(waitStatus(e))
		env = setenv(env, "?", status)
		subs = append(subs, subst{"?", []string{status}})
	}
	if !c.doImport {
		return execNext(c.prog, c.rest, env)
	}
	for _, s := range subs {
		env = unsetenv(env, s.key)
	}
	return execNext(c.prog, substitute(c.rest, subs), env)
}

// value is what the variable gets from the block's output out and end e:
// nil to unset it; or the code to exit with, after a message.
func (c *backtick) value(out string, e reaper.Exit) (*string, int) {
	failed, nul := waitStatus(e) != 0, strings.IndexByte(out, 0)
	switch {
	case c.onFail == keepOutput:
		if nul >= 0 {
			out = out[:nul]
		}
	case failed && c.onFail == exitOnFailure:
		why := "child process exited non-zero"
		if e.Status.Signaled() {
			why = "child process crashed"
		}
		return nil, fatal(c.prog, approximate(e), "%s", why)
	case failed:
		return c.def, 0
	case nul >= 0 && c.onFail == exitOnFailure:
		return nil, fatal(c.prog, 124, "child process output contained a null character")
	case nul >= 0:
		warn(c.prog, "child process output contained a null character")
		return c.def, 0
	}
	if c.chomp {
		out = strings.TrimSuffix(out, "\n")
	}
	return &out, 0
}

// capture runs the block with its stdout into a pipe and returns what it
// wrote and how it ended.
func (c *backtick) capture(env []string) (string, reaper.Exit, error) {
	var p [2]int
	// Close-on-exec: the block gets the write end as its stdout only.
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return "", reaper.Exit{}, fmt.Errorf("pipe: %w", err)
	}
	pid, err := spawn(c.block, env, p[1])
	unix.Close(p[1])
	if err != nil {
		unix.Close(p[0])
		return "", reaper.Exit{}, fmt.Errorf("unable to spawn %s: %w", c.block[0], err)
	}
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(p[0], buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			unix.Close(p[0])
			reaper.Wait(pid)
			return "", reaper.Exit{}, fmt.Errorf("read the output of %s: %w", c.block[0], err)
		}
		if n == 0 {
			break
		}
		out = append(out, buf[:n]...)
	}
	unix.Close(p[0])
	e, err := reaper.Wait(pid)
	return string(out), e, err
}
