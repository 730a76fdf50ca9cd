package test

// Podman tests (SPEC §10: under Podman, rootful and rootless, `podman run
// --init` included, and in Kubernetes pods run with `podman kube play`).
// Each engine builds, in its own storage, the test image of
// docker/test.Dockerfile and the multi-service example, with `podman build`
// from the local files: nothing is pulled. They need podman and, for the
// rootless half, the user docker/setup-podman.sh creates: without them they
// skip, or fail when CI=true.

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPodman runs every subtest rootful, then rootless.
func TestPodman(t *testing.T) {
	engines := []func(*testing.T) *podmanEngine{podmanRootful, podmanRootless}
	for i, name := range []string{"Rootful", "Rootless"} {
		t.Run(name, func(t *testing.T) {
			e := engines[i](t)
			img := e.build(t, "test", filepath.Join("..", "docker", "test.Dockerfile"), nil)
			example := e.build(t, "example", "", map[string]string{
				".": filepath.Join("..", "docker", "examples", "multi-service"),
			})
			t.Run("Run", func(t *testing.T) { testPodmanRun(t, e, img) })
			t.Run("Stop", func(t *testing.T) { testPodmanStop(t, e, img) })
			t.Run("Example", func(t *testing.T) { testPodmanExample(t, e, example) })
			t.Run("KubePod", func(t *testing.T) { testPodmanKubePod(t, e, example) })
			t.Run("KubeSharedPID", func(t *testing.T) { testPodmanKubeSharedPID(t, e, example) })
		})
	}
}

// podmanOrphan starts a grandchild that outlives its parent and checks that
// vigil (the parent of this shell) adopted it, as testDockerRun's orphan does.
const podmanOrphan = `p=$(sh -c 'sleep 1000 >/dev/null 2>&1 & echo $!')
a=$(grep PPid /proc/$p/status); b=$(grep PPid /proc/$$/status)
echo "orphan $a, cmd $b"; [ "$a" = "$b" ]`

// podmanBehindInit checks, behind `podman run --init`, that vigil (this
// shell's parent) is not PID 1 but the child of PID 1 (catatonit, which podman
// mounts as /run/podman-init), and that it adopts orphans: a subreaper.
const podmanBehindInit = `v=$PPID
echo "vigil is pid $v, its $(grep PPid /proc/$v/status), pid 1 is $(cat /proc/1/comm)"
[ "$v" != 1 ] || exit 10
grep -q "^PPid:[[:space:]]*1$" /proc/$v/status || exit 11
p=$(sh -c 'sleep 1000 >/dev/null 2>&1 & echo $!')
grep -q "^PPid:[[:space:]]*$v$" /proc/$p/status || { echo "orphan's $(grep PPid /proc/$p/status)"; exit 12; }`

// testPodmanRun checks `podman run`'s exit code, as PID 1 and behind --init.
func testPodmanRun(t *testing.T, e *podmanEngine, img string) {
	tests := []struct {
		name    string
		opts    []string // podman run options
		args    []string // CMD
		want    int
		wantOut string // in the output, if set
		quiet   bool   // vigil logs no warning or error
		logOut  bool   // log the output's first line with wantOut
	}{
		{name: "Exit3", args: []string{"sh", "-c", "exit 3"}, want: 3},
		{name: "KilledBySignal", args: []string{"sh", "-c", "kill -KILL $$"}, want: 128 + 9},
		{name: "OrphanAdopted", args: []string{"sh", "-c", podmanOrphan}, want: 0, wantOut: "orphan"},
		{name: "Init", opts: []string{"--init"}, args: []string{"sh", "-c", "exit 4"}, want: 4, quiet: true},
		{name: "InitKilledBySignal", opts: []string{"--init"}, args: []string{"sh", "-c", "kill -KILL $$"}, want: 128 + 9},
		{name: "InitSubreaper", opts: []string{"--init"}, args: []string{"sh", "-c", podmanBehindInit}, want: 0, wantOut: "vigil is pid", quiet: true, logOut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--rm", "--network", "none"}, tt.opts...)
			args = append(append(args, img), tt.args...)
			out, code := e.combined(t, args...)
			if code != tt.want {
				t.Errorf("%s podman %s: exit code = %d; want %d; output:\n%s", e.name, dockerQuote(args), code, tt.want, out)
			}
			if tt.wantOut != "" && !strings.Contains(out, tt.wantOut) {
				t.Errorf("%s podman %s: output = %q; want it to contain %q", e.name, dockerQuote(args), out, tt.wantOut)
			}
			if tt.quiet && (strings.Contains(out, "level=WARN") || strings.Contains(out, "level=ERROR")) {
				t.Errorf("%s podman %s: vigil behind catatonit warned; want it quiet:\n%s", e.name, dockerQuote(args), out)
			}
			if tt.logOut {
				t.Logf("%s podman %s: %s", e.name, strings.Join(tt.opts, " "), firstLine(out, tt.wantOut))
			}
		})
	}
}

// testPodmanStop starts a container, waits until its CMD is ready, runs
// `podman stop` and checks the exit code and how long the stop took.
func testPodmanStop(t *testing.T, e *podmanEngine, img string) {
	trap := []string{"sh", "-c", `trap "exit 5" TERM; echo ready; sleep 1000 & wait`}
	tests := []struct {
		name string
		opts []string
		args []string // print "ready" once the CMD's traps are set
		want int
	}{
		{name: "TrapTerm", args: trap, want: 5},
		{name: "TermKillsCmd", args: []string{"sh", "-c", "echo ready; sleep 1000"}, want: 128 + 15},
		{name: "Init", opts: []string{"--init"}, args: trap, want: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "-d", "--network", "none"}, tt.opts...)
			args = append(append(args, img), tt.args...)
			id := strings.TrimSpace(e.ok(t, args...))
			t.Cleanup(func() { e.cleanup(t, "rm", "--force", "--ignore", id) })
			e.waitLogs(t, id, "ready")
			took := podmanStop(t, e, id)
			if code := e.exitCode(t, id); code != tt.want {
				t.Errorf("%s podman stop: exit code = %d; want %d; logs:\n%s", e.name, code, tt.want, e.allLogs(t, id))
			}
			if took >= podmanStopBound {
				t.Errorf("%s podman stop took %v; want under %v (podman's stop timeout is 10s)", e.name, took, podmanStopBound)
			}
		})
	}
}

// podmanStop runs `podman stop -t 10 id`, logs how long it took and returns that.
func podmanStop(t *testing.T, e *podmanEngine, id string) time.Duration {
	t.Helper()
	start := time.Now()
	e.ok(t, "stop", "--time", "10", id)
	took := time.Since(start)
	t.Logf("%s: %s podman stop: exited %s after %v", t.Name(), e.name, e.inspect(t, id, "{{.State.ExitCode}}"), took.Round(time.Millisecond))
	return took
}

// testPodmanExample runs the multi-service example: `podman exec C vigil
// status` and `vigil check` see both services ready; `podman stop` runs the
// staged stop, the finish script included.
func testPodmanExample(t *testing.T, e *podmanEngine, example string) {
	id := strings.TrimSpace(e.ok(t, "run", "-d", "--network", "none", example))
	t.Cleanup(func() { e.cleanup(t, "rm", "--force", "--ignore", id) })
	e.execWait(t, id, "vigil", "wait", "--ready", "--timeout", "60s", "web", "worker")

	out := e.ok(t, "exec", id, "vigil", "status")
	t.Logf("%s podman exec C vigil status:\n%s", e.name, out)
	rows := parseStatusTable(t, out)
	for _, name := range []string{"web", "worker", "worker/log"} {
		row, ok := rows[name]
		switch {
		case !ok:
			t.Errorf("vigil status: no row for %s:\n%s", name, out)
		case row["STATE"] != "up" || row["READY"] != "yes" || row["PID"] == "-":
			t.Errorf("vigil status: %s = %v; want up, ready, a pid", name, row)
		}
	}
	if out, code := e.combined(t, "exec", id, "vigil", "check"); code != 0 || out != "healthy\n" {
		t.Errorf("%s podman exec C vigil check: exit %d, %q; want exit 0, %q", e.name, code, out, "healthy\n")
	}

	took := podmanStop(t, e, id)
	if took >= podmanStopBound {
		t.Errorf("%s podman stop took %v; want under %v", e.name, took, podmanStopBound)
	}
	if code := e.exitCode(t, id); code != 0 {
		t.Errorf("%s: exit code = %d; want 0 (the CMD exits 0 on SIGTERM)", e.name, code)
	}
	podmanCheckExampleStop(t, e, id)
}

// podmanCheckExampleStop checks the multi-service example's log of a
// graceful stop: services down in order, the logger last, then the finish
// script, whose output proves it ran.
func podmanCheckExampleStop(t *testing.T, e *podmanEngine, id string) {
	t.Helper()
	stdout, stderr := e.logs(t, id)
	// Scripts and services write through vigil, prefixed; the CMD writes
	// itself: the two may interleave either way. The worker's lines go to
	// its logger's file; the finish script shows the last.
	for _, want := range [][]string{
		{"10-greeting | init: preparing", "10-bye | finish: services are down", "worker: stopping"},
		{"cmd: hello from cont-init.d", "cmd: stopping"},
	} {
		checkOrder(t, e.name+" stdout", stdout, want)
	}
	checkOrder(t, e.name+" stderr", stderr, []string{
		`msg=shutdown reason="signal SIGTERM"`,
		`msg="service stopping" service=worker `,
		`msg="service stopping" service=web `,
		`msg="service exited" service=worker/log`,
		`msg="script exited" path=/etc/cont-finish.d/10-bye code=0`,
		"msg=exit code=0",
	})
}

// firstLine returns the first line of out that contains s.
func firstLine(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return fmt.Sprintf("(no line with %q)", s)
}
