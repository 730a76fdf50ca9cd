package execline

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// s6-echo [ -n ] [ -s sep ] args…: print args separated by the first
// byte of sep (a space by default), then a newline unless -n
// (s6-portable-utils' s6-echo.html).
type echo struct {
	prog    string
	sep     string
	newline bool
	args    []string
}

func parseEcho(inv invocation, args []string) (command, error) {
	opts, args, err := Getopt(args, "ns:")
	if err != nil {
		return nil, &usageError{err.Error(), "s6-echo [ -n ] [ -s sep ] args..."}
	}
	c := &echo{prog: inv.name, sep: " ", newline: true, args: args}
	for _, o := range opts {
		switch o.Letter {
		case 'n':
			c.newline = false
		case 's':
			// Only the first byte counts; an empty sep is a NUL byte, as
			// s6-echo reads the string's first char.
			c.sep = (o.Arg + "\x00")[:1]
		}
	}
	return c, nil
}

func (c *echo) chain() ([][]string, []string) { return nil, nil }

func (c *echo) run() int {
	out := strings.Join(c.args, c.sep)
	if c.newline {
		out += "\n"
	}
	if _, err := os.Stdout.WriteString(out); err != nil {
		return fatal(c.prog, exitSys, "unable to write to stdout: %v", err)
	}
	return 0
}

// s6-sleep [ -m ] duration prog…: sleep duration seconds, or
// milliseconds with -m, then exec prog (s6-sleep.html).
type sleep struct {
	prog string
	d    time.Duration
	rest []string
}

func parseSleep(inv invocation, args []string) (command, error) {
	const usage = "s6-sleep [ -m ] duration [ prog... ]"
	opts, args, err := Getopt(args, "m")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	if len(args) == 0 {
		return nil, &usageError{"no duration", usage}
	}
	n, ok := parseUint(args[0])
	if !ok {
		return nil, &usageError{"duration " + strconv.Quote(args[0]) + " is not a number", usage}
	}
	unit := time.Second
	if len(opts) > 0 {
		unit = time.Millisecond
	}
	return &sleep{inv.name, time.Duration(n) * unit, args[1:]}, nil
}

func (c *sleep) chain() ([][]string, []string) { return nil, c.rest }

func (c *sleep) run() int {
	time.Sleep(c.d)
	return execNext(c.prog, c.rest, os.Environ())
}
