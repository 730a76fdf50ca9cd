package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// modes runs a test as PID 1 of a new PID namespace and as a plain child
// (vigil a subreaper), where nothing but vigil kills what is left over.
var modes = []struct {
	name   string
	direct bool
}{
	{"PID 1", false},
	{"not PID 1", true},
}

// TestOrphansReaped: 300 orphans that exit are all reaped while vigil runs.
func TestOrphansReaped(t *testing.T) {
	t.Parallel()
	const n = 300
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			v := start(t, opts{direct: mode.direct}, helperBin, "signals", "on", "TERM", "0",
				"orphans", fmt.Sprint(n), "exit 0", "ready", "wait")
			v.expect(fmt.Sprintf(`^orphans n=%d$`, n))
			v.expect(`^ready `)
			pid := v.vigilPid()
			// All orphans have exited once vigil has one child left, the
			// CMD; none of them may linger as a zombie.
			poll(t, "the orphans to be reaped", func() (bool, string) {
				if v.exited() {
					t.Fatalf("vigil exited while the CMD was running")
				}
				kids := children(pid)
				zombies := 0
				for _, k := range kids {
					if procState(k) == 'Z' {
						zombies++
					}
				}
				return len(kids) == 1 && zombies == 0, fmt.Sprintf("vigil has %d children, %d of them zombies", len(kids), zombies)
			})
			v.signal(unix.SIGTERM)
			if got := v.wait(); got != 0 {
				t.Errorf("exit code = %d; want 0", got)
			}
		})
	}
}

// daemonRun starts vigil with a CMD that leaves a daemon behind (its own
// session, orphaned) recording what it gets to a file, then exits with code
// once the test has found the daemon. It returns vigil, the daemon's pid as
// the test sees it, the file, and when the CMD exited (CLOCK_MONOTONIC).
func daemonRun(t *testing.T, direct bool, env []string, daemon string, code int) (v *vigil, daemonPid int, record string, cmdExit int64) {
	t.Helper()
	record = filepath.Join(t.TempDir(), "daemon")
	v = start(t, opts{direct: direct, env: env}, helperBin, "signals", "on", "USR1", fmt.Sprint(code),
		"daemon", "tag daemon record "+record+" "+daemon, "ready", "wait")
	daemonPid = v.nsHostPid(atoi(t, v.expect(`^daemon ready pid=(\d+) `)[1]))
	if direct {
		// Should vigil leave it behind, do not leave it to the machine.
		t.Cleanup(func() {
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", daemonPid)); strings.Contains(string(b), record) {
				unix.Kill(daemonPid, unix.SIGKILL)
			}
		})
	}
	cmdPid := v.nsHostPid(atoi(t, v.expect(`^ready pid=(\d+) `)[1]))
	if err := unix.Kill(cmdPid, unix.SIGUSR1); err != nil {
		t.Fatalf("kill(CMD %d, SIGUSR1): %v", cmdPid, err)
	}
	m := v.expect(exitingLine)
	if got := atoi(t, m[1]); got != code {
		t.Fatalf("CMD exit line code = %d; want %d", got, code)
	}
	return v, daemonPid, record, atoi64(t, m[2])
}

// readRecord returns what the daemon recorded.
func readRecord(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("daemon's record: %v", err)
	}
	return string(b)
}

// waitDead waits until pid is gone (or a zombie: not ours to reap).
func waitDead(t *testing.T, pid int, what string) {
	t.Helper()
	poll(t, what+" to be dead", func() (bool, string) {
		return !alive(pid), fmt.Sprintf("pid %d state %c", pid, procState(pid))
	})
}

// TestLeftoverDaemonTerm: a daemon left by the CMD gets TERM at shutdown;
// it exits at once and so does vigil, with the CMD's code: no fixed sleep.
func TestLeftoverDaemonTerm(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			v, pid, record, cmdExit := daemonRun(t, mode.direct,
				[]string{"VIGIL_KILL_GRACETIME=10s"}, "signals on TERM 0 ready wait", 0)
			if got := v.wait(); got != 0 {
				t.Errorf("exit code = %d; want 0 (the CMD's)", got)
			}
			if d := v.sinceExit(cmdExit); d >= 2*time.Second {
				t.Errorf("vigil exited %v after the CMD; want < 2s (the daemon exits on TERM at once)", d)
			}
			if got := readRecord(t, record); !strings.Contains(got, "daemon signal=SIGTERM num=15\n") || !strings.Contains(got, "daemon exiting code=0") {
				t.Errorf("daemon recorded %q; want SIGTERM, then its exit", got)
			}
			waitDead(t, pid, "the daemon")
		})
	}
}

// TestLeftoverDaemonIgnoresTerm: a daemon that ignores TERM is SIGKILLed
// after VIGIL_KILL_GRACETIME, not before; vigil exits with the CMD's code.
func TestLeftoverDaemonIgnoresTerm(t *testing.T) {
	t.Parallel()
	const grace = 1500 * time.Millisecond
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			v, pid, record, cmdExit := daemonRun(t, mode.direct,
				[]string{"VIGIL_KILL_GRACETIME=1500ms"}, "signals ready wait", 3)
			if got := v.wait(); got != 3 {
				t.Errorf("exit code = %d; want 3 (the CMD's)", got)
			}
			if d := v.sinceExit(cmdExit); d < grace {
				t.Errorf("vigil exited %v after the CMD; want >= VIGIL_KILL_GRACETIME (%v)", d, grace)
			}
			waitDead(t, pid, "the daemon")
			if got := readRecord(t, record); !strings.Contains(got, "daemon signal=SIGTERM num=15\n") || strings.Contains(got, "exiting") {
				t.Errorf("daemon recorded %q; want SIGTERM and no exit of its own (SIGKILL)", got)
			}
		})
	}
}

// TestShutdownTimeout: VIGIL_SHUTDOWN_TIMEOUT caps the whole shutdown, even
// below VIGIL_KILL_GRACETIME.
func TestShutdownTimeout(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			v, pid, _, cmdExit := daemonRun(t, mode.direct,
				[]string{"VIGIL_SHUTDOWN_TIMEOUT=1s", "VIGIL_KILL_GRACETIME=30s"}, "signals ready wait", 4)
			if got := v.wait(); got != 4 {
				t.Errorf("exit code = %d; want 4 (the CMD's)", got)
			}
			d := v.sinceExit(cmdExit)
			if d < time.Second || d >= 10*time.Second {
				t.Errorf("vigil exited %v after the CMD; want VIGIL_SHUTDOWN_TIMEOUT (1s) <= d < 10s", d)
			}
			waitDead(t, pid, "the daemon")
		})
	}
}

// TestQuietRun: a run where nothing goes wrong logs no warning or error,
// also when vigil is not PID 1 (it becomes a subreaper quietly, README "Boot").
// Several runs each, since a race shows in some runs only.
func TestQuietRun(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			for i := 0; i < 5; i++ {
				v := start(t, opts{direct: mode.direct}, helperBin, "exit", "0")
				if got := v.wait(); got != 0 {
					t.Errorf("exit code = %d; want 0", got)
				}
				for _, l := range v.stderr() {
					if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
						t.Errorf("run %d: vigil logged %q; want no warning or error when all goes well", i, l)
					}
				}
			}
		})
	}
}

// TestReparenting: an orphan of the CMD gets vigil as its parent (as PID 1,
// and as a subreaper when not), and gets TERM at shutdown; vigil touches no
// process outside its own tree.
func TestReparenting(t *testing.T) {
	t.Parallel()
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			bystander := exec.Command("sleep", "60")
			if err := bystander.Start(); err != nil {
				t.Fatalf("start sleep: %v", err)
			}
			t.Cleanup(func() { bystander.Process.Kill(); bystander.Wait() })

			record := filepath.Join(t.TempDir(), "orphan")
			v := start(t, opts{direct: mode.direct}, helperBin, "signals", "on", "TERM", "0",
				"daemon", "tag orphan record "+record+" signals on TERM 0 ready orphaned wait",
				"ready", "wait")
			v.expect(`^ready `)
			nsPid := atoi(t, v.expect(`^orphan ready pid=(\d+) `)[1])
			pid := v.nsHostPid(nsPid)
			want := 1
			if mode.direct {
				want = v.vigilPid()
			}
			if got := atoi(t, v.expect(`^orphan orphaned ppid=(\d+)$`)[1]); got != want {
				t.Errorf("parent of the CMD's orphan = %d; want %d (vigil)", got, want)
			}
			v.signal(unix.SIGTERM)
			if got := v.wait(); got != 0 {
				t.Errorf("exit code = %d; want 0", got)
			}
			if got := readRecord(t, record); !strings.Contains(got, "orphan signal=SIGTERM num=15\n") {
				t.Errorf("orphan recorded %q; want SIGTERM", got)
			}
			waitDead(t, pid, "the orphan")
			if !alive(bystander.Process.Pid) {
				t.Errorf("a sleep started beside vigil is dead (state %c); vigil must signal only its own tree", procState(bystander.Process.Pid))
			}
		})
	}
}
