package test

// The multi-service example image (docker/examples/multi-service, what
// make demo runs), run and stopped in Docker: init script, services with
// readiness, a dependency, vigil log as a logger, a service as nobody, the
// CMD, then the staged stop; and the same image as a non-root user, on a
// read-only root with and without a tmpfs on /run, without new privileges.

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestDockerExample(t *testing.T) {
	requireDocker(t)
	ctx := t.TempDir()
	if err := dockerCopyTree(ctx, filepath.Join("..", "docker", "examples", "multi-service")); err != nil {
		t.Fatalf("build context: %v", err)
	}
	dockerContextBinaries(t, ctx)
	img := dockerBuildContext(t, "example", ctx)

	t.Run("Default", func(t *testing.T) {
		stdout, stderr := runExample(t, img, nil, "")
		// The scripts and services write through vigil, each line after its
		// writer's name; the CMD writes to the container's stdout itself, so
		// its lines' place among theirs is not fixed.
		checkOrder(t, "stdout", stdout, []string{
			"10-greeting | init: preparing",
			"greeter | greeter: running as nobody (uid 65534), HOME=/home/nobody",
			"10-bye | finish: services are down; the worker's logger wrote",
			"10-bye | ", // the last line vigil log wrote: "…Z worker: stopping"
			"worker: stopping",
		})
		checkOrder(t, "stdout", stdout, []string{"\ncmd: hello from cont-init.d\n", "cmd: stopping\n"})
		checkOrder(t, "stderr", stderr, []string{
			`msg="service ready" service=web`,
			`msg="service started" service=worker `,
			`msg=shutdown reason="signal SIGTERM"`,
			`msg="service stopping" service=worker `,
			`msg="service stopping" service=web `,
			`msg="service exited" service=worker/log`,
			`msg="script started" path=/etc/cont-finish.d/10-bye`,
			"msg=exit code=0",
		})
		if !strings.Contains(stderr, "\nweb | 127.0.0.1:") {
			t.Errorf("stderr: no line of web's (httpd -v logs each request), prefixed:\n%s", stderr)
		}
		t.Logf("docker logs (stdout):\n%s", stdout)
	})
	for _, tt := range []struct {
		name   string
		opts   []string
		faulty string // the service that cannot start, if any
	}{
		{"ReadOnly", []string{"--read-only", "--tmpfs", "/var/log/worker"}, ""},
		{"ReadOnlyTmpfsRun", []string{"--read-only", "--tmpfs", "/run", "--tmpfs", "/var/log/worker"}, ""},
		{"ReadOnlyNoexecRun", []string{"--read-only", "--tmpfs", "/run:noexec", "--tmpfs", "/var/log/worker"}, ""},
		{"NoNewPrivileges", []string{"--security-opt", "no-new-privileges"}, ""},
		{"User1000", []string{"--user", "1000"}, "greeter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _ := runExample(t, img, tt.opts, tt.faulty)
			checkOrder(t, "stdout", stdout, []string{"10-greeting | init: preparing", "10-bye | finish: services are down"})
		})
	}
}

// runExample runs the example with opts, waits until vigil check is
// healthy (or names only faulty), stops it, checks the stop's exit code and
// time, and returns its logs.
func runExample(t *testing.T, img string, opts []string, faulty string) (stdout, stderr string) {
	t.Helper()
	args := append(append([]string{"run", "-d", "--network", "none"}, opts...), img)
	id := strings.TrimSpace(dockerOK(t, args...))
	t.Cleanup(func() { dockerCleanup(t, "rm", "-f", id) })
	dockerWaitLogs(t, id, "cmd: ")
	if faulty == "" {
		dockerExecWait(t, id, "vigil", "check")
	} else {
		out, code := dockerRun(t, "exec", id, "vigil", "check")
		if code != 1 || !strings.Contains(out, "service "+faulty+" cannot start") {
			t.Errorf("vigil check with %s unassumable: exit %d, %q; want 1 naming it", faulty, code, out)
		}
	}
	dockerStopExits(t, id, 0, "the CMD exits 0 on SIGTERM")
	stdout, stderr, _, err := runDocker("logs", id)
	if err != nil {
		t.Fatalf("docker logs: %v", err)
	}
	return stdout, stderr
}

// checkOrder fails unless every line of want is in out, in that order.
func checkOrder(t *testing.T, name, out string, want []string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s: %q missing or out of order:\n%s", name, w, out)
			return
		}
		rest = rest[i+len(w):]
	}
}
