package execline

import (
	"errors"
	"fmt"
	"os"

	"github.com/vigil-init/vigil/process"
)

// How execlineb hands the script its arguments (execlineb.html).
const (
	argsPush      = iota // default: push the positional variables, then set #, 0, 1…
	argsOverwrite        // -p: set them without pushing
	argsIgnore           // -P: none
	argsSubst            // -S n: substitute $0 $1… $# $@, at least n of them
	argsShift            // -s n: same, $@ being the args after the first n
)

// execlineb [ -q | -w | -W ] [ -p | -P | -S n | -s n ] { -c script |
// file } [ args… ]: read a script, make one command line of it, exec it
// (execlineb.html).
type execlineb struct {
	prog    string
	dollar0 string   // $0: the file, or execlineb as called with -c
	file    string   // "" with -c
	argv    []string // the script's command line, lexed at parse with -c
	args    []string
	mode    int
	nmin    int
	strict  int // -q 0, -w 1, -W 2; -1 leaves EXECLINE_STRICT alone
}

func parseExeclineb(inv invocation, args []string) (command, error) {
	const usage = "execlineb [ -q | -w | -W ] [ -p | -P | -S nmin | -s nmin ] [ -c script ] [ file ] [ args... ]"
	opts, args, err := Getopt(args, "pPqwWc:S:s:")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	c := &execlineb{prog: inv.name, dollar0: inv.argv0, strict: -1}
	script := (*string)(nil)
	for _, o := range opts {
		switch o.Letter {
		case 'p':
			c.mode = argsOverwrite
		case 'P':
			c.mode = argsIgnore
		case 'q', 'w', 'W':
			c.strict = map[byte]int{'q': 0, 'w': 1, 'W': 2}[o.Letter]
		case 'c':
			script = &o.Arg
		case 'S', 's':
			n, ok := parseUint(o.Arg)
			if !ok {
				return nil, &usageError{fmt.Sprintf("-%c %q is not a number", o.Letter, o.Arg), usage}
			}
			c.nmin, c.mode = int(n), map[byte]int{'S': argsSubst, 's': argsShift}[o.Letter]
		}
	}
	if script != nil {
		if c.argv, err = Lex([]byte(*script)); err != nil {
			return nil, fmt.Errorf("-c script: %w", err)
		}
	} else {
		if len(args) == 0 {
			return nil, &usageError{"no script", usage}
		}
		c.file, c.dollar0, args = args[0], args[0], args[1:]
	}
	c.args = args
	return c, nil
}

// chain is the script given with -c; a file is read only when it runs.
func (c *execlineb) chain() ([][]string, []string) { return nil, c.argv }

func (c *execlineb) run() int {
	argv := c.argv
	if c.file != "" {
		data, err := os.ReadFile(c.file)
		if err != nil {
			return fatal(c.prog, exitSys, "unable to open %s: %v", c.file, errors.Unwrap(err))
		}
		if argv, err = Lex(data); err != nil {
			return fatal(c.prog, exitUsage, "%s: %v", c.file, err)
		}
	}
	if len(argv) == 0 {
		return 0
	}
	env := os.Environ()
	switch c.mode {
	case argsSubst, argsShift:
		if len(c.args) < c.nmin && c.strict != 0 {
			if c.strict == 2 {
				return fatal(c.prog, exitUsage, "too few arguments: expecting at least %d but got %d", c.nmin, len(c.args))
			}
			warn(c.prog, "too few arguments: expecting at least %d but got %d", c.nmin, len(c.args))
		}
		argv = substitute(argv, positionals(c.dollar0, c.args, c.nmin, c.mode == argsShift))
	case argsPush:
		env = pushEnv(env, positionalNames)
	}
	return execNext(c.prog, argv, process.ApplyEnv(env, c.changes()))
}

// changes are what the script's environment gets: EXECLINE_STRICT as -q,
// -w or -W say, and the positional variables unless -P, -S or -s.
func (c *execlineb) changes() []process.EnvEntry {
	var changes []process.EnvEntry
	switch c.strict {
	case 0:
		changes = append(changes, process.EnvEntry{Name: "EXECLINE_STRICT", Unset: true})
	case 1, 2:
		changes = append(changes, process.EnvEntry{Name: "EXECLINE_STRICT", Value: itoa(c.strict)})
	}
	if c.mode != argsPush && c.mode != argsOverwrite {
		return changes
	}
	changes = append(changes, process.EnvEntry{Name: "#", Value: itoa(len(c.args))},
		process.EnvEntry{Name: "0", Value: c.dollar0})
	for i, a := range c.args {
		changes = append(changes, process.EnvEntry{Name: itoa(i + 1), Value: a})
	}
	return changes
}
