package client

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/execline"
)

const svwaitUsage = "s6-svwait [ -U | -u | -D | -d | -r | -R ] [ -a | -o ] [ -t timeout ] servicedir..."

// s6-svwait's exit codes besides 0, 100 and 111 (and n, the number of
// services that failed for good).
const (
	svwaitTimeout = 99
	svwaitGone    = 102 // the supervisor died: vigil stopped answering
)

// svwaitArgs is an s6-svwait command line, read.
type svwaitArgs struct {
	until   string        // control.UntilUp, UntilReady or UntilDown
	any     bool          // -o: one service is enough
	timeout time.Duration // -t; 0 is no limit
	dirs    []string
}

func parseSvwait(args []string) (svwaitArgs, error) {
	a := svwaitArgs{until: control.UntilUp}
	opts, rest, err := execline.Getopt(args, "UuDdrRaot:")
	if err != nil {
		return a, err
	}
	for _, o := range opts {
		switch o.Letter {
		case 'u':
			a.until = control.UntilUp
		case 'U':
			a.until = control.UntilReady
		case 'd', 'D':
			a.until = control.UntilDown
		case 'r', 'R':
			return a, fmt.Errorf("option -%c is not supported: vigil cannot wait for a restart it was not asked for", o.Letter)
		case 'a':
			a.any = false
		case 'o':
			a.any = true
		case 't':
			if a.timeout, err = millis('t', o.Arg); err != nil {
				return a, err
			}
		}
	}
	if len(rest) == 0 {
		return a, errors.New("no service directory given")
	}
	a.dirs = rest
	return a, nil
}

// svwait is s6-svwait: wait until the services (all, or with -o one of
// them) are up (-u, the default), up and ready (-U), or down (-d, -D:
// both wait until finish is done too, as vigil's wait --down does). Exit
// 0 reached, 99 timed out, n when n services waited up for are down for
// good, 102 when vigil went away, 100 usage, 111 no such service.
func (t *tool) svwait() int {
	a, err := parseSvwait(t.args)
	if err != nil {
		return t.usage(err, svwaitUsage)
	}
	names, err := t.serviceNames(a.dirs)
	if err != nil {
		return t.usage(err, svwaitUsage)
	}
	if _, err := t.status(names); err != nil {
		return t.fatal(s6System, "unable to wait for %s: %v", strings.Join(a.dirs, " "), err)
	}
	groups := [][]string{names}
	if a.any {
		groups = nil
		for _, n := range names {
			groups = append(groups, []string{n})
		}
	}
	errs := make(chan error, len(groups))
	for _, g := range groups {
		go func() { errs <- t.wait(g, a.until, a.timeout) }()
	}
	var last error
	for range groups {
		last = <-errs
		if last == nil && a.any {
			return 0
		}
		if last != nil && !a.any {
			break
		}
	}
	if last == nil {
		return 0
	}
	if errors.Is(last, errTimeout) {
		return t.fatal(svwaitTimeout, "%v", last)
	}
	if n := t.downForGood(names, a.until); n > 0 {
		return t.fatal(n, "%v", last)
	}
	return t.fatal(svwaitGone, "%v", last)
}

// downForGood counts the services that cannot come up any more: failed,
// down for good until started again (a service merely stopped is waited
// for: someone may start it). Waiting down, none.
func (t *tool) downForGood(names []string, until string) int {
	if until == control.UntilDown {
		return 0
	}
	sts, err := t.status(names)
	if err != nil {
		return 0
	}
	n := 0
	for _, st := range sts {
		if st.State == "failed" {
			n++
		}
	}
	return n
}
