package client

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/execline"
)

// forever stands for s6's timeout 0 ("no limit") in a request, which
// needs a number.
const forever = 10 * 365 * 24 * time.Hour

// timeoutMs is d as a request's timeout_ms: 0 (s6's "no limit") is forever.
func timeoutMs(d time.Duration) int64 {
	if d == 0 {
		d = forever
	}
	return d.Milliseconds()
}

const svcUsage = "s6-svc [ -wu | -wU | -wd | -wD | -wr | -wR ] [ -T timeout ] [ -abqhkti12pcyroduDUxOQ ] servicedir..."

// svcSignals are s6-svc's letters that send a signal.
var svcSignals = map[byte]string{
	'a': "ALRM", 'b': "ABRT", 'q': "QUIT", 'h': "HUP", 'k': "KILL", 't': "TERM",
	'i': "INT", '1': "USR1", '2': "USR2", 'p': "STOP", 'c': "CONT", 'y': "WINCH",
}

// svcArgs is an s6-svc command line, read.
type svcArgs struct {
	cmds    []byte        // the command letters, in order
	wait    byte          // -w's letter (u, U, d, D, r, R), 0 without
	timeout time.Duration // -T: the longest wait; 0 is no limit
	dirs    []string
}

func parseSvc(args []string) (svcArgs, error) {
	var a svcArgs
	opts, rest, err := execline.Getopt(args, "abqhkti12pcyroduDUxOQT:w:")
	if err != nil {
		return a, err
	}
	for _, o := range opts {
		switch o.Letter {
		case 'T':
			if a.timeout, err = millis('T', o.Arg); err != nil {
				return a, err
			}
		case 'w':
			if len(o.Arg) != 1 || !strings.Contains("uUdDrR", o.Arg) {
				return a, fmt.Errorf("option -w%s: want -wu, -wU, -wd, -wD, -wr or -wR", o.Arg)
			}
			a.wait = o.Arg[0]
		case 'o':
			return a, errors.New("option -o (once) is not supported: vigil has no run-once mode, and would restart the service when it exits")
		default:
			a.cmds = append(a.cmds, o.Letter)
		}
	}
	if (a.wait == 'r' || a.wait == 'R') && !slices.Contains(a.cmds, 'r') {
		return a, fmt.Errorf("option -w%c without -r is not supported: vigil waits only for a restart it was asked for", a.wait)
	}
	if len(rest) == 0 {
		return a, errors.New("no service directory given")
	}
	a.dirs = rest
	return a, nil
}

// svc is s6-svc: the commands, in order, each to every service named, then
// the wait. Exit 0 done, 1 the wait timed out or cannot succeed, 100 usage
// or no such service (s6: no supervisor listening), 111 a command failed.
//
// Mapped onto vigil: -u/-U start and -d/-D stop without waiting (the down
// file is not touched: vigil's stop keeps the service down until started,
// and at the next boot the image's down file decides); -r restarts a
// service that runs (vigil's restart: down-signal, finish, start at once)
// and leaves one that does not alone; a signal goes to the service's
// process group, and only when it runs, as s6 does nothing to a down
// service; -x does nothing, as there is no per-service supervisor to
// exit; -O and -Q only warn that the service will be restarted when it
// exits (vigil has no run-once mode), as refusing them would fail the run
// scripts that call `s6-svc -O .` before they exec their daemon.
// -wd waits like -wD (until finish is done too); -wr and -wR, with -r, wait
// until the restarted service is ready.
func (t *tool) svc() int {
	a, err := parseSvc(t.args)
	if err != nil {
		return t.usage(err, svcUsage)
	}
	names, err := t.serviceNames(a.dirs)
	if err != nil {
		return t.usage(err, svcUsage)
	}
	if _, err := t.status(names); err != nil {
		return t.fatal(s6Usage, "unable to control %s: %v", strings.Join(a.dirs, " "), err)
	}
	for _, c := range a.cmds {
		if err := t.svcCommand(c, names, a); err != nil {
			if errors.Is(err, errTimeout) {
				return t.fatal(1, "%v", err)
			}
			return t.fatal(s6System, "unable to control %s: %v", strings.Join(a.dirs, " "), err)
		}
	}
	until := map[byte]string{'u': control.UntilUp, 'U': control.UntilReady, 'd': control.UntilDown, 'D': control.UntilDown}[a.wait]
	if until == "" {
		return 0 // no wait, or -wr/-wR, which the restart did
	}
	if err := t.wait(names, until, a.timeout); err != nil {
		return t.fatal(1, "%v", err)
	}
	return 0
}

// errTimeout is a wait that ran out of time.
var errTimeout = errors.New("timed out")

// svcCommand applies one s6-svc letter to the services.
func (t *tool) svcCommand(c byte, names []string, a svcArgs) error {
	switch c {
	case 'u', 'U':
		_, err := t.call(control.Request{Command: control.CmdStart, Names: names, NoWait: true})
		return err
	case 'd', 'D':
		_, err := t.call(control.Request{Command: control.CmdStop, Names: names, NoWait: true})
		return err
	case 'r':
		running, err := t.running(names)
		if err != nil || len(running) == 0 {
			return err
		}
		if a.wait == 'r' || a.wait == 'R' { // vigil's restart waits until ready again
			return t.timed(control.Request{Command: control.CmdRestart, Names: running, TimeoutMs: timeoutMs(a.timeout)}, a.timeout)
		}
		_, err = t.call(control.Request{Command: control.CmdRestart, Names: running, NoWait: true})
		return err
	case 'x':
		return nil
	case 'O', 'Q':
		t.warn("-%c (once) is not supported: vigil restarts %s when it exits", c, strings.Join(names, ", "))
		return nil
	}
	running, err := t.running(names)
	if err != nil || len(running) == 0 {
		return err
	}
	_, err = t.call(control.Request{Command: control.CmdSignal, Signal: svcSignals[c], Names: running})
	return err
}

// running returns those of names whose run is running now.
func (t *tool) running(names []string) ([]string, error) {
	sts, err := t.status(names)
	if err != nil {
		return nil, err
	}
	var up []string
	for _, st := range sts {
		if st.Pid != 0 {
			up = append(up, st.Name)
		}
	}
	return up, nil
}

// wait asks vigil to wait until every named service reaches until, at
// most d (0: no limit).
func (t *tool) wait(names []string, until string, d time.Duration) error {
	return t.timed(control.Request{Command: control.CmdWait, Names: names, Until: until, TimeoutMs: timeoutMs(d)}, d)
}

// timed sends a request that waits at most d (0: no limit) and tells a
// timeout (errTimeout) from the other failures by the time it took: vigil
// answers a wait it gave up on only once its time is up.
func (t *tool) timed(req control.Request, d time.Duration) error {
	start := time.Now()
	_, err := t.call(req)
	if err != nil && d > 0 && time.Since(start) >= d && !errors.Is(err, control.ErrUnreachable) {
		return fmt.Errorf("%w: %v", errTimeout, err)
	}
	return err
}

// svok is s6-svok DIR: exit 0 if vigil supervises the service, 1 if not
// (or no vigil answers), 100 on usage.
func (t *tool) svok() int {
	if len(t.args) != 1 {
		return t.usage(errors.New("want one service directory"), "s6-svok servicedir")
	}
	names, err := t.serviceNames(t.args)
	if err != nil {
		return 1
	}
	if _, err := t.status(names); err != nil {
		return 1
	}
	return 0
}
