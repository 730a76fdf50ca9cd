package client

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/process"
)

// flags parses the command's flags (before its names) and returns the
// remaining arguments; ok is false after a usage error was reported.
func (c *command) flags(define func(*flag.FlagSet)) (rest []string, ok bool) {
	fs := flag.NewFlagSet("vigil "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	if err := fs.Parse(c.args); err != nil {
		c.usageError(err)
		return nil, false
	}
	return fs.Args(), true
}

func (c *command) status() int {
	var asJSON bool
	names, ok := c.flags(func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "JSON output") })
	if !ok {
		return exitUsage
	}
	resp, err := c.call(control.Request{Command: control.CmdStatus, Names: names})
	if err != nil {
		return c.fail(err)
	}
	if asJSON {
		c.stdout.Write(control.ServicesJSON(resp.Services))
		return exitOK
	}
	printStatus(c.stdout, resp.Services)
	return exitOK
}

// printStatus writes the status table: one aligned line per service.
func printStatus(w io.Writer, svcs []control.Service) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tPID\tUPTIME\tREADY\tRESTARTS\tLAST EXIT")
	for _, s := range svcs {
		pid, uptime, ready, last := "-", "-", "no", "-"
		if s.Pid != 0 {
			pid = strconv.Itoa(s.Pid)
			uptime = (time.Duration(s.UptimeMs) * time.Millisecond).Round(time.Second).String()
		}
		if s.Ready {
			ready = "yes"
		}
		if s.LastExit != "" {
			last = s.LastExit
		}
		if s.Fault != "" {
			last += " (" + s.Fault + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", s.Name, s.State, pid, uptime, ready, s.Restarts, last)
	}
	tw.Flush()
}

// change is start, stop and restart: ask, then wait until done.
func (c *command) change() int {
	var timeout time.Duration
	names, ok := c.flags(func(fs *flag.FlagSet) {
		fs.DurationVar(&timeout, "timeout", control.DefaultWait, "longest wait")
	})
	if !ok {
		return exitUsage
	}
	if len(names) == 0 {
		return c.usageError(errors.New("no service named"))
	}
	_, err := c.call(control.Request{Command: c.name, Names: names, TimeoutMs: timeout.Milliseconds()})
	if err != nil {
		return c.fail(err)
	}
	return exitOK
}

func (c *command) signal() int {
	if len(c.args) < 2 {
		return c.usageError(errors.New("want a signal and at least one service"))
	}
	if _, err := process.ParseSignal(c.args[0]); err != nil {
		return c.usageError(err)
	}
	_, err := c.call(control.Request{Command: control.CmdSignal, Signal: c.args[0], Names: c.args[1:]})
	if err != nil {
		return c.fail(err)
	}
	return exitOK
}

func (c *command) wait() int {
	var up, ready, down bool
	var timeout time.Duration
	names, ok := c.flags(func(fs *flag.FlagSet) {
		fs.BoolVar(&up, "up", false, "wait until running")
		fs.BoolVar(&ready, "ready", false, "wait until ready")
		fs.BoolVar(&down, "down", false, "wait until down")
		fs.DurationVar(&timeout, "timeout", 0, "longest wait; none: as long as it can be reached")
	})
	if !ok {
		return exitUsage
	}
	var chosen []string
	for flag, until := range map[string]bool{control.UntilUp: up, control.UntilReady: ready, control.UntilDown: down} {
		if until {
			chosen = append(chosen, flag)
		}
	}
	switch {
	case len(chosen) != 1:
		return c.usageError(errors.New("want exactly one of --up, --ready, --down"))
	case len(names) == 0:
		return c.usageError(errors.New("no service named"))
	}
	until := chosen[0]
	_, err := c.call(control.Request{Command: control.CmdWait, Until: until, Names: names, TimeoutMs: timeout.Milliseconds()})
	if err != nil {
		return c.fail(err)
	}
	return exitOK
}

func (c *command) halt() int {
	code := 0
	switch len(c.args) {
	case 0:
	case 1:
		n, err := strconv.Atoi(c.args[0])
		if err != nil || n < 0 || n > 255 {
			return c.usageError(fmt.Errorf("exit code %q: want 0 to 255", c.args[0]))
		}
		code = n
	default:
		return c.usageError(errors.New("want at most one exit code"))
	}
	if _, err := c.call(control.Request{Command: control.CmdHalt, Code: code}); err != nil {
		return c.fail(err)
	}
	return exitOK
}

func (c *command) check() int {
	if len(c.args) > 0 {
		return c.usageError(errors.New("takes no arguments"))
	}
	resp, err := c.call(control.Request{Command: control.CmdCheck})
	if err != nil {
		if len(resp.Problems) > 0 {
			err = fmt.Errorf("%w: %s", err, strings.Join(resp.Problems, "; "))
		}
		return c.fail(err)
	}
	fmt.Fprintln(c.stdout, "healthy")
	return exitOK
}

func (c *command) reload() int {
	if len(c.args) > 0 {
		return c.usageError(errors.New("takes no arguments"))
	}
	resp, err := c.call(control.Request{Command: control.CmdReload})
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "added: %s\nremoved: %s\n", list(resp.Added), list(resp.Removed))
	return exitOK
}

func list(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, " ")
}
