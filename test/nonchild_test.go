package test

// Stage 4 as PID 1 (README "Shutdown", step 4): every process of the namespace is stopped,
// including ones that are not vigil's descendants (what `docker exec`
// starts), and vigil waits for them too; and a /proc that belongs to
// another PID namespace is not taken for vigil's own.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestNonChildLeftover: a process that entered vigil's namespace from
// outside (nsenter, as docker exec does) gets SIGTERM at shutdown, and
// vigil exits as soon as it is gone: not before (it would be SIGKILLed by
// the kernel with PID 1), and not only after VIGIL_KILL_GRACETIME.
func TestNonChildLeftover(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("nsenter not installed:", err)
	}
	v := start(t, opts{env: []string{"VIGIL_KILL_GRACETIME=20s", "VIGIL_SHUTDOWN_TIMEOUT=30s"}},
		helperBin, "signals", "on", "TERM", "0", "ready", "wait")
	v.expect(`^ready `)

	dir := t.TempDir()
	up, done := filepath.Join(dir, "up"), filepath.Join(dir, "done")
	script := `trap 'sleep 1; echo done > ` + done + `; exit 0' TERM
echo up > ` + up + `
while :; do sleep 0.1 & wait $!; done`
	entered := exec.Command("nsenter", "-t", strconv.Itoa(v.vigilPid()), "-p", "--", "/bin/sh", "-c", script)
	if err := entered.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { entered.Process.Kill(); entered.Wait() })
	poll(t, "the entered shell to start", func() (bool, string) {
		_, err := os.Stat(up)
		return err == nil, "no " + up
	})

	start := time.Now()
	v.signal(15)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0 (the CMD's)", got)
	}
	took := time.Since(start)
	if _, err := os.Stat(done); err != nil {
		t.Errorf("vigil exited before the entered process finished its TERM trap: %v", err)
	}
	if took < time.Second || took > 10*time.Second {
		t.Errorf("vigil exited %v after SIGTERM; want after the entered process's 1 s trap, long before the 20 s grace", took)
	}
}

// TestForeignProc: vigil as PID 1 with the /proc of the parent namespace
// (unshare --pid without --mount-proc) must not wait for the processes it
// shows: it exits at once when its own are gone.
func TestForeignProc(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command("unshare", "--pid", "--fork", "--kill-child", "--", initBin, "/bin/sh", "-c", "exit 3")
	cmd.Env = append(os.Environ(),
		"VIGIL_KILL_GRACETIME=20s", "VIGIL_SHUTDOWN_TIMEOUT=30s",
		"VIGIL_RUN_DIR="+filepath.Join(dir, "run"), "VIGIL_SERVICES_DIR="+filepath.Join(dir, "none"),
		"VIGIL_INIT_DIR="+filepath.Join(dir, "none"), "VIGIL_FINISH_DIR="+filepath.Join(dir, "none"))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Errorf("exit code = %d (%v); want 3; output:\n%s", code, err, out)
	}
	if took > 10*time.Second {
		t.Errorf("vigil took %v; want it not to wait for the parent namespace's processes; output:\n%s", took, out)
	}
}
