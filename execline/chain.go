package execline

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// exec [ -c ] [ -l ] [ -a argv0 ] prog…: exec prog with an empty
// environment (-c), a dash before argv[0] (-l), or another argv[0] (-a)
// (exec.html).
type execCmd struct {
	prog  string
	empty bool
	dash  bool
	argv0 *string
	rest  []string
}

func parseExec(inv invocation, args []string) (command, error) {
	const usage = "exec [ -c ] [ -l ] [ -a argv0 ] prog..."
	opts, args, err := Getopt(args, "cla:")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	c := &execCmd{prog: inv.name, rest: args}
	for _, o := range opts {
		switch o.Letter {
		case 'c':
			c.empty = true
		case 'l':
			c.dash = true
		case 'a':
			c.argv0 = &o.Arg
		}
	}
	if len(args) == 0 {
		return nil, &usageError{"no program", usage}
	}
	return c, nil
}

func (c *execCmd) chain() ([][]string, []string) { return nil, c.rest }

func (c *execCmd) run() int {
	env := os.Environ()
	if c.empty {
		env = []string{}
	}
	argv := append([]string(nil), c.rest...)
	if c.argv0 != nil {
		argv[0] = *c.argv0
	}
	if c.dash {
		argv[0] = "-" + argv[0]
	}
	return execAs(c.prog, c.rest[0], argv, env)
}

// simple is a builtin that does one thing, then execs the rest of its
// command line: cd, umask, export, unexport, fdclose, fdmove, fdswap.
type simple struct {
	prog string
	do   func() (code int, env []string) // code != 0: exit with it
	rest []string
}

func (c *simple) chain() ([][]string, []string) { return nil, c.rest }

func (c *simple) run() int {
	code, env := c.do()
	if code != 0 {
		return code
	}
	return execNext(c.prog, c.rest, env)
}

// cd dir prog… (execline-cd.html).
func parseCd(inv invocation, args []string) (command, error) {
	if len(args) < 2 {
		return nil, &usageError{"too few arguments", inv.name + " dir prog..."}
	}
	dir := args[0]
	return &simple{inv.name, func() (int, []string) {
		if err := os.Chdir(dir); err != nil {
			return fatal(inv.name, exitSys, "unable to chdir to %s: %v", dir, errors.Unwrap(err)), nil
		}
		return 0, os.Environ()
	}, args[1:]}, nil
}

// umask mask prog…, mask in octal (execline-umask.html).
func parseUmask(inv invocation, args []string) (command, error) {
	usage := inv.name + " mask prog..."
	if len(args) < 2 {
		return nil, &usageError{"too few arguments", usage}
	}
	mask, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil || strings.TrimLeft(args[0], "01234567") != "" {
		return nil, &usageError{"mask " + strconv.Quote(args[0]) + " is not an octal number", usage}
	}
	return &simple{inv.name, func() (int, []string) {
		syscall.Umask(int(mask & 0o777))
		return 0, os.Environ()
	}, args[1:]}, nil
}

// export var value prog… (export.html).
func parseExport(inv invocation, args []string) (command, error) {
	if len(args) < 3 {
		return nil, &usageError{"too few arguments", "export variable value prog..."}
	}
	name, value := args[0], args[1]
	if strings.Contains(name, "=") {
		return nil, errors.New("invalid variable name: " + name)
	}
	return &simple{inv.name, func() (int, []string) {
		return 0, setenv(os.Environ(), name, value)
	}, args[2:]}, nil
}

// unexport var prog… (unexport.html).
func parseUnexport(inv invocation, args []string) (command, error) {
	if len(args) < 2 {
		return nil, &usageError{"too few arguments", "unexport variable prog..."}
	}
	name := args[0]
	if strings.Contains(name, "=") {
		return nil, errors.New("invalid variable name: " + name)
	}
	return &simple{inv.name, func() (int, []string) {
		return 0, unsetenv(os.Environ(), name)
	}, args[1:]}, nil
}

// exit [ n ]: exit n, 0 without it (exit.html). Further words are ignored.
type exitCmd struct{ code int }

func parseExit(inv invocation, args []string) (command, error) {
	if len(args) == 0 {
		return &exitCmd{0}, nil
	}
	n, ok := parseUint(args[0])
	if !ok {
		return nil, &usageError{strconv.Quote(args[0]) + " is not a number", "exit [ exitcode ]"}
	}
	return &exitCmd{int(n & 0xff)}, nil
}

func (c *exitCmd) chain() ([][]string, []string) { return nil, nil }
func (c *exitCmd) run() int                      { return c.code }

// emptyenv [ -p ] prog…, emptyenv -c prog…, emptyenv [ -o ] [ -P ] prog…
// (emptyenv.html): clear the environment (keeping PATH with -p), or
// remove only execline's own variables (-c), or pop the positional
// parameters (-P) and elgetopt's variables (-o).
type emptyenv struct {
	prog                      string
	path, clean, getopt, args bool
	rest                      []string
}

func parseEmptyenv(inv invocation, args []string) (command, error) {
	const usage = "emptyenv [ -p | -c | -o | -P ] prog..."
	opts, args, err := Getopt(args, "pcoP")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	c := &emptyenv{prog: inv.name, rest: args}
	for _, o := range opts {
		switch o.Letter {
		case 'p':
			c.path = true
		case 'c':
			c.clean = true
		case 'o':
			c.getopt = true
		case 'P':
			c.args = true
		}
	}
	if len(args) == 0 {
		return nil, &usageError{"no program", usage}
	}
	return c, nil
}

func (c *emptyenv) chain() ([][]string, []string) { return nil, c.rest }

func (c *emptyenv) run() int {
	env := os.Environ()
	switch {
	case c.clean:
		env = cleanEnv(env)
	case c.getopt || c.args:
		var prefixes []string
		if c.args {
			prefixes = positionalNames
		}
		if c.getopt {
			prefixes = append(prefixes, "ELGETOPT_")
		}
		env = popEnv(env, prefixes)
	default:
		kept := []string{}
		if path, ok := lookupEnv(env, "PATH"); ok && c.path {
			kept = append(kept, "PATH="+path)
		}
		env = kept
	}
	return execNext(c.prog, c.rest, env)
}

// cleanEnv removes from env what execline's programs put there: ! and ?,
// and every variable named ELGETOPT_…, EXECLINE_…, FD…, #… or starting
// with a digit.
func cleanEnv(env []string) []string {
	out := []string{}
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if name == "!" || name == "?" || strings.HasPrefix(kv, "ELGETOPT_") || strings.HasPrefix(kv, "EXECLINE_") ||
			strings.HasPrefix(kv, "FD") || strings.HasPrefix(kv, "#") || (kv != "" && kv[0] >= '0' && kv[0] <= '9') {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// positionalNames are the prefixes of the variables execlineb pushes and
// emptyenv -P pops: #, 0 to 9 (el_pushenv.html).
var positionalNames = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "#"}

// stackVar is a variable of the positional stack: NAME (plain) or
// NAME:depth.
type stackVar struct {
	base, value string
	depth       uint64
	plain       bool
}

// stacked reads kv as a variable of the stack whose names start with one
// of prefixes; ok is false for any other (no prefix, or NAME:x).
func stacked(kv string, prefixes []string) (v stackVar, ok bool) {
	i := -1
	for _, p := range prefixes {
		if strings.HasPrefix(kv, p) {
			i = len(p)
			break
		}
	}
	eq := strings.IndexByte(kv, '=')
	if i < 0 || eq < i {
		return v, false
	}
	name := kv[:eq]
	v.value = kv[eq+1:]
	colon := strings.IndexByte(name[i:], ':')
	if colon < 0 {
		v.base, v.plain = name, true
		return v, true
	}
	v.base = name[:i+colon]
	v.depth, ok = parseUint(name[i+colon+1:])
	return v, ok
}

// pushEnv renames every variable of the stack one level down: NAME to
// NAME:1, NAME:n to NAME:n+1.
func pushEnv(env []string, prefixes []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if v, ok := stacked(kv, prefixes); ok {
			kv = v.base + ":" + strconv.FormatUint(v.depth+1, 10) + "=" + v.value
		}
		out = append(out, kv)
	}
	return out
}

// popEnv undoes pushEnv: NAME is removed, NAME:1 becomes NAME, NAME:n
// NAME:n-1 (NAME:0 stays).
func popEnv(env []string, prefixes []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		v, ok := stacked(kv, prefixes)
		switch {
		case !ok || v.depth == 0 && !v.plain:
		case v.plain:
			continue
		case v.depth == 1:
			kv = v.base + "=" + v.value
		default:
			kv = v.base + ":" + strconv.FormatUint(v.depth-1, 10) + "=" + v.value
		}
		out = append(out, kv)
	}
	return out
}
