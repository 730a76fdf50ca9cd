package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestExitCode: vigil exits with the CMD's status, 128+N when it died of
// signal N, 127 when it cannot be found and 126 when it cannot be executed.
func TestExitCode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cmd  []string
		want int
	}{
		{"exit 0", []string{helperBin, "exit", "0"}, 0},
		{"exit 1", []string{helperBin, "exit", "1"}, 1},
		{"exit 42", []string{helperBin, "exit", "42"}, 42},
		{"exit 255", []string{helperBin, "exit", "255"}, 255},
		{"SIGHUP", []string{helperBin, "raise", "HUP"}, 129},
		{"SIGINT", []string{helperBin, "raise", "INT"}, 130},
		{"SIGKILL", []string{helperBin, "raise", "KILL"}, 137},
		{"SIGUSR1", []string{helperBin, "raise", "USR1"}, 138},
		{"SIGSEGV", []string{helperBin, "raise", "SEGV"}, 139},
		{"SIGTERM", []string{helperBin, "raise", "TERM"}, 143},
		{"not on PATH", []string{"vigil-test-no-such-command"}, 127},
		{"absolute path missing", []string{filepath.Join(dir, "missing")}, 127},
		{"not executable", []string{notExec}, 126},
		{"directory", []string{dir}, 126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := start(t, opts{}, tt.cmd...)
			if got := v.wait(); got != tt.want {
				t.Errorf("exit code of %q = %d; want %d", tt.cmd, got, tt.want)
			}
		})
	}
}

// TestInvocation: the argv forms of boot mode and its flags.
func TestInvocation(t *testing.T) {
	t.Parallel()
	dockerInit := filepath.Join(t.TempDir(), "docker-init")
	if err := os.Symlink(vigilBin, dockerInit); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		bin     string   // default initBin
		args    []string // "RAN" stands for a file the CMD creates
		want    int
		ran     bool   // the CMD ran
		wantOut string // a stdout line matching this
	}{
		{"double dash", "", []string{"--", helperBin, "touch", "RAN", "exit", "3"}, 3, true, ""},
		{"CMD flags are the CMD's", "", []string{helperBin, "touch", "RAN", "tag", "--help", "exit", "5"}, 5, true, `^--help exiting code=5 `},
		{"help", "", []string{"--help", helperBin, "touch", "RAN"}, 0, false, `(?i)usage`},
		{"version", "", []string{"--version", helperBin, "touch", "RAN"}, 0, false, `^vigil \S+`},
		{"unknown flag", "", []string{"--no-such-flag", helperBin, "touch", "RAN"}, 100, false, ""},
		{"vigil boot --", vigilBin, []string{"boot", "--", helperBin, "touch", "RAN", "exit", "4"}, 4, true, ""},
		{"vigil boot", vigilBin, []string{"boot", helperBin, "touch", "RAN", "exit", "4"}, 4, true, ""},
		{"docker-init --", dockerInit, []string{"--", helperBin, "touch", "RAN", "exit", "6"}, 6, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ran := filepath.Join(t.TempDir(), "ran")
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "RAN", ran)
			}
			v := start(t, opts{bin: tt.bin}, args...)
			if got := v.wait(); got != tt.want {
				t.Errorf("exit code of %s %q = %d; want %d", filepath.Base(v.o.bin), args, got, tt.want)
			}
			if _, err := os.Stat(ran); (err == nil) != tt.ran {
				t.Errorf("CMD ran = %t; want %t", err == nil, tt.ran)
			}
			if tt.wantOut != "" {
				v.expect(tt.wantOut)
			}
		})
	}
}

// TestNoCmd: without a CMD vigil waits for a stop signal, then exits 0.
func TestNoCmd(t *testing.T) {
	t.Parallel()
	v := start(t, opts{env: []string{"VIGIL_LOG_LEVEL=debug"}})
	v.waitNotifying()
	if v.exited() {
		t.Fatalf("vigil without CMD exited before any signal: code %d", v.wait())
	}
	v.signal(unix.SIGTERM)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code after SIGTERM with no CMD = %d; want 0", got)
	}
}

// TestNoFixedSleep: with nothing left over, vigil exits at once after the
// CMD, however long the grace times are.
func TestNoFixedSleep(t *testing.T) {
	t.Parallel()
	v := start(t, opts{env: []string{"VIGIL_KILL_GRACETIME=10s", "VIGIL_SERVICES_GRACETIME=10s"}},
		helperBin, "exit", "0")
	m := v.expect(exitingLine)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	if d := v.sinceExit(atoi64(t, m[2])); d >= 2*time.Second {
		t.Errorf("vigil exited %v after the CMD; want < 2s (no fixed sleep)", d)
	}
}

// forwarded are the signals vigil passes on to the CMD's process group.
// Signal 34 (SIGRTMIN) is not among them here: the Go runtime keeps 32-34 for
// libc and signal.Notify cannot catch them, neither in vigil nor in the helper.
var forwarded = []syscall.Signal{
	unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH, unix.SIGALRM,
	unix.SIGCONT, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU, unix.SIGPWR,
	35, 40, 64,
}

// TestForwardedSignals: each forwarded signal sent to vigil reaches the CMD
// and a child in the CMD's process group.
func TestForwardedSignals(t *testing.T) {
	t.Parallel()
	v := start(t, opts{}, helperBin, "signals", "on", "TERM", "0",
		"child", "tag grandchild signals on TERM 0 ready wait", "ready", "wait")
	v.expect(`^ready `)
	for _, sig := range forwarded {
		v.signal(sig)
		v.expect(signalLine("", sig))
		v.expect(signalLine("grandchild", sig))
	}
	v.signal(unix.SIGTERM)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code after SIGTERM to a CMD exiting 0 on it = %d; want 0", got)
	}
}

// TestSignal34: SIGRTMIN (34) cannot be caught by any Go program: the
// runtime reserves it (musl's SIGSYNCCALL, golang/go#39343) and leaves it at
// its default action, so vigil forwards real-time signals 35-64 only. As
// PID 1 the kernel drops a signal PID 1 has no handler for, so vigil
// survives it; not as PID 1 it ends vigil (making it ignored would pass
// SIG_IGN on to every child), as the README's signal table says.
func TestSignal34(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			v := start(t, opts{direct: mode.direct}, helperBin, "signals", "on", "TERM", "0", "ready", "wait")
			v.expect(`^ready `)
			v.signal(34)
			if mode.direct {
				select {
				case <-v.done:
				case <-time.After(exitTimeout):
					t.Fatalf("not PID 1, vigil still running %v after signal 34; the README says it ends vigil", exitTimeout)
				}
				ws := v.cmd.ProcessState.Sys().(syscall.WaitStatus)
				if !ws.Signaled() || ws.Signal() != 34 {
					t.Errorf("not PID 1, vigil after signal 34: %v; want killed by signal 34", v.cmd.ProcessState)
				}
				// Its CMD is orphaned: end it before the cleanup looks for leftovers.
				for deadline := time.Now().Add(exitTimeout); ; time.Sleep(10 * time.Millisecond) {
					left := marked(v.mark)
					if len(left) == 0 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("orphaned CMD still alive %v after SIGKILL: %s", exitTimeout, describe(left))
					}
					for _, p := range left {
						unix.Kill(p, unix.SIGKILL)
					}
				}
				return
			}
			// Another forwarded signal, to know vigil handled (or died of)
			// the first: signals from one sender arrive in order. ESRCH:
			// vigil died of the first, which expectRunning reports.
			if err := unix.Kill(v.vigilPid(), unix.SIGUSR1); err != nil && err != unix.ESRCH {
				t.Fatalf("kill(vigil, SIGUSR1): %v", err)
			}
			v.expectRunning(signalLine("", unix.SIGUSR1))
			v.signal(unix.SIGTERM)
			if got := v.wait(); got != 0 {
				t.Errorf("exit code after SIGTERM = %d; want 0", got)
			}
		})
	}
}

// TestStopSignals: TERM, INT and QUIT reach the CMD as themselves; vigil
// exits with the CMD's status.
func TestStopSignals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		sig    syscall.Signal
		cmd    []string
		report bool // the CMD reports the signal
		want   int
	}{
		{"TERM, Go default", unix.SIGTERM, []string{"ready", "wait"}, false, 143},
		{"INT, Go default", unix.SIGINT, []string{"ready", "wait"}, false, 130},
		{"TERM, default action", unix.SIGTERM, []string{"signals", "on", "TERM", "die", "ready", "wait"}, true, 143},
		{"INT, default action", unix.SIGINT, []string{"signals", "on", "INT", "die", "ready", "wait"}, true, 130},
		{"QUIT, default action", unix.SIGQUIT, []string{"signals", "on", "QUIT", "die", "ready", "wait"}, true, 131},
		{"TERM trapped, exit 0", unix.SIGTERM, []string{"signals", "on", "TERM", "0", "ready", "wait"}, true, 0},
		{"TERM trapped, exit 7", unix.SIGTERM, []string{"signals", "on", "TERM", "7", "ready", "wait"}, true, 7},
		{"INT trapped, exit 0", unix.SIGINT, []string{"signals", "on", "INT", "0", "ready", "wait"}, true, 0},
		{"QUIT trapped, exit 3", unix.SIGQUIT, []string{"signals", "on", "QUIT", "3", "ready", "wait"}, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := start(t, opts{}, append([]string{helperBin}, tt.cmd...)...)
			v.expect(`^ready `)
			v.signal(tt.sig)
			if tt.report {
				v.expect(signalLine("", tt.sig))
			}
			if got := v.wait(); got != tt.want {
				t.Errorf("exit code after %v = %d; want %d", tt.sig, got, tt.want)
			}
		})
	}
}

// TestCmdIgnoresTerm: a CMD that ignores TERM gets TERM, then CONT, then
// SIGKILL after VIGIL_SERVICES_GRACETIME.
func TestCmdIgnoresTerm(t *testing.T) {
	t.Parallel()
	v := start(t, opts{env: []string{"VIGIL_SERVICES_GRACETIME=1s"}}, helperBin, "signals", "ready", "wait")
	v.expect(`^ready `)
	sent := monoNow()
	v.signal(unix.SIGTERM)
	v.expect(signalLine("", unix.SIGTERM))
	v.expect(signalLine("", unix.SIGCONT))
	if got := v.wait(); got != 137 {
		t.Errorf("exit code with a CMD ignoring TERM = %d; want 137", got)
	}
	if d := v.sinceExit(sent); d < time.Second {
		t.Errorf("vigil exited %v after SIGTERM; want >= VIGIL_SERVICES_GRACETIME (1s)", d)
	}
}

// termLog matches a log line of vigil's about a SIGTERM.
var termLog = regexp.MustCompile(`(?i)sigterm|terminated|signal=15\b|signal=term\b`)

// TestSecondTerm: a second TERM during shutdown is logged and does not skip
// the CMD's grace time. The log is compared with a run that got one TERM.
func TestSecondTerm(t *testing.T) {
	t.Parallel()
	const grace = 1500 * time.Millisecond
	run := func(t *testing.T, terms int) (code int, elapsed time.Duration, termLines []string) {
		v := start(t, opts{env: []string{"VIGIL_SERVICES_GRACETIME=1500ms"}}, helperBin, "signals", "ready", "wait")
		v.expect(`^ready `)
		sent := monoNow()
		v.signal(unix.SIGTERM)
		v.expect(signalLine("", unix.SIGTERM))
		for i := 1; i < terms; i++ {
			v.signal(unix.SIGTERM)
		}
		code = v.wait()
		for _, l := range v.stderr() {
			if termLog.MatchString(l) {
				termLines = append(termLines, l)
			}
		}
		return code, v.sinceExit(sent), termLines
	}
	var once []string
	t.Run("one TERM", func(t *testing.T) {
		code, elapsed, lines := run(t, 1)
		if code != 137 || elapsed < grace {
			t.Errorf("one TERM to a CMD ignoring it: exit code %d after %v; want 137 after >= %v", code, elapsed, grace)
		}
		once = lines
	})
	t.Run("two TERMs", func(t *testing.T) {
		code, elapsed, twice := run(t, 2)
		if code != 137 || elapsed < grace {
			t.Errorf("two TERMs to a CMD ignoring them: exit code %d after %v; want 137 after >= %v", code, elapsed, grace)
		}
		if len(twice) <= len(once) {
			t.Errorf("log lines about SIGTERM with two TERMs = %d %q; want more than with one (%d %q)",
				len(twice), twice, len(once), once)
		}
	})
}

// TestNoFdLeak: vigil's own fds (signal pipes, epoll, /proc handles) do not
// reach the CMD: started with 0, 1, 2, the CMD has exactly 0, 1, 2.
func TestNoFdLeak(t *testing.T) {
	t.Parallel()
	for _, direct := range []bool{false, true} {
		name := "PID 1"
		if direct {
			name = "not PID 1"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if !direct {
				needUnshare(t)
				out, err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "--", helperBin, "fds").Output()
				if err != nil {
					t.Fatalf("unshare helper fds: %v: %s", err, out)
				}
				if !strings.HasPrefix(string(out), "fds=0,1,2\n") {
					t.Skipf("unshare itself passes more than fds 0,1,2 to its child: %q", out)
				}
			}
			v := start(t, opts{direct: direct}, helperBin, "fds", "exit", "0")
			m := v.expect(`^fds=(.*)$`)
			if m[1] != "0,1,2" {
				t.Errorf("fds open in the CMD = %s; want 0,1,2", m[1])
			}
			if got := v.wait(); got != 0 {
				t.Errorf("exit code = %d; want 0", got)
			}
		})
	}
}

// TestExeclinebDollar0: the binary called by an execline program's name
// runs it with argv[0] as called: `execlineb -c`'s $0 is the path it was
// called by (README "execline in vigil"), not only the program's name.
func TestExeclinebDollar0(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "execlineb")
	if err := os.Symlink(vigilBin, path); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "-S0", "-c", "echo $0").CombinedOutput()
	if err != nil || string(out) != path+"\n" {
		t.Errorf("%s -S0 -c 'echo $0': %v, %q; want %q", path, err, out, path+"\n")
	}
}
