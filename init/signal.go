package boot

import (
	"os"
	"os/signal"
	"runtime"

	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

// stopSignals start the shutdown; the CMD gets the same signal first.
var stopSignals = []os.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGQUIT}

// forwardSignals go to the CMD's process group (README "Signals"). The
// real-time signals from process.FirstCatchableRT up are added by
// notifySignals: the Go runtime keeps 34 for itself.
var forwardSignals = []os.Signal{
	unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH, unix.SIGALRM,
	unix.SIGCONT, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU, unix.SIGPWR,
}

// signalBuffer is large so that a burst of forwarded signals is not dropped
// while the supervisor loop is busy: os/signal drops what does not fit.
const signalBuffer = 256

// notifySignals routes every signal vigil handles to one channel. It is the
// first thing boot mode does: until then a SIGTERM kills a Go program, even
// as PID 1. SIGCHLD is the reaper's; SIGURG is never asked for (the Go
// runtime preempts goroutines with it). SIGPIPE is caught so that a closed
// stdout or stderr makes a write fail with EPIPE instead of ending PID 1.
// Nothing is ever ignored with signal.Ignore: SIG_IGN survives exec into
// every child.
//
// Each signal signal.Notify enables is a round trip to the runtime's
// signal-mask thread: about 40 µs, 1.4 ms for the 44 signals. Only the
// signals that would end or stop vigil before they are asked for are
// registered before this returns (earlySignals); the others are asked for
// by a goroutine while the boot goes on (one at a time, so that the
// reaper's SIGCHLD does not wait for all of them), and awaitSignals holds
// the first child back until they are all in: no child ever runs with a
// signal missing. A forwarded signal that comes earlier, from outside,
// before any child exists, is dropped: the runtime ignores SIGUSR1,
// SIGUSR2, SIGALRM, SIGWINCH, SIGCONT, SIGPWR and the real-time signals it
// was not asked for, as it ignores one sent before vigil started. It never
// ends vigil, PID 1 or not.
func notifySignals() <-chan os.Signal {
	ch := make(chan os.Signal, signalBuffer)
	early, late := earlySignals(os.Getpid() == 1)
	signal.Notify(ch, early...)
	lateDone = make(chan struct{})
	go func() {
		defer close(lateDone)
		for _, sig := range late {
			signal.Notify(ch, sig)
			// Let a waiter take os/signal's lock between two: the reaper's
			// Notify(SIGCHLD) would otherwise wait up to a millisecond
			// (sync.Mutex hands over only to a starving waiter).
			runtime.Gosched()
		}
	}()
	return ch
}

// lateDone is closed once notifySignals has registered every signal.
var lateDone chan struct{}

// awaitSignals waits until every signal vigil handles is registered:
// before the services and the CMD start.
func awaitSignals() {
	if lateDone != nil {
		<-lateDone
	}
}

// earlySignals splits the signals vigil handles into those notifySignals
// registers before it returns and the rest. Early are the stop signals and
// SIGHUP (the runtime ends a Go program on them), SIGPIPE (a write to a
// closed stderr would end vigil), and, when vigil is not PID 1, the job
// control stops SIGTSTP, SIGTTIN and SIGTTOU (the runtime leaves them at
// their default action, which stops the process; the kernel does not
// deliver them to PID 1 at their default).
func earlySignals(pid1 bool) (early, late []os.Signal) {
	early = append([]os.Signal{unix.SIGPIPE, unix.SIGHUP}, stopSignals...)
	for _, sig := range forwardSignals {
		switch {
		case sig == unix.SIGHUP:
		case !pid1 && (sig == unix.SIGTSTP || sig == unix.SIGTTIN || sig == unix.SIGTTOU):
			early = append(early, sig)
		default:
			late = append(late, sig)
		}
	}
	for n := process.FirstCatchableRT; n <= process.RTMax; n++ {
		late = append(late, unix.Signal(n))
	}
	return early, late
}

// isStopSignal reports whether sig starts the shutdown.
func isStopSignal(sig os.Signal) bool {
	for _, s := range stopSignals {
		if s == sig {
			return true
		}
	}
	return false
}

// isForwarded reports whether sig goes to the CMD's process group.
func isForwarded(sig os.Signal) bool {
	for _, s := range forwardSignals {
		if s == sig {
			return true
		}
	}
	n, ok := sig.(unix.Signal)
	return ok && n >= process.FirstCatchableRT && n <= process.RTMax
}
