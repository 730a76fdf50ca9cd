package test

// Docker tests of client mode: `docker exec CONTAINER vigil …` against vigil
// as PID 1 of a FROM-scratch container, and `vigil check` as the image's
// HEALTHCHECK (docker/examples/healthcheck). Like TestDocker they need a
// running engine: without one they skip, or fail when CI=true.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clientDockerfile is the image of TestDockerClient/Exec: vigil, busybox and
// two services, web (ready once it answers) and worker (which needs web).
const clientDockerfile = `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY vigil /init
COPY rootfs/ /
RUN ["/bin/sh", "-c", "mkdir -p /usr/bin /tmp /run && chmod 1777 /tmp && ln -s /init /usr/bin/vigil"]
ENTRYPOINT ["/init"]
`

// TestDockerClient builds its images and runs the subtests.
func TestDockerClient(t *testing.T) {
	requireDocker(t)
	t.Run("Exec", testDockerClientExec)
	t.Run("Healthcheck", testDockerClientHealthcheck)
}

// testDockerClientExec: `docker exec C vigil status` (table and --json)
// shows both services; check, then halt 3 ends the container with 3.
func testDockerClientExec(t *testing.T) {
	t.Parallel()
	ctx := t.TempDir()
	for name, content := range map[string]string{
		"Dockerfile":                                clientDockerfile,
		"rootfs/etc/services.d/web/run":             shScript("exec httpd -f -p 127.0.0.1:8080 -h /srv/www"),
		"rootfs/etc/services.d/web/check":           shScript("exec wget -q -O /dev/null http://127.0.0.1:8080/"),
		"rootfs/etc/services.d/worker/run":          shScript(`echo "worker: up"; exec sleep 86400`),
		"rootfs/etc/services.d/worker/dependencies": "web\n",
		"rootfs/srv/www/index.html":                 "ok\n",
	} {
		writeTreeFile(t, filepath.Join(ctx, name), content)
	}
	dockerContextBinaries(t, ctx)
	img := dockerBuildContext(t, "client", ctx)
	id := strings.TrimSpace(dockerOK(t, "run", "-d", "--network", "none", img))
	t.Cleanup(func() { dockerCleanup(t, "rm", "-f", id) })

	dockerExecWait(t, id, "vigil", "wait", "--ready", "--timeout", "30s", "web", "worker")

	out := dockerOK(t, "exec", id, "vigil", "status")
	t.Logf("docker exec %s vigil status:\n%s", id[:12], out)
	rows := parseStatusTable(t, out)
	for _, name := range []string{"web", "worker"} {
		row, ok := rows[name]
		switch {
		case !ok:
			t.Errorf("vigil status in the container: no row for %s:\n%s", name, out)
		case row["STATE"] != "up" || row["READY"] != "yes" || row["PID"] == "-":
			t.Errorf("vigil status in the container: %s = %v; want up, ready, a pid", name, row)
		}
	}
	if len(rows) != 2 {
		t.Errorf("vigil status in the container: %d rows; want 2:\n%s", len(rows), out)
	}

	out = dockerOK(t, "exec", id, "vigil", "status", "--json")
	t.Logf("docker exec %s vigil status --json:\n%s", id[:12], out)
	var sts []svcStatus
	if err := json.Unmarshal([]byte(out), &sts); err != nil {
		t.Fatalf("vigil status --json in the container: %v; output:\n%s", err, out)
	}
	if len(sts) != 2 {
		t.Errorf("vigil status --json in the container: %d services; want 2", len(sts))
	}
	for _, s := range sts {
		if s.State != "up" || !s.Ready || s.Pid == 0 || !s.Wanted {
			t.Errorf("vigil status --json in the container: %+v; want up, ready, wanted, a pid", s)
		}
	}

	if out := dockerOK(t, "exec", id, "vigil", "check"); out != "healthy\n" {
		t.Errorf("docker exec vigil check: %q; want %q", out, "healthy\n")
	}
	dockerOK(t, "exec", id, "vigil", "halt", "3")
	code, err := strconv.Atoi(strings.TrimSpace(dockerOK(t, "wait", id)))
	if err != nil || code != 3 {
		t.Errorf("container exit code after vigil halt 3 = %d (%v); want 3; logs:\n%s", code, err, dockerLogs(t, id))
	}
}

// testDockerClientHealthcheck: the healthcheck example turns healthy once
// its app is ready, and not before: its first probes fail, saying why.
func testDockerClientHealthcheck(t *testing.T) {
	t.Parallel()
	ctx := t.TempDir()
	if err := dockerCopyTree(ctx, filepath.Join("..", "docker", "examples", "healthcheck")); err != nil {
		t.Fatal(err)
	}
	dockerContextBinaries(t, ctx)
	img := dockerBuildContext(t, "healthcheck", ctx)
	id := strings.TrimSpace(dockerOK(t, "run", "-d", "--network", "none", img))
	t.Cleanup(func() { dockerCleanup(t, "rm", "-f", id) })

	start := time.Now()
	var seen []string
	deadline := start.Add(dockerDeadline)
	for {
		st := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", id))
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
			t.Logf("after %v: health %q", time.Since(start).Round(time.Millisecond), st)
		}
		if st == "healthy" {
			break
		}
		if running := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.State.Running}}", id)); running != "true" {
			t.Fatalf("container stopped before it was healthy (health %v); logs:\n%s", seen, dockerLogs(t, id))
		}
		if time.Now().After(deadline) {
			t.Fatalf("container not healthy within %v (health %v); health log:\n%s\nlogs:\n%s",
				dockerDeadline, seen, dockerOK(t, "inspect", "--format", "{{json .State.Health.Log}}", id), dockerLogs(t, id))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if seen[0] != "starting" {
		t.Errorf("health states seen %v; want starting first (the app takes seconds to be ready)", seen)
	}

	// The probes Docker ran: vigil check failed (1, naming the app) until
	// the app was ready, then passed (0, "healthy").
	var probes []struct {
		ExitCode int
		Output   string
	}
	out := dockerOK(t, "inspect", "--format", "{{json .State.Health.Log}}", id)
	if err := json.Unmarshal([]byte(out), &probes); err != nil {
		t.Fatalf("health log %q: %v", out, err)
	}
	var log []string
	failed := false
	for _, p := range probes {
		log = append(log, fmt.Sprintf("exit %d: %q", p.ExitCode, p.Output))
		if p.ExitCode == 1 && strings.Contains(p.Output, "app") && strings.Contains(p.Output, "not ready") {
			failed = true
		}
	}
	t.Logf("health log:\n\t%s", strings.Join(log, "\n\t"))
	if !failed {
		t.Errorf("health log has no failed probe naming the app not ready; want one before readiness")
	}
	if last := probes[len(probes)-1]; last.ExitCode != 0 || last.Output != "healthy\n" {
		t.Errorf("last probe: exit %d, output %q; want exit 0, %q", last.ExitCode, last.Output, "healthy\n")
	}

	// A service stopped on purpose is not meant to be up: still healthy.
	dockerOK(t, "exec", id, "vigil", "stop", "app")
	if out := dockerOK(t, "exec", id, "vigil", "check"); out != "healthy\n" {
		t.Errorf("docker exec vigil check after vigil stop app: %q; want %q", out, "healthy\n")
	}
}

// dockerContextBinaries puts the vigil binary under test and a static
// busybox into the build context ctx, as ./vigil and ./busybox.
func dockerContextBinaries(t *testing.T, ctx string) {
	t.Helper()
	for dst, src := range map[string]string{"vigil": vigilBin, "busybox": "/bin/busybox"} {
		if err := dockerCopyFile(filepath.Join(ctx, dst), src); err != nil {
			t.Fatalf("build context: %v", err)
		}
	}
}

// dockerBuildContext builds the image of the context directory ctx, with
// buildArgs (NAME=VALUE, for the Dockerfile's ARGs), tags it uniquely and
// removes it when the test ends.
func dockerBuildContext(t *testing.T, name, ctx string, buildArgs ...string) string {
	t.Helper()
	tag := fmt.Sprintf("vigil-test-%s:%d-%d", name, os.Getpid(), time.Now().UnixNano())
	start := time.Now()
	// --network none: a RUN step needs no network, and the engine may have no bridge.
	args := []string{"build", "--network", "none", "--force-rm", "--tag", tag}
	for _, a := range buildArgs {
		args = append(args, "--build-arg", a)
	}
	args = append(args, ctx)
	stdout, stderr, code, err := runDocker(args...)
	if err != nil || code != 0 {
		t.Fatalf("docker %s: %s; output:\n%s%s", dockerQuote(args), dockerResult(code, err), stdout, stderr)
	}
	t.Cleanup(func() { dockerCleanup(t, "rmi", "--force", tag) })
	t.Logf("built %s in %v", tag, time.Since(start).Round(time.Millisecond))
	return tag
}

// dockerExecWait runs `docker exec id args…` until it exits 0: until vigil
// has opened its control socket (exit 3 before that) and the command's
// condition holds.
func dockerExecWait(t *testing.T, id string, args ...string) {
	t.Helper()
	deadline := time.Now().Add(dockerDeadline)
	for {
		stdout, stderr, code, err := runDocker(append([]string{"exec", id}, args...)...)
		if err == nil && code == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker exec %s %s: %s after %v; output:\n%s%s\nlogs:\n%s", id, dockerQuote(args), dockerResult(code, err), dockerDeadline, stdout, stderr, dockerLogs(t, id))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
