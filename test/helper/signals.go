package main

// Signals: names, the set a Go program can catch, and the rules that say
// what the helper does on each (report, exit, ignore).

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func sigName(sig syscall.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return n
	}
	return fmt.Sprintf("SIG%d", int(sig))
}

func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// catchable lists every signal a Go program can catch, less SIGURG and
// SIGCHLD. Signals 32-34 are not in it: the Go runtime keeps them for libc
// (runtime/sigtab_linux_generic.go) and signal.Notify does nothing for them.
func catchable() []syscall.Signal {
	var sigs []syscall.Signal
	for n := syscall.Signal(1); n <= 64; n++ {
		switch n {
		case unix.SIGKILL, unix.SIGSTOP, unix.SIGURG, unix.SIGCHLD, 32, 33, 34:
			continue
		}
		sigs = append(sigs, n)
	}
	return sigs
}

// catch starts reporting sigs (the reporter goroutine is started once).
func catch(sigs ...syscall.Signal) {
	if sigCh == nil {
		sigCh = make(chan os.Signal, 128)
		go report()
	}
	for _, s := range sigs {
		signal.Notify(sigCh, s)
	}
}

func report() {
	for s := range sigCh {
		sig := s.(syscall.Signal)
		say("signal=%s num=%d", sigName(sig), int(sig))
		rulesMu.Lock()
		rule, ok := rules[sig]
		rulesMu.Unlock()
		switch {
		case !ok:
		case rule == "die":
			die(sig)
		default:
			code, _ := strconv.Atoi(rule)
			exit(code)
		}
	}
}

func addRule(sigSpec, action string) error {
	sig, err := parseSignal(sigSpec)
	if err != nil {
		return err
	}
	if action != "die" {
		if _, err := strconv.Atoi(action); err != nil {
			return fmt.Errorf("on %s: action %q is neither die nor an exit code", sigSpec, action)
		}
	}
	rulesMu.Lock()
	rules[sig] = action
	rulesMu.Unlock()
	catch(sig)
	return nil
}
