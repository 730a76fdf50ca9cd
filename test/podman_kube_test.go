package test

// Kubernetes pods, for real, with `podman kube play` of the manifests users
// copy (docker/k8s/): vigil as PID 1 with exec probes, and vigil behind the
// pause process of a pod with shareProcessNamespace.
//
// What podman 4.3 (Debian 12) makes of a pod, which the tests work with:
//   - livenessProbe becomes the container's healthcheck: `/bin/sh -c
//     "vigil check || exit 1"`, with periodSeconds, timeoutSeconds and
//     failureThreshold as its interval, timeout and retries, and "restart"
//     as the action when it turns unhealthy. Podman runs healthchecks from
//     systemd timers; without systemd (here) none is scheduled (kube play
//     logs "unable to get systemd connection to add healthchecks") and
//     `podman healthcheck run C` runs one probe and records it, which is
//     what the tests do. readinessProbe is ignored.
//   - terminationGracePeriodSeconds is ignored (later podman maps it, PR 19914):
//     the stop timeout stays podman's 10 s, so the tests stop with
//     `podman pod stop -t GRACE`.
//   - `podman kube down` SIGKILLs the containers without a stop signal
//     (podman issue 22397, fixed upstream in 2024): stop the pod first.
//   - `podman pod stop` stops the infra container together with the others;
//     with a shared PID namespace its exit (PID 1) makes the kernel SIGKILL
//     every process of the pod, vigil mid-shutdown included: the test stops
//     the app container first.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// podmanPod is a manifest of docker/k8s, made ready to play.
type podmanPod struct {
	path  string        // the manifest, its image and pod name replaced
	name  string        // the pod's name
	grace time.Duration // its terminationGracePeriodSeconds
}

// podmanManifest copies docker/k8s/file with the image and pod name the test
// uses instead of the manifest's own, so that runs do not collide.
func podmanManifest(t *testing.T, e *podmanEngine, file, image string) podmanPod {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docker", "k8s", file))
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("vigil-podman-%s-%d", strings.TrimSuffix(file, ".yaml"), time.Now().UnixNano()%1e6)
	text := string(data)
	for re, repl := range map[string]string{
		`(?m)^(\s*image:\s*)vigil-example:latest$`:           "${1}" + image,
		`(?m)^(metadata:\n\s+name:\s*)vigil-example[a-z-]*$`: "${1}" + name,
	} {
		r := regexp.MustCompile(re)
		if !r.MatchString(text) {
			t.Fatalf("docker/k8s/%s: no line matching %s", file, re)
		}
		text = r.ReplaceAllString(text, repl)
	}
	m := regexp.MustCompile(`(?m)^\s*terminationGracePeriodSeconds:\s*(\d+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("docker/k8s/%s: no terminationGracePeriodSeconds", file)
	}
	secs, _ := strconv.Atoi(m[1])
	p := podmanPod{path: filepath.Join(e.tempDir(t), file), name: name, grace: time.Duration(secs) * time.Second}
	if err := os.WriteFile(p.path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// play runs `podman kube play` of the pod (no network: nothing to pull,
// nothing to reach) and removes the pod when the test ends.
func (p podmanPod) play(t *testing.T, e *podmanEngine) {
	t.Helper()
	start := time.Now()
	e.ok(t, "kube", "play", "--network", "none", p.path)
	t.Logf("%s: podman kube play %s: %v", e.name, filepath.Base(p.path), time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { e.cleanup(t, "pod", "rm", "--force", "--ignore", p.name) })
}

// stop runs `podman pod stop -t GRACE`, checks that it took less than the
// grace period, then `podman kube down`.
func (p podmanPod) stop(t *testing.T, e *podmanEngine) {
	t.Helper()
	start := time.Now()
	e.ok(t, "pod", "stop", "--time", strconv.Itoa(int(p.grace/time.Second)), p.name)
	took := time.Since(start)
	t.Logf("%s: %s podman pod stop -t %d: %v", t.Name(), e.name, int(p.grace/time.Second), took.Round(time.Millisecond))
	if took >= p.grace {
		t.Errorf("%s podman pod stop took %v; want under the grace period %v", e.name, took, p.grace)
	}
}

// down runs `podman kube down`, which removes the pod.
func (p podmanPod) down(t *testing.T, e *podmanEngine) {
	t.Helper()
	start := time.Now()
	e.ok(t, "kube", "down", p.path)
	t.Logf("%s: podman kube down of the stopped pod: %v", e.name, time.Since(start).Round(time.Millisecond))
}

// healthcheck runs one probe (`podman healthcheck run`) and returns podman's
// verdict and exit code (0 healthy, 1 unhealthy).
func podmanHealthcheck(t *testing.T, e *podmanEngine, id string) (string, int) {
	t.Helper()
	out, code := e.combined(t, "healthcheck", "run", id)
	return strings.TrimSpace(out), code
}

// testPodmanKubePod plays docker/k8s/multi-service.yaml: vigil is PID 1 of
// the app container; the probe (vigil check) turns healthy once vigil is
// ready; a service killed from outside is restarted by vigil and the probe
// fails until it is ready again; the pod stops within its grace period with
// the finish script run.
func testPodmanKubePod(t *testing.T, e *podmanEngine, image string) {
	pod := podmanManifest(t, e, "multi-service.yaml", image)
	pod.play(t, e)
	app := pod.name + "-app"
	t.Logf("%s: the liveness probe as podman's healthcheck: %s", e.name, e.inspect(t, app, "{{json .Config.Healthcheck}}"))

	if pid := podmanNsPid(t, e.inspect(t, app, "{{.State.Pid}}")); pid != 1 {
		t.Errorf("%s: vigil is pid %d of its container; want 1", e.name, pid)
	}
	e.execWait(t, app, "vigil", "wait", "--ready", "--timeout", "60s", "web", "worker")
	if verdict, code := podmanHealthcheck(t, e, app); code != 0 {
		t.Fatalf("%s podman healthcheck run, all services ready: %q, exit %d; want healthy, 0; logs:\n%s", e.name, verdict, code, e.allLogs(t, app))
	}
	if st := e.inspect(t, app, "{{.State.Health.Status}}"); st != "healthy" {
		t.Errorf("%s: health status after a passing probe = %q; want healthy", e.name, st)
	}

	// Kill web from outside, its page moved away first, so that the new web
	// stays not ready (its check gets a 404) until the page is back.
	web := e.status(t, app)["web"]
	e.ok(t, "exec", app, "sh", "-c", fmt.Sprintf("mv /srv/www/index.html /srv/www/index.away && kill %d", web.Pid))
	restarted := podmanWaitStatus(t, e, app, "web", func(s svcStatus) bool {
		return s.Pid != web.Pid && s.Pid != 0 && s.State == "starting" && s.Restarts == web.Restarts+1
	})
	t.Logf("%s: web pid %d killed; vigil restarted it: pid %d, state %s, last exit %q", e.name, web.Pid, restarted.Pid, restarted.State, restarted.LastExit)
	if verdict, code := podmanHealthcheck(t, e, app); code != 1 || verdict != "unhealthy" {
		t.Errorf("%s podman healthcheck run, web restarting: %q, exit %d; want unhealthy, 1", e.name, verdict, code)
	}
	if out, code := e.combined(t, "exec", app, "vigil", "check"); code != 1 || !strings.Contains(out, "web not ready") {
		t.Errorf("%s podman exec vigil check, web restarting: exit %d, %q; want 1, naming web not ready", e.name, code, out)
	}
	e.ok(t, "exec", app, "mv", "/srv/www/index.away", "/srv/www/index.html")
	e.execWait(t, app, "vigil", "wait", "--ready", "--timeout", "60s", "web")
	if verdict, code := podmanHealthcheck(t, e, app); code != 0 {
		t.Errorf("%s podman healthcheck run, web ready again: %q, exit %d; want healthy, 0", e.name, verdict, code)
	}
	t.Logf("%s: the probes podman recorded: %s", e.name, e.inspect(t, app, "{{range .State.Health.Log}}[exit {{.ExitCode}}: {{.Output}}] {{end}}"))

	pod.stop(t, e)
	if code := e.exitCode(t, app); code != 0 {
		t.Errorf("%s: app exit code = %d; want 0 (the CMD exits 0 on SIGTERM); logs:\n%s", e.name, code, e.allLogs(t, app))
	}
	podmanCheckExampleStop(t, e, app)
	pod.down(t, e)
}

// podmanOrphanService is a service that leaves an orphan behind, as a
// daemonizing program does, and records its pid and vigil's.
const podmanOrphanService = `#!/bin/sh
sh -c 'sleep 1000 & echo $! >/tmp/orphan.pid'
echo $PPID >/tmp/vigil.pid
exec sleep 86400
`

// testPodmanKubeSharedPID plays docker/k8s/shared-pid.yaml: the pause
// process is PID 1, vigil is not; it adopts and reaps the orphans of its
// services, quietly; `podman stop` of the app container runs the whole
// staged stop and leaves the sidecar's processes alone.
func testPodmanKubeSharedPID(t *testing.T, e *podmanEngine, image string) {
	pod := podmanManifest(t, e, "shared-pid.yaml", image)
	pod.play(t, e)
	app, sidecar := pod.name+"-app", pod.name+"-sidecar"
	e.execWait(t, app, "vigil", "wait", "--ready", "--timeout", "60s", "web", "worker")

	vigil := podmanNsPid(t, e.inspect(t, app, "{{.State.Pid}}"))
	init1 := strings.ReplaceAll(strings.TrimSpace(e.ok(t, "exec", app, "cat", "/proc/1/cmdline")), "\x00", " ")
	t.Logf("%s: in the shared PID namespace, PID 1 is %q, vigil is pid %d", e.name, init1, vigil)
	if vigil == 1 {
		t.Fatalf("%s: vigil is PID 1 of the pod; want the pause process there (shareProcessNamespace)", e.name)
	}

	// An orphan of a service is vigil's: adopted, then reaped when it dies.
	dir := e.tempDir(t)
	writeTreeFile(t, filepath.Join(dir, "orphan", "run"), podmanOrphanService)
	e.ok(t, "cp", filepath.Join(dir, "orphan"), app+":/etc/services.d/orphan")
	e.ok(t, "exec", app, "vigil", "reload")
	e.execWait(t, app, "test", "-s", "/tmp/vigil.pid")
	orphan, err := strconv.Atoi(strings.TrimSpace(e.ok(t, "exec", app, "cat", "/tmp/orphan.pid")))
	if err != nil {
		t.Fatalf("%s: /tmp/orphan.pid: %v", e.name, err)
	}
	ppid := strings.TrimSpace(e.ok(t, "exec", app, "sh", "-c", fmt.Sprintf("grep PPid /proc/%d/status", orphan)))
	if want := fmt.Sprintf("PPid:\t%d", vigil); ppid != want {
		t.Errorf("%s: the orphan (pid %d): %q; want %q: adopted by vigil", e.name, orphan, ppid, want)
	}
	e.ok(t, "exec", app, "kill", strconv.Itoa(orphan))
	// Only its parent, vigil, can reap it: until then it is a zombie.
	e.execWait(t, app, "sh", "-c", fmt.Sprintf("! test -e /proc/%d", orphan))

	_, stderr := e.logs(t, app)
	if strings.Contains(stderr, "level=WARN") || strings.Contains(stderr, "level=ERROR") {
		t.Errorf("%s: vigil behind the pause process warned; want it quiet:\n%s", e.name, stderr)
	}

	start := time.Now()
	e.ok(t, "stop", "--time", strconv.Itoa(int(pod.grace/time.Second)), app)
	took := time.Since(start)
	t.Logf("%s: %s podman stop of the app container (vigil not PID 1): %v", t.Name(), e.name, took.Round(time.Millisecond))
	if took >= podmanStopBound {
		t.Errorf("%s podman stop took %v; want under %v", e.name, took, podmanStopBound)
	}
	if code := e.exitCode(t, app); code != 0 {
		t.Errorf("%s: app exit code = %d; want 0; logs:\n%s", e.name, code, e.allLogs(t, app))
	}
	podmanCheckExampleStop(t, e, app)
	if running := e.inspect(t, sidecar, "{{.State.Running}}"); running != "true" {
		t.Errorf("%s: the sidecar is not running after the app container stopped; want vigil to leave it alone", e.name)
	}
	pod.stop(t, e)
	pod.down(t, e)
}

// podmanWaitStatus polls `vigil status --json` until the service's status
// satisfies ok, and returns it.
func podmanWaitStatus(t *testing.T, e *podmanEngine, id, name string, ok func(svcStatus) bool) svcStatus {
	t.Helper()
	deadline := time.Now().Add(podmanDeadline)
	for {
		s := e.status(t, id)[name]
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s did not reach the wanted state within %v: %+v", e.name, name, podmanDeadline, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// podmanNsPid returns the pid, in its own PID namespace, of the host process
// hostPid: the last field of NSpid in /proc/PID/status.
func podmanNsPid(t *testing.T, hostPid string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("/proc", hostPid, "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			f := strings.Fields(rest)
			n, err := strconv.Atoi(f[len(f)-1])
			if err != nil {
				t.Fatalf("/proc/%s/status: NSpid %q: %v", hostPid, rest, err)
			}
			return n
		}
	}
	t.Fatalf("/proc/%s/status: no NSpid line", hostPid)
	return 0
}
