package test

// The multi-service example image (docker/examples/multi-service), run and
// stopped in Docker: init script, two services with readiness and a
// dependency, a logger, the CMD, then the staged stop.

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDockerExample(t *testing.T) {
	requireDocker(t)
	ctx := t.TempDir()
	if err := dockerCopyTree(ctx, filepath.Join("..", "docker", "examples", "multi-service")); err != nil {
		t.Fatalf("build context: %v", err)
	}
	dockerContextBinaries(t, ctx)
	img := dockerBuildContext(t, "example", ctx)
	id := strings.TrimSpace(dockerOK(t, "run", "-d", "--network", "none", img))
	t.Cleanup(func() { dockerCleanup(t, "rm", "-f", id) })

	dockerWaitLogs(t, id, "greeter | greeter: running as nobody")
	dockerExecWait(t, id, "vigil", "check")
	start := time.Now()
	dockerOK(t, "stop", id)
	took := time.Since(start)
	t.Logf("docker stop of the multi-service example: exited in %v", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("docker stop took %v; want well under Docker's 10 s", took)
	}
	code := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.State.ExitCode}}", id))
	if code != "143" {
		t.Errorf("exit code = %s; want 143 (the CMD, a sleep, ended by SIGTERM)", code)
	}

	// stdout (the services and scripts) and stderr (vigil's log) are kept
	// apart by Docker: the order is checked within each.
	stdout, stderr, _, err := runDocker("logs", id)
	if err != nil {
		t.Fatalf("docker logs: %v", err)
	}
	// The scripts and services write through vigil, each line after its
	// writer's name; the CMD writes to the container's stdout itself, so
	// its line's place among theirs is not fixed.
	checkOrder(t, "stdout", stdout, []string{
		"10-greeting | init: preparing",
		"greeter | greeter: running as nobody (uid 65534), HOME=/home/nobody",
		"10-bye | finish: services are down; the worker's logger wrote",
		"10-bye | ", // the last line vigil log wrote: "…Z worker: stopping"
		"worker: stopping",
	})
	checkOrder(t, "stdout", stdout, []string{"\ncmd: hello from cont-init.d\n"})
	t.Logf("docker logs (stdout):\n%s", stdout)
	checkOrder(t, "stderr", stderr, []string{
		`msg="service ready" service=web`,
		`msg="service started" service=worker `,
		`msg=shutdown reason="signal SIGTERM"`,
		`msg="service stopping" service=worker `,
		`msg="service stopping" service=web `,
		`msg="service exited" service=worker/log`,
		`msg="script started" path=/etc/cont-finish.d/10-bye`,
		"msg=exit code=143",
	})
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
