package services

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The real-time signal range as programs see it. The kernel's first
// real-time signal is 32, but glibc and musl keep 32 and 33 for their
// threads, so SIGRTMIN in every C program (and kill -l) is 34.
const (
	sigRTMin = 34
	sigRTMax = 64
	sigMax   = 64 // _NSIG - 1 on Linux
)

// signalAliases are the names of signals that unix.SignalNum does not know:
// the second names of signals it lists under another.
var signalAliases = map[string]unix.Signal{
	"IOT":  unix.SIGABRT,
	"CLD":  unix.SIGCHLD,
	"POLL": unix.SIGIO,
}

// signalForm is the accepted form, for error messages.
const signalForm = "want a name like TERM or SIGQUIT, RTMIN+N, RTMAX-N, or a number 1..64"

// ParseSignal parses a signal as written in a down-signal file or on the
// command line: a name with or without "SIG" in any case ("TERM",
// "SIGQUIT", "hup"), "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N" (RTMIN is 34,
// RTMAX 64), or a number from 1 to 64. Surrounding space is not accepted:
// callers trim file contents first.
func ParseSignal(s string) (unix.Signal, error) {
	if s != "" && isDigits(s) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > sigMax {
			return 0, fmt.Errorf("parse signal %q: out of range; %s", s, signalForm)
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
	return 0, fmt.Errorf("parse signal %q: unknown signal; %s", s, signalForm)
}

// parseRealtime parses RTMIN, RTMIN+N, RTMAX and RTMAX-N (upper case, no
// SIG prefix). ok is false when name is not one of those or is out of range.
func parseRealtime(name string) (sig unix.Signal, ok bool) {
	base, sign := 0, 1
	switch {
	case strings.HasPrefix(name, "RTMIN"):
		base, name = sigRTMin, name[len("RTMIN"):]
	case strings.HasPrefix(name, "RTMAX"):
		base, name, sign = sigRTMax, name[len("RTMAX"):], -1
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
	if n < sigRTMin || n > sigRTMax {
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

// downSignal parses down-signal; SIGTERM when absent.
func (p *parser) downSignal() unix.Signal {
	s, ok := p.readTrimmed("down-signal", signalForm)
	if !ok {
		return unix.SIGTERM
	}
	sig, err := ParseSignal(s)
	if err != nil {
		p.fail("down-signal", fmt.Sprintf("invalid value %q; %s", s, signalForm), err)
		return unix.SIGTERM
	}
	return sig
}
