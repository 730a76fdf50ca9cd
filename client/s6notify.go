package client

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-init/vigil/execline"
	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/reaper"
	"golang.org/x/sys/unix"
)

const notifyUsage = `s6-notifyoncheck [ -d ] [ -3 fd ] [ -s initialsleep ] [ -T globaltimeout ] [ -t localtimeout ] [ -w waitingtime ] [ -n tries ] [ -c "checkprog..." ] prog...`

// The checker's exit codes, as s6's (nobody reads them: its parent is
// prog, or vigil).
const (
	checkReady    = 0
	checkGaveUp   = 1 // every try failed
	checkProgDied = 2
	checkTimedOut = 3
)

// The descriptors the checker gets: the notification fd, and a pidfd of
// prog (closed when the kernel has no pidfds).
const (
	checkerNotifyFD = 3
	checkerPidFD    = 4
)

// notifyArgs is an s6-notifyoncheck command line, read.
type notifyArgs struct {
	double bool // -d: the checker is prog's grandchild, not its child
	fd     int  // -3; -1: read ./notification-fd
	probe  probe
	check  []string // the check's argv: ./data/check, or -c's words
	argv   []string // prog
}

// probe is how the checker polls: s6's times, 0 standing for "no limit"
// for global, local and wait.
type probe struct {
	initial, global, local, wait time.Duration
	tries                        int // 0: no limit
}

// set reads one of the probe's options (-s -T -t -w -n), as
// s6-notifyoncheck and its checker both take them.
func (p *probe) set(letter byte, arg string) (err error) {
	switch letter {
	case 's':
		p.initial, err = millis(letter, arg)
	case 'T':
		p.global, err = millis(letter, arg)
	case 't':
		p.local, err = millis(letter, arg)
	case 'w':
		p.wait, err = millis(letter, arg)
	case 'n':
		p.tries, err = count(letter, arg)
	}
	return err
}

func parseNotify(args []string) (notifyArgs, error) {
	a := notifyArgs{fd: -1, probe: probe{initial: 10 * time.Millisecond, wait: time.Second, tries: 7}, check: []string{"./data/check"}}
	opts, rest, err := execline.Getopt(args, "d3:s:T:t:w:n:c:")
	if err != nil {
		return a, err
	}
	for _, o := range opts {
		switch o.Letter {
		case 'd':
			a.double = true
		case '3':
			a.fd, err = count('3', o.Arg)
		case 's', 'T', 't', 'w', 'n':
			err = a.probe.set(o.Letter, o.Arg)
		case 'c':
			if a.check, err = execline.Lex([]byte(o.Arg)); err == nil && len(a.check) == 0 {
				err = fmt.Errorf("option -c %q: no command", o.Arg)
			}
		}
		if err != nil {
			return a, err
		}
	}
	if len(rest) == 0 {
		return a, errors.New("no program given")
	}
	a.argv = rest
	return a, nil
}

// notifyOnCheck is s6-notifyoncheck: it starts a checker, then execs prog,
// which so keeps the service's pid. The checker runs the check
// (./data/check, or -c's command line) after -s ms, then every -w ms, until
// it exits 0: then it writes a newline to the notification fd (-3, or the
// number in ./notification-fd: the service directory is the working
// directory) and exits. It gives up after -n failed tries (0: never), after
// -T ms in all, or when prog exits; a check still running after -t ms is
// killed and counts as failed.
//
// Go cannot fork without exec, so the checker is this binary executed
// again as NotifyCheckName, with the notification fd and a pidfd of this
// process (prog to be) as descriptors 3 and 4; with -d it goes through a
// middle process that exits at once, so that the checker is not prog's
// child. It stays in the service's process group, so that a stop of the
// service ends it and its check. Exit (before the exec) 100 usage, 111 a
// system call failed; after it, prog's.
func (t *tool) notifyOnCheck() int {
	a, err := parseNotify(t.args)
	if err != nil {
		return t.usage(err, notifyUsage)
	}
	if a.fd < 0 {
		if a.fd, err = readNotificationFD("notification-fd"); err != nil {
			if errors.Is(err, errInvalid) {
				return t.fatal(s6Usage, "%v", err)
			}
			return t.fatal(s6System, "%v", err)
		}
	}
	if _, err := unix.FcntlInt(uintptr(a.fd), unix.F_GETFD, 0); err != nil {
		return t.fatal(s6System, "notification-fd %d sanity check failed: %v", a.fd, err)
	}
	if err := startChecker(a); err != nil {
		return t.fatal(s6System, "%v", err)
	}
	unix.Close(a.fd) // prog holds no write end: only the checker says ready
	err = execline.Exec(a.argv, os.Environ())
	return t.fatal(process.FailureCode(err), "%v", err)
}

// errInvalid is a ./notification-fd that holds no number.
var errInvalid = errors.New("invalid")

// readNotificationFD reads the number in a notification-fd file.
func readNotificationFD(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read ./%s: %w", path, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	n, err := strconv.ParseUint(line, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("%w ./%s: %q is not a descriptor number", errInvalid, path, line)
	}
	return int(n), nil
}

// checkerArgs is the checker's command line for a: its own flags, then the
// check's argv.
func checkerArgs(a notifyArgs) []string {
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	args := []string{NotifyCheckName}
	if a.double {
		args = append(args, "-d")
	}
	args = append(args, "-p", strconv.Itoa(os.Getpid()),
		"-s", ms(a.probe.initial), "-T", ms(a.probe.global), "-t", ms(a.probe.local),
		"-w", ms(a.probe.wait), "-n", strconv.Itoa(a.probe.tries), "--")
	return append(args, a.check...)
}

// startChecker starts the checker, and with -d waits for the middle
// process (which has started the checker when it exits) so that prog
// inherits no child.
func startChecker(a notifyArgs) error {
	pidfd, err := unix.PidfdOpen(os.Getpid(), 0) // close-on-exec: prog does not keep it
	if err != nil {
		pidfd = -1 // an old kernel: the checker looks for prog's pid instead
	} else {
		defer unix.Close(pidfd)
	}
	files := append(process.Stdio(), uintptr(a.fd), process.Closed)
	if pidfd >= 0 {
		files[checkerPidFD] = uintptr(pidfd)
	}
	pid, err := process.Start(checkerArgs(a), process.Attr{Path: process.SelfExe(), Env: os.Environ(), Files: files, KeepGroup: true})
	if err != nil {
		return fmt.Errorf("start checker: %w", err)
	}
	if a.double {
		ws, err := reaperWaitStatus(pid)
		if err != nil {
			return fmt.Errorf("wait for the checker's middle process: %w", err)
		}
		if ws.ExitStatus() != 0 {
			return fmt.Errorf("the checker's middle process exited %d (it says why above)", ws.ExitStatus())
		}
	}
	return nil
}

// notifyChecker is the checker's main (NotifyCheckName). With -d it is
// the middle process: it starts the checker proper and exits.
func (t *tool) notifyChecker() int {
	opts, check, err := execline.Getopt(t.args, "dp:s:T:t:w:n:")
	if err != nil || len(check) == 0 {
		return t.fatal(s6Usage, "internal to vigil's s6-notifyoncheck: %v %q", err, t.args)
	}
	var c checker
	var double bool
	for _, o := range opts {
		switch o.Letter {
		case 'd':
			double = true
		case 'p':
			c.prog, err = count('p', o.Arg)
		default:
			err = c.probe.set(o.Letter, o.Arg)
		}
		if err != nil {
			return t.fatal(s6Usage, "internal to vigil's s6-notifyoncheck: %v", err)
		}
	}
	if double {
		args := append([]string{NotifyCheckName}, t.args[1:]...) // without -d, which comes first
		// Descriptor 4 is closed when the kernel has no pidfds.
		_, err := process.Start(args, process.Attr{Path: process.SelfExe(), Env: os.Environ(), Files: process.Inherit(checkerPidFD + 1), KeepGroup: true})
		if err != nil {
			return t.fatal(s6System, "start checker: %v", err)
		}
		return 0
	}
	t.name = "s6-notifyoncheck (child)"
	unix.CloseOnExec(checkerNotifyFD) // the checks hold neither
	unix.CloseOnExec(checkerPidFD)
	c.check, c.progDone = check, watchProg(c.prog)
	c.notify = func() error {
		_, err := unix.Write(checkerNotifyFD, []byte("\n"))
		return err
	}
	c.warn = t.warn
	return c.run()
}

// watchProg returns a channel closed once prog has exited: when its pidfd
// (descriptor 4) becomes readable, or, without one, when kill(pid, 0)
// finds no such process (looked at every 100 ms).
func watchProg(pid int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := unix.FcntlInt(checkerPidFD, unix.F_GETFD, 0); err == nil {
			fds := []unix.PollFd{{Fd: checkerPidFD, Events: unix.POLLIN}}
			for {
				if _, err := unix.Poll(fds, -1); err != unix.EINTR {
					return
				}
			}
		}
		for unix.Kill(pid, 0) != unix.ESRCH {
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return done
}

// checker polls a check program until it succeeds.
type checker struct {
	probe
	prog     int      // prog's pid, for messages and the fallback watch
	check    []string // argv
	progDone <-chan struct{}
	notify   func() error // writes the newline
	warn     func(format string, args ...any)
}

// run is the checker's loop, as s6-notifyoncheck's: sleep (initial first,
// then wait), run the check, wait for it (at most local), until a check
// exits 0, tries are used up, global runs out or prog exits.
func (c *checker) run() int {
	var global <-chan time.Time
	if c.global > 0 {
		global = time.After(c.global)
	}
	sleep := c.initial
	for try := 0; c.tries == 0 || try < c.tries; try++ {
		var pause <-chan time.Time // nil: -w 0, wait for nothing but the end
		if try == 0 || c.wait > 0 {
			pause = time.After(sleep)
		}
		select {
		case <-pause:
		case <-c.progDone:
			return checkProgDied
		case <-global:
			return checkTimedOut
		}
		sleep = c.wait
		if code, done := c.try(global); done {
			return code
		}
	}
	return checkGaveUp
}

// try runs the check once; done reports that the checker is finished, with
// code.
func (c *checker) try(global <-chan time.Time) (code int, done bool) {
	pid, err := startCheck(c.check)
	if err != nil {
		c.warn("spawn %s: %v", c.check[0], err)
		return 0, false
	}
	exited := make(chan unix.WaitStatus, 1)
	go func() {
		ws, _ := reaperWaitStatus(pid)
		exited <- ws
	}()
	var local <-chan time.Time
	if c.local > 0 {
		local = time.After(c.local)
	}
	select {
	case ws := <-exited:
		if ws.Exited() && ws.ExitStatus() == 0 {
			if err := c.notify(); err != nil {
				c.warn("write to the notification fd: %v", err)
			}
			return checkReady, true
		}
		return 0, false
	case <-local:
		unix.Kill(pid, unix.SIGKILL)
		<-exited
		return 0, false
	case <-c.progDone:
		unix.Kill(pid, unix.SIGTERM)
		return checkProgDied, true
	case <-global:
		unix.Kill(pid, unix.SIGTERM)
		return checkTimedOut, true
	}
}

// startCheck starts the check with the checker's stdio, directory and
// environment, in the service's process group, so that stopping the
// service stops it.
func startCheck(argv []string) (int, error) {
	return process.Start(argv, process.Attr{Env: os.Environ(), Files: process.Stdio(), KeepGroup: true})
}

// reaperWaitStatus waits for child pid (a helper process: never PID 1).
func reaperWaitStatus(pid int) (unix.WaitStatus, error) {
	e, err := reaper.Wait(pid)
	return e.Status, err
}
