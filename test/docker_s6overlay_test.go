package test

// An image written for s6-overlay v3 with vigil as its /init (SPEC §11,
// README "Images written for s6-overlay"): docker/examples/s6-overlay, FROM
// vigil-debian:bookworm with vigil copied in from a vigil image, as users
// will (`COPY --from=vigil:latest / /`); the vigil image is built as
// `make image` builds vigil:latest (docker/build-image.sh), from the binary
// under test. One container goes through the checks in turn, each a
// subtest; then the image boots and stops with a read-only root, and a
// last container checks that the server's death ends it with the code its
// finish script wrote. Like TestDocker it needs a running engine: without
// one it skips, or fails when CI=true.

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	// s6overlaySecret is the secret's file as the host has it: init-envfile
	// drops its newline.
	s6overlaySecret = "s3cr3t value\n"
	s6overlayPUID   = "1234"
	s6overlayPGID   = "2345"
	// s6overlayHaltDeadline bounds the wait for the container to end after
	// its server died: the finish script halts at once.
	s6overlayHaltDeadline = 10 * time.Second
)

// s6overlaySources are the s6-rc sources of the image; every one is in user.
var s6overlaySources = []string{"init-adduser", "init-config", "init-envfile", "svc-cron", "svc-web"}

// s6overlayLongruns are those of s6overlaySources that are longruns.
var s6overlayLongruns = []string{"svc-cron", "svc-web"}

func TestDockerS6Overlay(t *testing.T) {
	requireDocker(t)
	dockerDebianRootfs(t)
	start := time.Now()
	vigilImg := dockerBuildRelease(t) // as `make image` makes vigil:latest
	ctx := t.TempDir()
	if err := dockerCopyTree(ctx, filepath.Join("..", "docker", "examples", "s6-overlay")); err != nil {
		t.Fatalf("build context: %v", err)
	}
	img := dockerBuildContext(t, "s6overlay", ctx, "VIGIL_IMAGE="+vigilImg)
	t.Logf("images built in %v", time.Since(start).Round(time.Millisecond))
	secret := filepath.Join(t.TempDir(), "mysecret")
	if err := os.WriteFile(secret, []byte(s6overlaySecret), 0o644); err != nil {
		t.Fatal(err)
	}
	withSecret := []string{"-v", secret + ":/run/secrets/mysecret:ro", "-e", "FILE__MYSECRET=/run/secrets/mysecret"}

	id := s6overlayRun(t, img, append(withSecret, "-e", "PUID="+s6overlayPUID, "-e", "PGID="+s6overlayPGID)...)
	if !t.Run("Boot", func(t *testing.T) { s6overlayBoot(t, id) }) {
		t.Fatalf("the container did not boot; the other checks need it; logs:\n%s", dockerLogs(t, id))
	}
	t.Run("SecretReachesCmd", func(t *testing.T) {
		cmd := s6overlayCmdLine(t, id)
		if want := "secret=" + strings.TrimSuffix(s6overlaySecret, "\n"); !strings.Contains(cmd, want+" ") {
			t.Errorf("the CMD printed %q; want %q (FILE__MYSECRET read by init-envfile into /run/s6/container_environment)", cmd, want)
		}
	})
	t.Run("SecretReachesServices", func(t *testing.T) { s6overlaySecretInServices(t, id) })
	t.Run("PUIDPGID", func(t *testing.T) { s6overlayPUIDPGID(t, id) })
	t.Run("Cron", func(t *testing.T) { s6overlayCron(t, id) })
	t.Run("RunPaths", func(t *testing.T) { s6overlayRunPaths(t, id) })
	t.Run("CommandInPath", func(t *testing.T) {
		cmd := s6overlayCmdLine(t, id)
		path, _, _ := strings.Cut(cmd[strings.Index(cmd, "path=")+len("path="):], " ")
		if !slices.Contains(strings.Split(path, ":"), "/command") {
			t.Errorf("the CMD's PATH is %q; want /command in it (vigil adds it when it exists)", path)
		}
	})
	t.Run("Stop", func(t *testing.T) { s6overlayStop(t, id) })

	t.Run("ReadOnlyRoot", func(t *testing.T) {
		id := s6overlayRun(t, img, append(withSecret, "--read-only", "--tmpfs", "/run", "--security-opt", "no-new-privileges")...)
		s6overlayBoot(t, id)
		cmd := s6overlayCmdLine(t, id)
		if !strings.Contains(cmd, " puid=911 pgid=911 ") {
			t.Errorf("the CMD printed %q; want abc with uid and gid 911 (no PUID, PGID given)", cmd)
		}
		if want := "secret=" + strings.TrimSuffix(s6overlaySecret, "\n"); !strings.Contains(cmd, want+" ") {
			t.Errorf("the CMD printed %q; want %q (/run/s6/container_environment made on the tmpfs /run)", cmd, want)
		}
		s6overlayStop(t, id)
	})
	t.Run("ServerDeathEndsContainer", func(t *testing.T) { s6overlayServerDeath(t, img) })
	t.Logf("TestDockerS6Overlay: %v in all", time.Since(start).Round(time.Millisecond))
}

// s6overlayRun starts a container of img with opts; it is removed, with
// its /config volume, when the test ends.
func s6overlayRun(t *testing.T, img string, opts ...string) string {
	t.Helper()
	name := fmt.Sprintf("vigil-s6overlay-%d-%d", os.Getpid(), time.Now().UnixNano())
	args := append([]string{"run", "-d", "--network", "none", "--name", name}, opts...)
	id := strings.TrimSpace(dockerOK(t, append(args, img)...))
	t.Cleanup(func() { dockerCleanup(t, "rm", "-f", "-v", id) })
	return id
}

// s6overlayBoot: `vigil check` turns healthy; `vigil status` lists the
// five sources of the image and nothing else, the longruns up and ready,
// the oneshots done.
func s6overlayBoot(t *testing.T, id string) {
	start := time.Now()
	dockerExecWait(t, id, "vigil", "check")
	t.Logf("vigil check healthy after %v", time.Since(start).Round(time.Millisecond))
	out := dockerOK(t, "exec", id, "vigil", "status")
	t.Logf("docker exec %s vigil status:\n%s", id[:12], out)
	rows := parseStatusTable(t, out)
	for _, name := range s6overlaySources {
		row := rows[name]
		switch {
		case row == nil:
			t.Errorf("vigil status: no row for %s", name)
		case slices.Contains(s6overlayLongruns, name) && (row["STATE"] != "up" || row["READY"] != "yes" || row["PID"] == "-"):
			t.Errorf("vigil status: %s = %v; want up, ready, a pid", name, row)
		case !slices.Contains(s6overlayLongruns, name) && (row["STATE"] != "up" || row["LAST EXIT"] != "exit 0"):
			t.Errorf("vigil status: %s = %v; want up (done), last exit 0", name, row)
		}
	}
	if got := keys(rows); !slices.Equal(got, s6overlaySources) {
		t.Errorf("vigil status lists %v; want %v", got, s6overlaySources)
	}
}

// s6overlayCmdLine returns the line the CMD printed.
func s6overlayCmdLine(t *testing.T, id string) string {
	t.Helper()
	dockerWaitLogs(t, id, "cmd: ")
	line := firstLine(dockerLogs(t, id), "cmd: ")
	t.Logf("the CMD printed: %s", line)
	return line
}

// s6overlayPid is the pid of the service name, as vigil status says.
func s6overlayPid(t *testing.T, id, name string) string {
	t.Helper()
	st := daemonsStatus(t, id, name)
	if st.Pid == 0 {
		t.Fatalf("%s has no pid: %+v", name, st)
	}
	return fmt.Sprint(st.Pid)
}

// s6overlaySecretInServices: the server (with-contenv in its run script)
// has the secret in its environment, and init-config, which runs after
// init-envfile, wrote its length into the configuration.
func s6overlaySecretInServices(t *testing.T, id string) {
	pid := s6overlayPid(t, id, "svc-web")
	// As the server's own user: root in `docker exec` lacks CAP_SYS_PTRACE,
	// which reading another user's environ needs.
	environ := dockerOK(t, "exec", "-u", s6overlayPUID+":"+s6overlayPGID, id, "cat", "/proc/"+pid+"/environ")
	want := "MYSECRET=" + strings.TrimSuffix(s6overlaySecret, "\n")
	if !slices.Contains(strings.Split(environ, "\x00"), want) {
		t.Errorf("svc-web (pid %s) environment has no %q", pid, want)
	}
	conf := dockerOK(t, "exec", id, "cat", "/config/app.conf")
	wantConf := fmt.Sprintf("user=abc\nuid=%s\nsecret_length=%d\n", s6overlayPUID, len(strings.TrimSuffix(s6overlaySecret, "\n")))
	if conf != wantConf {
		t.Errorf("/config/app.conf = %q; want %q", conf, wantConf)
	}
}

// s6overlayPUIDPGID: abc has PUID and PGID (init-adduser), the server runs
// as abc (s6-setuidgid reads /etc/passwd as init-adduser left it) in
// /config, and the configuration init-config wrote as abc is abc's.
func s6overlayPUIDPGID(t *testing.T, id string) {
	ids := strings.TrimSpace(dockerOK(t, "exec", id, "sh", "-c", "echo $(id -u abc):$(id -g abc)"))
	if want := s6overlayPUID + ":" + s6overlayPGID; ids != want {
		t.Errorf("abc is %s; want %s (PUID:PGID)", ids, want)
	}
	pid := s6overlayPid(t, id, "svc-web")
	ps := strings.Fields(dockerOK(t, "exec", id, "ps", "-o", "uid=,gid=,comm=", "-p", pid))
	if want := []string{s6overlayPUID, s6overlayPGID, "nc"}; !slices.Equal(ps, want) {
		t.Errorf("svc-web (pid %s): uid, gid, command %q; want %q", pid, ps, want)
	}
	// As the server's own user, as for its environ.
	if cwd := strings.TrimSpace(dockerOK(t, "exec", "-u", s6overlayPUID+":"+s6overlayPGID, id, "readlink", "/proc/"+pid+"/cwd")); cwd != "/config" {
		t.Errorf("svc-web (pid %s) runs in %q; want /config (execline's cd in its run script)", pid, cwd)
	}
	owner := strings.TrimSpace(dockerOK(t, "exec", id, "stat", "-c", "%u:%g", "/config/app.conf"))
	if want := s6overlayPUID + ":" + s6overlayPGID; owner != want {
		t.Errorf("/config/app.conf is owned by %s; want %s", owner, want)
	}
}

// s6overlayCron: svc-cron is cron itself, in the foreground, as root, with
// the image's job in /etc/cron.d. (Whether cron runs a job at the minute is
// TestDockerDaemons's to check.)
func s6overlayCron(t *testing.T, id string) {
	pid := s6overlayPid(t, id, "svc-cron")
	ps := strings.Fields(dockerOK(t, "exec", id, "ps", "-o", "user=,comm=", "-p", pid))
	if want := []string{"root", "cron"}; !slices.Equal(ps, want) {
		t.Errorf("svc-cron (pid %s): user, command %q; want %q", pid, ps, want)
	}
	if out, code := dockerRun(t, "exec", id, "grep", "-q", "abc date", "/etc/cron.d/app"); code != 0 {
		t.Errorf("/etc/cron.d/app has no job of abc: %s", out)
	}
}

// s6overlayRunPaths: the paths under /run that s6-overlay's
// scripts use.
func s6overlayRunPaths(t *testing.T, id string) {
	checks := []struct{ what, cmd, want string }{
		{"/run/s6/container_environment, a link to the env snapshot", "readlink /run/s6/container_environment", "/run/vigil/env"},
		{"the exit code file, holding 0", "cat /run/s6-linux-init-container-results/exitcode", "0"},
		{"/run/s6/basedir/bin/halt, executable", "test -x /run/s6/basedir/bin/halt && echo yes", "yes"},
	}
	for _, c := range checks {
		out, code := dockerRun(t, "exec", id, "sh", "-c", c.cmd)
		if got := strings.TrimSpace(out); code != 0 || got != c.want {
			t.Errorf("%s: `%s`: exit %d, %q; want %q", c.what, c.cmd, code, got, c.want)
		}
	}
}

// s6overlayStop: `docker stop` exits 0 (the CMD ends with 0 on SIGTERM;
// svc-web's finish, halting once more on its way down, changes nothing),
// well within Docker's 10 s.
func s6overlayStop(t *testing.T, id string) {
	dockerStopExits(t, id, 0, "the CMD's")
}

// s6overlayServerDeath: svc-web's server killed by a SIGTERM
// that is not vigil's: its finish script writes 143 (128 + 15) to the exit
// code file and runs /run/s6/basedir/bin/halt, and the container exits
// 143, whatever the CMD's own exit on the way down. (The finish script
// halts on SIGTERM only; another signal just sets the code the container
// will end with, and the server restarts.)
func s6overlayServerDeath(t *testing.T, img string) {
	id := s6overlayRun(t, img)
	dockerExecWait(t, id, "vigil", "check")
	pid := s6overlayPid(t, id, "svc-web")
	dockerOK(t, "exec", id, "kill", "-TERM", pid)
	deadline := time.Now().Add(s6overlayHaltDeadline)
	for strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.State.Running}}", id)) == "true" {
		if time.Now().After(deadline) {
			t.Fatalf("the container still runs %v after its server (pid %s) was killed; want it ended by svc-web's finish (halt); logs:\n%s",
				s6overlayHaltDeadline, pid, s6overlayTail(dockerLogs(t, id)))
		}
		time.Sleep(100 * time.Millisecond)
	}
	code := strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.State.ExitCode}}", id))
	if code != "143" {
		t.Errorf("exit code = %s; want 143, what svc-web's finish wrote to the exit code file; logs:\n%s", code, s6overlayTail(dockerLogs(t, id)))
	}
}

// s6overlayTail is the last lines of logs, for messages.
func s6overlayTail(logs string) string {
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	return strings.Join(lines[max(0, len(lines)-25):], "\n")
}
