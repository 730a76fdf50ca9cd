package process

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The real-time signals, named as programs name them. The kernel's first
// real-time signal is 32, but glibc and musl keep 32 and 33 for their
// threads, so SIGRTMIN in every C program (and kill -l) is 34.
//
// The Go runtime reserves 34 as well (musl's SIGSYNCCALL, golang/go#39343):
// it leaves it at its default action and signal.Notify cannot catch it. So
// FirstCatchableRT, 35, is the first real-time signal vigil can receive.
const (
	RTMin            = 34
	RTMax            = 64
	FirstCatchableRT = RTMin + 1
	sigMax           = 64 // _NSIG - 1 on Linux
)

// signalAliases are the names of signals that unix.SignalNum does not know:
// the second names of signals it lists under another.
var signalAliases = map[string]unix.Signal{
	"IOT":  unix.SIGABRT,
	"CLD":  unix.SIGCHLD,
	"POLL": unix.SIGIO,
}

// SignalForm is the accepted form, for error messages.
const SignalForm = "want a name like TERM or SIGQUIT, RTMIN+N, RTMAX-N, or a number 1..64"

// ParseSignal parses a signal as written in a down-signal file or on the
// command line: a name with or without "SIG" in any case ("TERM",
// "SIGQUIT", "hup"), "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (RTMIN is 34,
// RTMAX 64), or a number from 1 to 64. Surrounding space is not accepted:
// callers trim file contents first.
func ParseSignal(s string) (unix.Signal, error) {
	if s != "" && isDigits(s) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > sigMax {
			return 0, fmt.Errorf("parse signal %q: out of range; %s", s, SignalForm)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	name = strings.TrimPrefix(name, "SIG")
	if sig, ok := parseRealtime(name); ok {
		return sig, nil
	}
	if sig, ok := signalAliases[name]; ok {
		return sig, nil
	}
	if name != "" && !strings.HasPrefix(name, "SIG") {
		if sig := unix.SignalNum("SIG" + name); sig != 0 {
			return sig, nil
		}
	}
	return 0, fmt.Errorf("parse signal %q: unknown signal; %s", s, SignalForm)
}

// parseRealtime parses RTMIN, RTMIN+N, RTMAX and RTMAX-N (upper case, no
// SIG prefix). ok is false when name is not one of those or is out of range.
func parseRealtime(name string) (sig unix.Signal, ok bool) {
	base, sign := 0, 1
	switch {
	case strings.HasPrefix(name, "RTMIN"):
		base, name = RTMin, name[len("RTMIN"):]
	case strings.HasPrefix(name, "RTMAX"):
		base, name, sign = RTMax, name[len("RTMAX"):], -1
	default:
		return 0, false
	}
	if name == "" {
		return unix.Signal(base), true
	}
	op := "+"
	if sign < 0 {
		op = "-"
	}
	digits, found := strings.CutPrefix(name, op)
	if !found || digits == "" || !isDigits(digits) || len(digits) > 2 {
		return 0, false
	}
	n, _ := strconv.Atoi(digits) // at most two digits: cannot fail
	n = base + sign*n
	if n < RTMin || n > RTMax {
		return 0, false
	}
	return unix.Signal(n), true
}

// isDigits reports whether s is made of ASCII digits only (true for "").
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SignalName names sig for messages: "SIGTERM", or "SIGRTMIN+3" for the
// real-time signals, which have no name of their own.
func SignalName(sig unix.Signal) string {
	if sig >= RTMin && sig <= RTMax {
		return "SIGRTMIN+" + strconv.Itoa(int(sig)-RTMin)
	}
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return "signal " + strconv.Itoa(int(sig))
}

// SignalGroup sends sig to process group pgid, and logs a failure. ESRCH
// (the group is gone) is no failure: the exit is on its way through the
// reaper.
func SignalGroup(log *slog.Logger, pgid int, sig unix.Signal) {
	if pgid <= 0 {
		return // no group: kill(0) would signal the caller's own, kill(-1) everyone
	}
	if err := unix.Kill(-pgid, sig); err != nil && err != unix.ESRCH {
		log.Warn("signal", "pgid", pgid, "signal", SignalName(sig), "err", err)
	}
}

// GroupAlive reports whether process group pgid has a member left: a
// process not yet reaped counts. EPERM (members of another user) means it
// does.
func GroupAlive(pgid int) bool {
	return pgid > 0 && unix.Kill(-pgid, 0) != unix.ESRCH
}
