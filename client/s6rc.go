package client

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/execline"
)

const rcUsage = "s6-rc [ -l live ] [ -b ] [ -a ] [ -u | -d | -D ] [ -v verbosity ] [ -t timeout ] help|list|change [ servicenames... ]"

// s6-rc's exit codes besides 0, 100 and 111.
const (
	rcFailed  = 1 // a transition failed
	rcTimeout = 2
	rcUnknown = 3 // an unknown service name
)

// rcArgs is an s6-rc command line, read.
type rcArgs struct {
	active    bool // -a: the services that are up join the selection
	down      bool // -d, -D
	verbosity int
	timeout   time.Duration // -t; 0 is no limit
	sub       string
	names     []string
}

func parseRc(args []string) (rcArgs, error) {
	a := rcArgs{verbosity: 1}
	opts, rest, err := execline.Getopt(args, "l:bauDdpv:n:t:")
	if err != nil {
		return a, err
	}
	for _, o := range opts {
		switch o.Letter {
		case 'l', 'b': // the live directory, and the lock: vigil has one of each
		case 'a':
			a.active = true
		case 'u':
			a.down = false
		case 'd', 'D':
			a.down = true
		case 'v':
			if a.verbosity, err = count('v', o.Arg); err != nil {
				return a, err
			}
		case 't':
			if a.timeout, err = millis('t', o.Arg); err != nil {
				return a, err
			}
		case 'p':
			return a, errors.New("option -p (prune) is not supported by vigil")
		case 'n':
			return a, errors.New("option -n (dry run) is not supported by vigil")
		}
	}
	if len(rest) == 0 {
		return a, errors.New("no subcommand given")
	}
	a.sub, a.names = rest[0], rest[1:]
	switch a.sub {
	case "help", "list", "change":
	case "listall", "diff":
		return a, fmt.Errorf("subcommand %s is not supported by vigil", a.sub)
	default:
		return a, fmt.Errorf("unknown subcommand %q", a.sub)
	}
	return a, nil
}

// rc is the part of s6-rc that images call: `s6-rc -a list` (the
// services that are up, one per line), `s6-rc -u change NAMES` (vigil
// start: up with what they need, waiting until ready) and `s6-rc -d
// change NAMES` (vigil stop: down with what needs them). Names pass
// through as they are: vigil resolves them. "Up" for -a is vigil's state
// up (running and ready). -v 2 says what starts and stops, as s6-rc does.
// Exit 0 done, 1 a service failed, 2 timed out, 3 an unknown name, 100
// usage, 111 no vigil answering.
func (t *tool) rc() int {
	a, err := parseRc(t.args)
	if err != nil {
		return t.usage(err, rcUsage)
	}
	if a.sub == "help" {
		fmt.Fprintln(t.stdout, "s6-rc: usage: "+rcUsage)
		return 0
	}
	all, err := t.status(nil)
	if err != nil {
		return t.fatal(s6System, "%v", err)
	}
	selection := a.names
	if a.active {
		for _, st := range all {
			if st.State == "up" && !slices.Contains(selection, st.Name) {
				selection = append(selection, st.Name)
			}
		}
	}
	if a.sub == "list" {
		return t.rcList(a, selection, all)
	}
	return t.rcChange(a, selection, all)
}

// rcList prints the selection, or with -d every service but it.
func (t *tool) rcList(a rcArgs, selection []string, all []control.Service) int {
	if len(a.names) > 0 {
		if _, err := t.status(a.names); err != nil {
			return t.fatal(rcUnknown, "%v", err)
		}
	}
	if !a.down {
		for _, name := range selection {
			fmt.Fprintln(t.stdout, name)
		}
		return 0
	}
	for _, st := range all {
		if !slices.Contains(selection, st.Name) {
			fmt.Fprintln(t.stdout, st.Name)
		}
	}
	return 0
}

// rcChange brings the selection up or down and waits until done.
func (t *tool) rcChange(a rcArgs, selection []string, all []control.Service) int {
	if len(selection) == 0 {
		return 0
	}
	cmd, doing, done := control.CmdStart, "starting", "successfully started"
	if a.down {
		cmd, doing, done = control.CmdStop, "stopping", "successfully stopped"
	}
	changing := t.changing(selection, all, a.down)
	if a.verbosity >= 2 {
		for _, name := range changing {
			fmt.Fprintf(t.stderr, "s6-rc: info: service %s: %s\n", name, doing)
		}
	}
	err := t.timed(control.Request{Command: cmd, Names: selection, TimeoutMs: timeoutMs(a.timeout)}, a.timeout)
	switch {
	case errors.Is(err, errTimeout):
		return t.fatal(rcTimeout, "%v", err)
	case errors.Is(err, control.ErrUnreachable):
		return t.fatal(s6System, "%v", err)
	case err != nil:
		if _, serr := t.status(a.names); errors.Is(serr, errUnknown) {
			return t.fatal(rcUnknown, "%v", err)
		}
		return t.fatal(rcFailed, "%v", err)
	}
	if a.verbosity >= 2 {
		for _, name := range changing {
			fmt.Fprintf(t.stderr, "s6-rc: info: service %s: %s\n", name, done)
		}
	}
	return 0
}

// changing names the services of selection not yet in the state asked:
// up, or down with nothing of them left running.
func (t *tool) changing(selection []string, all []control.Service, down bool) []string {
	var out []string
	for _, name := range selection {
		i := slices.IndexFunc(all, func(st control.Service) bool { return st.Name == name })
		switch {
		case i < 0:
			out = append(out, name) // not a service vigil lists: vigil resolves it
		case down && all[i].State != "down" && all[i].State != "failed":
			out = append(out, name)
		case !down && all[i].State != "up":
			out = append(out, name)
		}
	}
	return out
}
