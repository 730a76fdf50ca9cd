package boot

import (
	"os"
	"os/signal"

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
func notifySignals() <-chan os.Signal {
	ch := make(chan os.Signal, signalBuffer)
	sigs := append(append([]os.Signal{unix.SIGPIPE}, stopSignals...), forwardSignals...)
	for n := process.FirstCatchableRT; n <= process.RTMax; n++ {
		sigs = append(sigs, unix.Signal(n))
	}
	signal.Notify(ch, sigs...)
	return ch
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
