package test

// Real daemons under vigil as PID 1 (issue 8, "What real daemons found"): the
// image docker/examples/daemons, FROM vigil-debian:bookworm (the debootstrap
// rootfs docker/debian-rootfs.sh imports), runs nginx (a master and two
// workers), redis as user redis, postgres as user postgres with a logger, and
// cron. One container goes through the checks in turn, each a subtest, so
// that one failing does not hide the others; the cron check comes late, since
// cron runs a job only at a minute boundary, and the checks before it use
// that wait. Like TestDocker it needs a running engine: without one it
// skips, or fails when CI=true.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	// rootfsDeadline bounds docker/debian-rootfs.sh: about a minute here when
	// nothing is cached (a debootstrap), seconds otherwise.
	rootfsDeadline = 15 * time.Minute
	// cronDeadline: cron runs a `* * * * *` job at the first minute boundary
	// after it starts, so at most 60 s after the container starts, plus the
	// job's own run. There is no faster way short of faking the clock; the
	// checks before the cron check run during that wait.
	cronDeadline = 90 * time.Second
	// nginxRestartDeadline: a master that ran for a while is restarted at once
	// (README, Restarts); even through a few fast deaths in a row the backoff
	// stays far below this.
	nginxRestartDeadline = 30 * time.Second
	// pgStatementsDir is postgres's log directory (services.d/postgres/log/run).
	pgStatementsDir = "/var/log/postgres"
	// loggerRestarts: how often postgres/log is restarted while statements stream in.
	loggerRestarts = 10
	// pgStatementsMax bounds the statements sent: about 110 bytes of log
	// each, 80000 stay within what `vigil log` keeps (current and 10
	// archives of 1 MiB), so that a missing one was lost, not pruned.
	pgStatementsMax = 80000
)

// daemonsServices are the services of the image, all meant to be up and ready.
var daemonsServices = []string{"cron", "nginx", "postgres", "postgres/log", "redis"}

// TestDockerDaemons builds the image and runs the checks on one container.
func TestDockerDaemons(t *testing.T) {
	requireDocker(t)
	dockerDebianRootfs(t)
	ctx := t.TempDir()
	if err := dockerCopyTree(ctx, filepath.Join("..", "docker", "examples", "daemons")); err != nil {
		t.Fatalf("build context: %v", err)
	}
	dockerContextBinaries(t, ctx)
	img := dockerBuildContext(t, "daemons", ctx)
	name := fmt.Sprintf("vigil-daemons-%d-%d", os.Getpid(), time.Now().UnixNano())
	started := time.Now()
	id := strings.TrimSpace(dockerOK(t, "run", "-d", "--network", "none", "--name", name, img))
	t.Cleanup(func() { dockerCleanup(t, "rm", "-f", id) })

	if !t.Run("Boot", func(t *testing.T) { testDaemonsBoot(t, id) }) {
		t.Fatalf("the container did not boot; the other checks need it; logs:\n%s", dockerLogs(t, id))
	}
	t.Run("ProcOfPID1", func(t *testing.T) { testDaemonsProcOfPID1(t, id) })
	t.Run("LoggerRestartsLoseNothing", func(t *testing.T) { testDaemonsLoggerRestarts(t, id) })
	t.Run("NginxMasterKilled", func(t *testing.T) { testDaemonsNginxKilled(t, id) })
	t.Run("CronJobToPID1Stdout", func(t *testing.T) { testDaemonsCron(t, id, started) })
	// docker stop ends every daemon; exit 0: shutdown by signal, no CMD
	// (README "Exit codes").
	t.Run("Stop", func(t *testing.T) { dockerStopExits(t, id, 0, "shutdown by signal, no CMD") })
}

// dockerDebianRootfs runs docker/debian-rootfs.sh, which makes the image
// vigil-debian:bookworm current: it does nothing when the image is, imports
// the cached tarball when only that is there, and debootstraps when nothing
// is cached. When it cannot (not root, no mirror), the test skips saying why,
// or fails when CI=true.
func dockerDebianRootfs(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rootfsDeadline)
	defer cancel()
	script := filepath.Join("..", "docker", "debian-rootfs.sh")
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err != nil {
		tail := strings.Join(lines[max(0, len(lines)-30):], "\n")
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v; CI=true: the image vigil-debian:bookworm must be built; output:\n%s", script, err, tail)
		}
		t.Skipf("Docker daemon tests skipped: %s could not make the image vigil-debian:bookworm: %v; output:\n%s", script, err, tail)
	}
	t.Logf("%s (%v): %s", script, time.Since(start).Round(time.Millisecond), lines[len(lines)-1])
}

// testDaemonsBoot: `vigil check` turns healthy, and `vigil status` shows
// every service up and ready, redis and postgres as their own users.
func testDaemonsBoot(t *testing.T, id string) {
	start := time.Now()
	dockerExecWait(t, id, "vigil", "check")
	t.Logf("vigil check healthy after %v", time.Since(start).Round(time.Millisecond))
	out := dockerOK(t, "exec", id, "vigil", "status")
	t.Logf("docker exec %s vigil status:\n%s", id[:12], out)
	rows := parseStatusTable(t, out)
	for _, name := range daemonsServices {
		row, ok := rows[name]
		switch {
		case !ok:
			t.Errorf("vigil status: no row for %s", name)
		case row["STATE"] != "up" || row["READY"] != "yes" || row["PID"] == "-":
			t.Errorf("vigil status: %s = %v; want up, ready, a pid", name, row)
		}
	}
	if len(rows) != len(daemonsServices) {
		t.Errorf("vigil status: services %v; want %v", keys(rows), daemonsServices)
	}
	for name, want := range map[string]string{"nginx": "root", "redis": "redis", "postgres": "postgres"} {
		if rows[name] == nil {
			continue
		}
		pid := rows[name]["PID"]
		if user := strings.TrimSpace(dockerOK(t, "exec", id, "ps", "-o", "user=", "-p", pid)); user != want {
			t.Errorf("%s (pid %s) runs as %q; want %q", name, pid, user, want)
		}
	}
}

// testDaemonsProcOfPID1: root in `docker exec` reads PID 1's environment and
// writes to its stdout, as cron jobs and debugging sessions do. The kernel
// allows that only while PID 1 is dumpable: docker drops CAP_SYS_PTRACE.
func testDaemonsProcOfPID1(t *testing.T, id string) {
	out, code := dockerRun(t, "exec", id, "cat", "/proc/1/environ")
	if code != 0 || !strings.Contains(out, "PATH=") {
		t.Errorf("docker exec cat /proc/1/environ: exit %d, %q; want PID 1's environment (PATH=…)", code, out)
	}
	marker := fmt.Sprintf("vigil-daemons-marker-%d", time.Now().UnixNano())
	out, code = dockerRun(t, "exec", id, "sh", "-c", "echo "+marker+" >/proc/1/fd/1")
	if code != 0 {
		t.Errorf("docker exec sh -c 'echo MARKER >/proc/1/fd/1': exit %d, %q; want exit 0 and the line in docker logs", code, strings.TrimSpace(out))
		return
	}
	dockerWaitLogs(t, id, marker)
}

// testDaemonsLoggerRestarts: postgres logs every statement through log/ (vigil
// log) to /var/log/postgres/current; restarting the logger while numbered
// statements stream in loses none of them (README, Services, log/: the pipe
// vigil holds keeps what the producer wrote meanwhile).
func testDaemonsLoggerRestarts(t *testing.T, id string) {
	const stopFile = "/tmp/vigil-daemons-stop-statements"
	// One psql session sends statements in bursts of 500 as fast as it can,
	// 20 ms apart (so a logger stopped has lines in flight, and the rate has
	// a bound on a fast machine), until stopFile exists or pgStatementsMax
	// are sent, then writes how many it sent to stopFile.count.
	producer := fmt.Sprintf(`{ i=0
while [ ! -e %[1]s ] && ((i < %[2]d)); do
	i=$((i + 1)); echo "SELECT 'vigil-statement-$i';"
	if ((i %% 500 == 0)); then sleep 0.02; fi
done
echo "$i" >%[1]s.count
} | /usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 -h /run/postgresql -U postgres -d postgres >/dev/null`, stopFile, pgStatementsMax)
	type result struct {
		stdout, stderr string
		code           int
		err            error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.stdout, r.stderr, r.code, r.err = runDocker("exec", "-u", "postgres", id, "bash", "-c", producer)
		done <- r
	}()
	finished := false
	defer func() {
		if !finished { // stop the producer whatever happened
			runDocker("exec", id, "touch", stopFile)
			<-done
		}
	}()

	deadline := time.Now().Add(dockerDeadline)
	for {
		if _, code := dockerRun(t, "exec", id, "grep", "-q", "vigil-statement-", pgStatementsDir+"/current"); code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no statement in %s/current after %v; logs:\n%s", pgStatementsDir, dockerDeadline, dockerLogs(t, id))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 1; i <= loggerRestarts; i++ {
		start := time.Now()
		if out, code := dockerRun(t, "exec", id, "vigil", "restart", "postgres/log"); code != 0 {
			t.Errorf("restart %d: docker exec vigil restart postgres/log: exit %d: %s", i, code, out)
		}
		t.Logf("restart %d of postgres/log took %v", i, time.Since(start).Round(time.Millisecond))
	}
	if _, code := dockerRun(t, "exec", id, "test", "-e", stopFile+".count"); code == 0 {
		t.Errorf("the statements ended (%d sent) before the %d restarts did: nothing was in flight to lose", pgStatementsMax, loggerRestarts)
	}
	dockerOK(t, "exec", id, "touch", stopFile)
	r := <-done
	finished = true
	if r.err != nil || r.code != 0 {
		t.Fatalf("the statements (psql): %s; output:\n%s%s", dockerResult(r.code, r.err), r.stdout, r.stderr)
	}
	count, err := strconv.Atoi(strings.TrimSpace(dockerOK(t, "exec", id, "cat", stopFile+".count")))
	if err != nil || count == 0 {
		t.Fatalf("the statements: count %d (%v); want some", count, err)
	}

	statement := regexp.MustCompile(`vigil-statement-(\d+)'`)
	statements := func() map[int]bool {
		seen := map[int]bool{}
		out := dockerOK(t, "exec", id, "sh", "-c", "cat "+pgStatementsDir+"/@*.s "+pgStatementsDir+"/current 2>/dev/null; true")
		for _, m := range statement.FindAllStringSubmatch(out, -1) {
			n, _ := strconv.Atoi(m[1])
			seen[n] = true
		}
		return seen
	}
	// The last statement reaches the file soon after psql ends, or never.
	deadline = time.Now().Add(10 * time.Second)
	seen := statements()
	for !seen[count] && time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		seen = statements()
	}
	var missing []int
	for i := 1; i <= count; i++ {
		if !seen[i] {
			missing = append(missing, i)
		}
	}
	t.Logf("%d statements, %d in %s after %d restarts of its logger", count, count-len(missing), pgStatementsDir, loggerRestarts)
	if len(missing) > 0 {
		t.Errorf("%d of %d statements missing from %s (lost on a restart of postgres/log): %s", len(missing), count, pgStatementsDir, intRanges(missing))
	}
}

// intRanges renders sorted numbers as "1-3, 7".
func intRanges(ns []int) string {
	sort.Ints(ns)
	var parts []string
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(ns[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", ns[i], ns[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// daemonsStatus returns `vigil status --json name` in the container.
func daemonsStatus(t *testing.T, id, name string) svcStatus {
	t.Helper()
	out := dockerOK(t, "exec", id, "vigil", "status", "--json", name)
	var sts []svcStatus
	if err := json.Unmarshal([]byte(out), &sts); err != nil || len(sts) != 1 {
		t.Fatalf("vigil status --json %s: %v; output:\n%s", name, err, out)
	}
	return sts[0]
}

// nginxState is what the container shows of nginx at one moment.
type nginxState struct {
	svc        svcStatus
	oldWorkers string // `ps` of the old workers still alive, "" when none
	served     bool   // a GET answered 200
	worker     string // the X-Worker-Pid of the answer
	workerPPid string // that worker's parent
}

func (s nginxState) String() string {
	return fmt.Sprintf("service %s pid %d ready %v restarts %d last exit %q; old workers alive: %q; GET 200: %v by worker %s (parent %s)",
		s.svc.State, s.svc.Pid, s.svc.Ready, s.svc.Restarts, s.svc.LastExit, s.oldWorkers, s.served, s.worker, s.workerPPid)
}

// testDaemonsNginxKilled: `kill -9` of nginx's master. vigil restarts it, the
// old workers (the rest of the service's process group) are gone, and pages
// are served by the new master's workers, with no "Address already in use".
func testDaemonsNginxKilled(t *testing.T, id string) {
	before := daemonsStatus(t, id, "nginx")
	workers := strings.Fields(dockerOK(t, "exec", id, "pgrep", "-P", strconv.Itoa(before.Pid)))
	if len(workers) == 0 {
		t.Fatalf("nginx master %d has no workers", before.Pid)
	}
	t.Logf("nginx master %d, workers %v: kill -9 %d", before.Pid, workers, before.Pid)
	dockerOK(t, "exec", id, "kill", "-9", strconv.Itoa(before.Pid))

	workerPid := regexp.MustCompile(`(?m)^X-Worker-Pid: (\d+)`)
	look := func() nginxState {
		var s nginxState
		s.svc = daemonsStatus(t, id, "nginx")
		out, _ := dockerRun(t, "exec", id, "ps", "-o", "pid=,ppid=,user=,args=", "-p", strings.Join(workers, ","))
		s.oldWorkers = strings.TrimSpace(out)
		out, code := dockerRun(t, "exec", id, "http-get", "/")
		s.served = code == 0
		if m := workerPid.FindStringSubmatch(out); m != nil {
			s.worker = m[1]
			out, _ := dockerRun(t, "exec", id, "ps", "-o", "ppid=", "-p", s.worker)
			s.workerPPid = strings.TrimSpace(out)
		}
		return s
	}
	start := time.Now()
	deadline := start.Add(nginxRestartDeadline)
	var s nginxState
	for {
		s = look()
		restarted := s.svc.Pid != before.Pid && s.svc.Pid != 0 && s.svc.State == "up" && s.svc.Ready
		if restarted && s.oldWorkers == "" && s.served && s.workerPPid == strconv.Itoa(s.svc.Pid) {
			t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), s)
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%v after kill -9 of the nginx master %d: %v; want a new master, up and ready, serving through its own workers, the old workers %v gone",
				nginxRestartDeadline, before.Pid, s, workers)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	stdout, stderr, _, err := runDocker("logs", id)
	if err != nil {
		t.Fatalf("docker logs: %v", err)
	}
	if strings.Contains(stdout+stderr, "Address already in use") {
		var lines []string
		for _, l := range strings.Split(stdout+stderr, "\n") {
			if strings.Contains(l, "Address already in use") || strings.Contains(l, "service=nginx") {
				lines = append(lines, l)
			}
		}
		if len(lines) > 16 {
			lines = append(lines[:16], "…")
		}
		t.Errorf("the restarted nginx could not bind: the old workers held the port; from docker logs:\n%s", strings.Join(lines, "\n"))
	}
}

// testDaemonsCron: the cron job's line, written to /proc/1/fd/1, reaches
// docker logs. The job records the line, and its failure to write it, in
// /var/log/cron-marker.log too, so that a failure says which it was.
func testDaemonsCron(t *testing.T, id string, started time.Time) {
	if out, code := dockerRun(t, "exec", id, "pgrep", "-x", "cron"); code != 0 {
		t.Fatalf("cron is not running: pgrep -x cron: exit %d %s", code, out)
	}
	deadline := started.Add(cronDeadline)
	for {
		if logs := dockerLogs(t, id); strings.Contains(logs, "cron: marker") {
			t.Logf("the cron job's line reached docker logs %v after the container started", time.Since(started).Round(time.Second))
			return
		}
		out, _ := dockerRun(t, "exec", id, "cat", "/var/log/cron-marker.log")
		if strings.Contains(out, "/proc/1/fd/1") { // the job's write failed
			t.Errorf("cron ran the job, but its write to /proc/1/fd/1 failed (%v after the container started): %s",
				time.Since(started).Round(time.Second), strings.TrimSpace(out))
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("no cron job line in docker logs %v after the container started; /var/log/cron-marker.log: %q", cronDeadline, out)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}
