package boot

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// stopSignals start the shutdown; the CMD gets the same signal first.
var stopSignals = []os.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGQUIT}

// forwardSignals go to the CMD's process group (SPEC §3). Real-time
// signals are added by notifySignals.
var forwardSignals = []os.Signal{
	unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH, unix.SIGALRM,
	unix.SIGCONT, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU, unix.SIGPWR,
}

// The real-time signals vigil forwards. glibc reserves 32 and 33, so its
// SIGRTMIN is 34, but the Go runtime reserves 34 too (musl's SIGSYNCCALL,
// golang/go#39343): it leaves 34 at its default action and signal.Notify
// cannot catch it. So 35 (SIGRTMIN+1) to 64 are forwarded; 34 is dropped by
// the kernel when vigil is PID 1 and ends vigil otherwise.
const (
	glibcRTMin = 34 // SIGRTMIN as C programs see it; names count from it
	sigRTMin   = 35
	sigRTMax   = 64
)

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
	for n := sigRTMin; n <= sigRTMax; n++ {
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
	return ok && n >= sigRTMin && n <= sigRTMax
}
