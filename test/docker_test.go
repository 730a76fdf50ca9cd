package test

// Docker tests: vigil as PID 1 (and behind Docker's own init) of FROM-scratch
// containers. Two images are built once per run from a temporary context:
// docker/test.Dockerfile (vigil plus a static busybox for the shell commands)
// and the release docker/Dockerfile (nothing but vigil). They need a running
// Docker engine (docker/setup-engine.sh starts one); without it they skip, or
// fail when CI=true: in CI everything must run.

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	// dockerDeadline bounds every docker command and every wait: the machine
	// is shared and noisy, and a container start can take seconds there.
	dockerDeadline = 2 * time.Minute
	// dockerStopBound: `docker stop` of a container whose CMD exits on the stop
	// signal must take well under Docker's 10 s stop timeout (after which it
	// would SIGKILL and report 137).
	dockerStopBound = 5 * time.Second
)

// TestDocker builds the images, runs the subtests, and removes the images.
func TestDocker(t *testing.T) {
	requireDocker(t)
	img := dockerBuildImage(t, "test", "test.Dockerfile", map[string]string{
		"vigil":   vigilBin,
		"busybox": "/bin/busybox",
	}, nil)
	rel := dockerBuildRelease(t)
	t.Run("Layout", func(t *testing.T) { testDockerLayout(t, img, rel) })
	t.Run("Run", func(t *testing.T) { testDockerRun(t, img, rel) })
	t.Run("Stop", func(t *testing.T) { testDockerStop(t, img, rel) })
}

// testDockerLayout checks the files README "Invocation" puts in an image.
func testDockerLayout(t *testing.T, img, rel string) {
	type entry struct {
		typ  byte
		link string // symlink target
	}
	common := map[string]entry{
		"init":          {typ: tar.TypeReg},
		"usr/bin/vigil": {typ: tar.TypeSymlink, link: "/init"},
	}
	release := map[string]entry{"init": {typ: tar.TypeReg}}
	links, err := exec.Command(vigilBin, "links").Output()
	if err != nil {
		t.Fatalf("vigil links: %v", err)
	}
	for _, p := range strings.Fields(string(links)) {
		release[strings.TrimPrefix(p, "/")] = entry{typ: tar.TypeSymlink, link: "/init"}
	}
	for _, p := range []string{"usr/bin/vigil", "command/with-contenv", "usr/bin/s6-svc", "run/s6/basedir/bin/halt", "command/foreground"} {
		if _, ok := release[p]; !ok {
			t.Errorf("vigil links does not list /%s", p)
		}
	}
	tests := []struct {
		name  string
		image string
		want  map[string]entry
	}{
		{"Release", rel, release},
		{"Test", img, map[string]entry{
			"init":          common["init"],
			"usr/bin/vigil": common["usr/bin/vigil"],
			"docker-init":   {typ: tar.TypeSymlink, link: "/init"},
			"bin/busybox":   {typ: tar.TypeReg},
			"bin/sh":        {typ: tar.TypeSymlink, link: "/bin/busybox"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := dockerOK(t, "image", "inspect", "--format", "{{json .Config.Entrypoint}}", tt.image)
			if got, want := strings.TrimSpace(out), `["/init"]`; got != want {
				t.Errorf("entrypoint = %s; want %s", got, want)
			}
			id := strings.TrimSpace(dockerOK(t, "create", "--network", "none", tt.image))
			t.Cleanup(func() { dockerCleanup(t, "rm", "-f", id) })
			files := dockerOK(t, "export", id)
			got := map[string]*tar.Header{}
			tr := tar.NewReader(strings.NewReader(files))
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("docker export %s: read tar: %v", tt.image, err)
				}
				got[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = h
			}
			for name, want := range tt.want {
				h, ok := got[name]
				switch {
				case !ok:
					t.Errorf("/%s missing from the image", name)
				case h.Typeflag != want.typ || h.Linkname != want.link:
					t.Errorf("/%s = type %q link %q; want type %q link %q", name, h.Typeflag, h.Linkname, want.typ, want.link)
				case want.typ == tar.TypeReg && h.Mode&0o111 != 0o111:
					t.Errorf("/%s mode = %o; want executable by everyone", name, h.Mode)
				}
			}
		})
	}
}

// testDockerRun checks `docker run`'s exit code in the setups README "Invocation" names.
func testDockerRun(t *testing.T, img, rel string) {
	// orphan starts a grandchild that outlives its parent and checks that it was
	// adopted by vigil (the parent of this shell), not by PID 1: true when vigil
	// is PID 1 and, behind `docker run --init`, only if vigil is a subreaper.
	const orphan = `p=$(sh -c 'sleep 1000 >/dev/null 2>&1 & echo $!')
a=$(grep PPid /proc/$p/status); b=$(grep PPid /proc/$$/status)
echo "orphan $a, cmd $b"; [ "$a" = "$b" ]`
	restricted := []string{"--user", "12345:12345", "--read-only", "--security-opt", "no-new-privileges", "--cap-drop", "ALL"}
	tests := []struct {
		name    string
		release bool     // run the release image (no shell) instead of the test image
		opts    []string // docker run options
		args    []string // after the image: CMD, or vigil's flags
		want    int
		wantOut string // in the output, if set
	}{
		{name: "Exit3", args: []string{"sh", "-c", "exit 3"}, want: 3},
		{name: "Exit0", args: []string{"sh", "-c", "exit 0"}, want: 0},
		{name: "KilledBySignal", args: []string{"sh", "-c", "kill -KILL $$"}, want: 128 + 9},
		{name: "NotFound", args: []string{"/no/such/command"}, want: 127},
		{name: "NotExecutable", args: []string{"/etc/hostname"}, want: 126},
		{name: "OrphanLeftBehind", args: []string{"sh", "-c", "sleep 1000 & exit 7"}, want: 7},
		{name: "OrphanAdopted", args: []string{"sh", "-c", orphan}, want: 0, wantOut: "orphan"},
		{name: "BehindDockerInit", opts: []string{"--init"}, args: []string{"sh", "-c", "exit 4"}, want: 4},
		{name: "BehindDockerInitSubreaper", opts: []string{"--init"}, args: []string{"sh", "-c", orphan}, want: 0, wantOut: "orphan"},
		{name: "AsDockerInit", opts: []string{"--entrypoint", "/docker-init"}, args: []string{"--", "sh", "-c", "exit 6"}, want: 6},
		{name: "User12345", opts: []string{"--user", "12345"}, args: []string{"sh", "-c", `test "$(id -u)" = 12345`}, want: 0},
		{name: "ReadOnly", opts: []string{"--read-only"}, args: []string{"sh", "-c", "exit 0"}, want: 0},
		{name: "ReadOnlyNoexecRun", opts: []string{"--read-only", "--tmpfs", "/run:rw,noexec,nosuid"}, args: []string{"sh", "-c", "exit 0"}, want: 0},
		{name: "NoNewPrivileges", opts: []string{"--security-opt", "no-new-privileges"}, args: []string{"sh", "-c", "exit 0"}, want: 0},
		{name: "Restricted", opts: restricted, args: []string{"sh", "-c", "exit 3"}, want: 3},
		{name: "Tty", opts: []string{"--tty"}, args: []string{"sh", "-c", "exit 3"}, want: 3},
		{name: "InvalidConfig", opts: []string{"-e", "VIGIL_KILL_GRACETIME=abc"}, args: []string{"sh", "-c", "exit 3"}, want: 100, wantOut: "VIGIL_KILL_GRACETIME"},
		{name: "ReleaseVersion", release: true, args: []string{"--version"}, want: 0, wantOut: "vigil "},
		{name: "ReleaseNoShell", release: true, args: []string{"/bin/sh"}, want: 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			image := img
			if tt.release {
				image = rel
			}
			args := append([]string{"run", "--rm", "--network", "none"}, tt.opts...)
			args = append(append(args, image), tt.args...)
			out, code := dockerRun(t, args...)
			if code != tt.want {
				t.Errorf("docker %s: exit code = %d; want %d; output:\n%s", dockerQuote(args), code, tt.want, out)
			}
			if tt.wantOut != "" && !strings.Contains(out, tt.wantOut) {
				t.Errorf("docker %s: output = %q; want it to contain %q", dockerQuote(args), out, tt.wantOut)
			}
		})
	}
}

// testDockerStop starts a container, waits until it is ready, sends it a
// signal with `docker stop` (or `docker kill -s`) and checks its exit code and
// how long the stop took.
func testDockerStop(t *testing.T, img, rel string) {
	// trap runs a CMD that exits with code when it receives sig. busybox sh
	// runs a trap only between commands, so it waits on a background sleep:
	// `wait` returns at once when a trapped signal arrives.
	trap := func(sig string, code int) []string {
		return []string{"sh", "-c", fmt.Sprintf(`trap "exit %d" %s; echo ready; sleep 1000 & wait`, code, sig)}
	}
	tests := []struct {
		name    string
		release bool
		opts    []string
		args    []string
		ready   string // the CMD prints this once its traps are set; "" = vigil catches SIGTERM
		kill    string // signal for `docker kill -s`; "" = `docker stop`
		want    int
		minTook time.Duration // a grace time vigil must respect
	}{
		{name: "TrapTerm", args: trap("TERM", 5), ready: "ready", want: 5},
		{name: "TermKillsCmd", args: []string{"sh", "-c", "echo ready; sleep 1000"}, ready: "ready", want: 128 + 15},
		{name: "BehindDockerInit", opts: []string{"--init"}, args: trap("TERM", 5), ready: "ready", want: 5},
		{name: "StopSignalQuit", opts: []string{"--stop-signal", "QUIT"}, args: trap("QUIT", 7), ready: "ready", want: 7},
		{name: "StopSignalInt", opts: []string{"--stop-signal", "INT"}, args: trap("INT", 2), ready: "ready", want: 2},
		{name: "ForwardHUP", args: trap("HUP", 8), ready: "ready", kill: "HUP", want: 8},
		{name: "ForwardUSR1", args: trap("USR1", 9), ready: "ready", kill: "USR1", want: 9},
		// Stubborn processes: vigil's own SIGKILLs come well before Docker's at 10 s.
		{name: "CmdIgnoresTerm", opts: []string{"-e", "VIGIL_SERVICES_GRACETIME=1s"},
			args: []string{"sh", "-c", `trap "" TERM; echo ready; while :; do sleep 1; done`}, ready: "ready", want: 128 + 9, minTook: time.Second},
		{name: "LeftoverIgnoresTerm", opts: []string{"-e", "VIGIL_KILL_GRACETIME=1s"},
			args: []string{"sh", "-c", `trap "exit 5" TERM; sh -c 'trap "" TERM; echo ready; while :; do sleep 1; done' & wait`}, ready: "ready", want: 5, minTook: time.Second},
		{name: "ShutdownTimeout", opts: []string{"-e", "VIGIL_SERVICES_GRACETIME=30s", "-e", "VIGIL_SHUTDOWN_TIMEOUT=2s"},
			args: []string{"sh", "-c", `trap "" TERM; echo ready; while :; do sleep 1; done`}, ready: "ready", want: 128 + 9, minTook: 2 * time.Second},
		{name: "ReleaseNoCmd", release: true, want: 0},
		{name: "ReleaseNoCmdRestricted", release: true, opts: []string{"--user", "12345", "--read-only", "--security-opt", "no-new-privileges", "--cap-drop", "ALL"}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			image := img
			if tt.release {
				image = rel
			}
			args := append([]string{"run", "-d", "--network", "none"}, tt.opts...)
			args = append(append(args, image), tt.args...)
			id := strings.TrimSpace(dockerOK(t, args...))
			t.Cleanup(func() { dockerCleanup(t, "rm", "-f", id) })
			if tt.ready != "" {
				dockerWaitLogs(t, id, tt.ready)
			} else {
				dockerWaitCatches(t, id, syscall.SIGTERM)
			}

			action := []string{"stop", "-t", "10", id}
			if tt.kill != "" {
				action = []string{"kill", "--signal", tt.kill, id}
			}
			start := time.Now()
			dockerOK(t, action...)
			code, err := strconv.Atoi(strings.TrimSpace(dockerOK(t, "wait", id)))
			took := time.Since(start)
			if err != nil {
				t.Fatalf("docker wait %s: %v", id, err)
			}
			t.Logf("%s: docker %s: exited %d after %v", t.Name(), action[0], code, took.Round(time.Millisecond))
			if code != tt.want {
				t.Errorf("docker %s: exit code = %d; want %d; logs:\n%s", dockerQuote(action), code, tt.want, dockerLogs(t, id))
			}
			if took < tt.minTook {
				t.Errorf("docker %s took %v; want at least %v (the grace time)", dockerQuote(action), took, tt.minTook)
			}
			if took >= dockerStopBound {
				t.Errorf("docker %s took %v; want under %v (Docker's stop timeout is 10s)", dockerQuote(action), took, dockerStopBound)
			}
		})
	}
}

// requireDocker skips the test when no Docker engine answers, or fails it when
// CI=true.
func requireDocker(t *testing.T) {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s; CI=true: the Docker tests must run (docker/setup-engine.sh starts an engine)", msg)
		}
		t.Skipf("Docker tests skipped: %s (docker/setup-engine.sh starts an engine)", msg)
	}
	if _, err := exec.LookPath("docker"); err != nil {
		unavailable("no docker command: %v", err)
	}
	if stdout, stderr, code, err := runDocker("info", "--format", "{{.ServerVersion}}"); err != nil || code != 0 {
		unavailable("docker info: %s: %s", dockerResult(code, err), strings.TrimSpace(stdout+stderr))
	}
	if err := dockerCheckStatic("/bin/busybox"); err != nil {
		unavailable("the test image needs a static /bin/busybox (Debian: busybox-static): %v", err)
	}
}

// dockerCheckStatic returns an error unless path is a statically linked ELF
// executable (no program interpreter), which runs in a FROM-scratch image.
func dockerCheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked", path)
		}
	}
	return nil
}

// dockerBuildImage builds dockerfile (in ../docker) from a temporary context holding
// files (context path → source file) and trees (context dir → source dir),
// tags it uniquely and removes it when the test ends.
func dockerBuildImage(t *testing.T, name, dockerfile string, files, trees map[string]string) string {
	t.Helper()
	ctx := t.TempDir()
	files["Dockerfile"] = filepath.Join("..", "docker", dockerfile)
	for dst, src := range files {
		if err := dockerCopyFile(filepath.Join(ctx, dst), src); err != nil {
			t.Fatalf("build context for %s: %v", dockerfile, err)
		}
	}
	for dst, src := range trees {
		if err := dockerCopyTree(filepath.Join(ctx, dst), src); err != nil {
			t.Fatalf("build context for %s: %v", dockerfile, err)
		}
	}
	return dockerBuildContext(t, name, ctx)
}

// dockerBuildRelease builds the release image as `make image` does, from
// the binary under test, and returns its tag.
func dockerBuildRelease(t *testing.T) string {
	t.Helper()
	tag := fmt.Sprintf("vigil-test-release:%d-%d", os.Getpid(), time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), dockerDeadline)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join("..", "docker", "build-image.sh"), vigilBin, tag).CombinedOutput()
	if err != nil {
		t.Fatalf("docker/build-image.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() { dockerCleanup(t, "rmi", "--force", tag) })
	t.Logf("%s", bytes.TrimSpace(out))
	return tag
}

func dockerCopyFile(dst, src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o755)
}

// dockerCopyTree copies directories, regular files and symlinks (as symlinks).
func dockerCopyTree(dst, src string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, to)
		case d.Type().IsRegular():
			return dockerCopyFile(to, path)
		}
		return fmt.Errorf("%s: unexpected file type %v", path, d.Type())
	})
}

// runDocker runs docker with a deadline. err is set only when docker could
// not be run or did not finish in time, not for a non-zero exit code.
func runDocker(args ...string) (stdout, stderr string, code int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	// The legacy builder: Debian's docker.io has no buildx plugin.
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ctx.Err() != nil {
		return out.String(), errOut.String(), -1, fmt.Errorf("no result within %v", dockerDeadline)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), errOut.String(), exit.ExitCode(), nil
	}
	return out.String(), errOut.String(), 0, err
}

// dockerResult describes how a docker command ended, for messages.
func dockerResult(code int, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("exit code %d", code)
}

// dockerOK runs docker and returns its stdout; it fails the test unless docker
// exits 0.
func dockerOK(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code, err := runDocker(args...)
	if err != nil || code != 0 {
		t.Fatalf("docker %s: %s; output:\n%s%s", dockerQuote(args), dockerResult(code, err), stdout, stderr)
	}
	return stdout
}

// dockerRun runs docker and returns its combined output and exit code.
func dockerRun(t *testing.T, args ...string) (string, int) {
	t.Helper()
	stdout, stderr, code, err := runDocker(args...)
	if err != nil {
		t.Fatalf("docker %s: %v; output:\n%s%s", dockerQuote(args), err, stdout, stderr)
	}
	return stdout + stderr, code
}

// dockerCleanup runs docker for a t.Cleanup and reports a failure.
func dockerCleanup(t *testing.T, args ...string) {
	t.Helper()
	if stdout, stderr, code, err := runDocker(args...); err != nil || code != 0 {
		t.Errorf("cleanup: docker %s: %s: %s%s", dockerQuote(args), dockerResult(code, err), stdout, stderr)
	}
}

// dockerStopExits runs `docker stop -t 10 id` and checks that the
// container exits with want (why: what makes it so) in under
// dockerStopBound. It logs and returns how long the stop took.
func dockerStopExits(t *testing.T, id string, want int, why string) time.Duration {
	t.Helper()
	start := time.Now()
	dockerOK(t, "stop", "-t", "10", id)
	took := time.Since(start)
	code := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.State.ExitCode}}", id))
	t.Logf("docker stop: exited %s after %v", code, took.Round(time.Millisecond))
	if code != strconv.Itoa(want) {
		t.Errorf("exit code after docker stop = %s; want %d (%s); logs:\n%s", code, want, why, dockerLogs(t, id))
	}
	if took >= dockerStopBound {
		t.Errorf("docker stop took %v; want under %v (Docker's stop timeout is 10s); logs:\n%s", took, dockerStopBound, dockerLogs(t, id))
	}
	return took
}

// dockerLogs returns the container's output, for failure messages.
func dockerLogs(t *testing.T, id string) string {
	t.Helper()
	stdout, stderr, _, err := runDocker("logs", id)
	if err != nil {
		return fmt.Sprintf("(docker logs: %v)", err)
	}
	return stdout + stderr
}

// dockerWaitLogs waits until the container's output contains want; it fails the
// test if the container stops first or the deadline passes.
func dockerWaitLogs(t *testing.T, id, want string) {
	t.Helper()
	deadline := time.Now().Add(dockerDeadline)
	for {
		if logs := dockerLogs(t, id); strings.Contains(logs, want) {
			return
		}
		running := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.State.Running}}", id))
		if running != "true" {
			t.Fatalf("container stopped before printing %q; logs:\n%s", want, dockerLogs(t, id))
		}
		if time.Now().After(deadline) {
			t.Fatalf("container did not print %q within %v; logs:\n%s", want, dockerDeadline, dockerLogs(t, id))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dockerWaitCatches waits until the container's PID 1 catches sig (SigCgt in
// /proc/PID/status, read on the host): before that, PID 1 of a PID namespace
// ignores a signal it has no handler for, and a `docker stop` would be lost.
func dockerWaitCatches(t *testing.T, id string, sig syscall.Signal) {
	t.Helper()
	pid := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.State.Pid}}", id))
	if pid == "" || pid == "0" {
		t.Fatalf("container %s has no PID 1 (not running); logs:\n%s", id, dockerLogs(t, id))
	}
	status := filepath.Join("/proc", pid, "status")
	deadline := time.Now().Add(dockerDeadline)
	for {
		caught, err := dockerSigCaught(status, sig)
		if err != nil {
			t.Fatalf("container %s: %v; logs:\n%s", id, err, dockerLogs(t, id))
		}
		if caught {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: PID 1 does not catch %v after %v; logs:\n%s", id, sig, dockerDeadline, dockerLogs(t, id))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dockerSigCaught reports whether the SigCgt mask in a /proc/PID/status file has sig.
func dockerSigCaught(status string, sig syscall.Signal) (bool, error) {
	data, err := os.ReadFile(status)
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			if err != nil {
				return false, fmt.Errorf("%s: SigCgt %q: %v", status, mask, err)
			}
			return m&(1<<(uint(sig)-1)) != 0, nil
		}
	}
	return false, fmt.Errorf("%s: no SigCgt line", status)
}

// dockerQuote renders args for messages.
func dockerQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$;&|<>()*?[]#~=%\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}
