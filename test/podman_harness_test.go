package test

// The harness of the Podman tests: one podmanEngine per way of running
// podman (rootful as root; rootless as the user docker/setup-podman.sh
// creates), each running the podman command with a deadline and building
// images into its own storage.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// podmanDeadline bounds every podman command and every wait, as
	// dockerDeadline does for docker.
	podmanDeadline = 2 * time.Minute
	// podmanStopBound: a stop that vigil handles must take well under
	// podman's 10 s stop timeout (after which podman SIGKILLs: 137).
	podmanStopBound = 5 * time.Second
	// podmanDefaultUser is the user docker/setup-podman.sh creates for
	// rootless podman; VIGIL_PODMAN_USER names another.
	podmanDefaultUser = "vigilpod"
)

// podmanEngine runs podman rootful (cred nil) or rootless as one user.
type podmanEngine struct {
	name string              // "rootful" or "rootless", for messages
	cred *syscall.Credential // nil: as the test's own user (root)
	env  []string            // the environment of every podman command
	home string              // where rootless podman keeps its storage; "/" for rootful
}

// podmanUnavailable skips the test, or fails it when CI=true: in CI every
// test must run.
func podmanUnavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI=true: the Podman tests must run (docker/setup-podman.sh sets podman up)", msg)
	}
	t.Skipf("Podman tests skipped: %s (docker/setup-podman.sh sets podman up)", msg)
}

// podmanRootful returns the engine running podman as root, or skips.
func podmanRootful(t *testing.T) *podmanEngine {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		podmanUnavailable(t, "no podman command: %v", err)
	}
	if os.Geteuid() != 0 {
		podmanUnavailable(t, "not root (uid %d): the rootful tests run podman as root", os.Geteuid())
	}
	if err := dockerCheckStatic("/bin/busybox"); err != nil {
		podmanUnavailable(t, "the test images need a static /bin/busybox (Debian: busybox-static): %v", err)
	}
	e := &podmanEngine{name: "rootful", env: os.Environ(), home: "/"}
	e.requireInfo(t)
	return e
}

// podmanRootless returns the engine running podman as $VIGIL_PODMAN_USER
// (default vigilpod), with the environment a login would give it, or skips.
func podmanRootless(t *testing.T) *podmanEngine {
	t.Helper()
	name := os.Getenv("VIGIL_PODMAN_USER")
	if name == "" {
		name = podmanDefaultUser
	}
	uid, gid, home, err := podmanLookupUser(name)
	if err != nil {
		podmanUnavailable(t, "no user for rootless podman: %v", err)
	}
	runDir := fmt.Sprintf("/run/user/%d", uid)
	var st syscall.Stat_t
	if err := syscall.Stat(runDir, &st); err != nil || st.Uid != uint32(uid) {
		podmanUnavailable(t, "%s, the XDG_RUNTIME_DIR of %s, is missing or not theirs (stat: %v)", runDir, name, err)
	}
	e := &podmanEngine{
		name: "rootless",
		cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		env: []string{
			"PATH=/usr/local/bin:/usr/bin:/bin",
			"HOME=" + home, "USER=" + name, "LOGNAME=" + name,
			"XDG_RUNTIME_DIR=" + runDir,
		},
		home: home,
	}
	e.requireInfo(t)
	return e
}

// requireInfo skips (or fails in CI) unless `podman info` works.
func (e *podmanEngine) requireInfo(t *testing.T) {
	t.Helper()
	stdout, stderr, code, err := e.run("info", "--format", "podman {{.Version.Version}}, runtime {{.Host.OCIRuntime.Name}}, storage {{.Store.GraphDriverName}}, cgroups {{.Host.CgroupsVersion}}")
	if err != nil || code != 0 {
		podmanUnavailable(t, "%s podman info: %s: %s", e.name, dockerResult(code, err), strings.TrimSpace(stdout+stderr))
	}
	t.Logf("%s: %s", e.name, strings.TrimSpace(stdout))
}

// podmanLookupUser finds name in /etc/passwd (no os/user: see HOUSE_STYLE).
func podmanLookupUser(name string) (uid, gid int, home string, err error) {
	data, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return 0, 0, "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 7 || f[0] != name {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err := errors.Join(err1, err2); err != nil {
			return 0, 0, "", fmt.Errorf("/etc/passwd: %s: %w", name, err)
		}
		return uid, gid, f[5], nil
	}
	return 0, 0, "", fmt.Errorf("no user %s in /etc/passwd", name)
}

// run runs podman with a deadline. err is set only when podman could not be
// run or did not finish in time, not for a non-zero exit code.
func (e *podmanEngine) run(args ...string) (stdout, stderr string, code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), podmanDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, "podman", args...)
	cmd.Env = e.env
	// The user's own directory: rootless podman must be able to enter it.
	cmd.Dir = e.home
	if e.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: e.cred}
	}
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		return out.String(), errOut.String(), -1, fmt.Errorf("no result within %v", podmanDeadline)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), errOut.String(), exit.ExitCode(), nil
	}
	return out.String(), errOut.String(), 0, err
}

// ok runs podman and returns its stdout; it fails the test unless podman exits 0.
func (e *podmanEngine) ok(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code, err := e.run(args...)
	if err != nil || code != 0 {
		t.Fatalf("%s podman %s: %s; output:\n%s%s", e.name, dockerQuote(args), dockerResult(code, err), stdout, stderr)
	}
	return stdout
}

// combined runs podman and returns its combined output and exit code.
func (e *podmanEngine) combined(t *testing.T, args ...string) (string, int) {
	t.Helper()
	stdout, stderr, code, err := e.run(args...)
	if err != nil {
		t.Fatalf("%s podman %s: %v; output:\n%s%s", e.name, dockerQuote(args), err, stdout, stderr)
	}
	return stdout + stderr, code
}

// cleanup runs podman for a t.Cleanup and reports a failure.
func (e *podmanEngine) cleanup(t *testing.T, args ...string) {
	t.Helper()
	if stdout, stderr, code, err := e.run(args...); err != nil || code != 0 {
		t.Errorf("cleanup: %s podman %s: %s: %s%s", e.name, dockerQuote(args), dockerResult(code, err), stdout, stderr)
	}
}

// logs returns the container's stdout and stderr, each as podman keeps it.
func (e *podmanEngine) logs(t *testing.T, id string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, _, err := e.run("logs", id)
	if err != nil {
		return "", fmt.Sprintf("(podman logs: %v)", err)
	}
	return stdout, stderr
}

// allLogs returns the container's output, for failure messages.
func (e *podmanEngine) allLogs(t *testing.T, id string) string {
	t.Helper()
	stdout, stderr := e.logs(t, id)
	return stdout + stderr
}

// inspect returns one field of `podman inspect`, trimmed.
func (e *podmanEngine) inspect(t *testing.T, id, format string) string {
	t.Helper()
	return strings.TrimSpace(e.ok(t, "inspect", "--format", format, id))
}

// exitCode returns the exit code of the stopped container id.
func (e *podmanEngine) exitCode(t *testing.T, id string) int {
	t.Helper()
	s := e.inspect(t, id, "{{.State.ExitCode}}")
	code, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: exit code of %s: %q: %v", e.name, id, s, err)
	}
	return code
}

// waitLogs waits until the container's output contains want; it fails the
// test if the container stops first or the deadline passes.
func (e *podmanEngine) waitLogs(t *testing.T, id, want string) {
	t.Helper()
	deadline := time.Now().Add(podmanDeadline)
	for {
		if logs := e.allLogs(t, id); strings.Contains(logs, want) {
			return
		}
		if running := e.inspect(t, id, "{{.State.Running}}"); running != "true" {
			t.Fatalf("%s: container stopped before printing %q; logs:\n%s", e.name, want, e.allLogs(t, id))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: container did not print %q within %v; logs:\n%s", e.name, want, podmanDeadline, e.allLogs(t, id))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// execWait runs `podman exec id args…` until it exits 0: until vigil has
// opened its control socket (exit 3 before that) and the command's
// condition holds.
func (e *podmanEngine) execWait(t *testing.T, id string, args ...string) {
	t.Helper()
	deadline := time.Now().Add(podmanDeadline)
	for {
		stdout, stderr, code, err := e.run(append([]string{"exec", id}, args...)...)
		if err == nil && code == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s podman exec %s %s: %s after %v; output:\n%s%s\nlogs:\n%s", e.name, id, dockerQuote(args), dockerResult(code, err), podmanDeadline, stdout, stderr, e.allLogs(t, id))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tempDir returns a new directory that the engine's podman can read
// (t.TempDir's parents are mode 0700, closed to a rootless user), removed
// when the test ends.
func (e *podmanEngine) tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "vigil-podman-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// build builds the image of a context holding the vigil under test as
// ./vigil, a static busybox as ./busybox, and trees (context dir → source
// dir, "." for the context itself), with dockerfile (a path) as its
// Dockerfile unless a tree brings one. It tags the image uniquely in the
// engine's storage and removes it when the test ends.
func (e *podmanEngine) build(t *testing.T, name, dockerfile string, trees map[string]string) string {
	t.Helper()
	ctx := e.tempDir(t)
	for dst, src := range trees {
		if err := dockerCopyTree(filepath.Join(ctx, dst), src); err != nil {
			t.Fatalf("build context for %s: %v", name, err)
		}
	}
	files := map[string]string{"vigil": vigilBin, "busybox": "/bin/busybox"}
	if dockerfile != "" {
		files["Dockerfile"] = dockerfile
	}
	for dst, src := range files {
		if err := dockerCopyFile(filepath.Join(ctx, dst), src); err != nil {
			t.Fatalf("build context for %s: %v", name, err)
		}
	}
	tag := fmt.Sprintf("localhost/vigil-podman-%s:%d-%d", name, os.Getpid(), time.Now().UnixNano())
	start := time.Now()
	// --network none: no RUN step needs a network.
	e.ok(t, "build", "--network", "none", "--force-rm", "--tag", tag, ctx)
	t.Cleanup(func() { e.cleanup(t, "rmi", "--force", tag) })
	t.Logf("%s: built %s in %v", e.name, tag, time.Since(start).Round(time.Millisecond))
	return tag
}

// status returns `podman exec id vigil status --json`.
func (e *podmanEngine) status(t *testing.T, id string) map[string]svcStatus {
	t.Helper()
	out := e.ok(t, "exec", id, "vigil", "status", "--json")
	var sts []svcStatus
	if err := json.Unmarshal([]byte(out), &sts); err != nil {
		t.Fatalf("%s: vigil status --json in %s: %v; output:\n%s", e.name, id, err, out)
	}
	m := map[string]svcStatus{}
	for _, s := range sts {
		m[s.Name] = s
	}
	return m
}
