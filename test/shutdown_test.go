package test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cmdThenExit is a CMD that waits for each $OUT/name, then runs the helper
// to print its exiting line (with the moment it exits) and exit 0.
func cmdThenExit(names ...string) []string {
	var waits []string
	for _, name := range names {
		waits = append(waits, waitForCmd(name))
	}
	return shCmd(strings.Join(waits, "; ") + "; exec " + helperBin + " exit 0")
}

// TestFinishScriptsOrder: cont-finish scripts run after every service has
// stopped (its finish included), one at a time, in byte order; one that
// is not executable is skipped with a warning naming it (README "Shutdown", step 3).
func TestFinishScriptsOrder(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	for _, name := range []string{"a", "b"} {
		tr.service(name, map[string]string{
			"run": shScript(`trap 'echo "stop ` + name + `" >> "$OUT/order"; exit 0' TERM
` + publish("up-"+name, "up") + `
while :; do sleep 1; done`),
			"finish": shScript(`sleep 0.1; echo "finish ` + name + `" >> "$OUT/order"`),
		})
	}
	for _, name := range []string{"10-a", "20-b", "9-c"} {
		tr.script(tr.finish, name, shScript(`echo "start `+name+`" >> "$OUT/order"
sleep 0.1
echo "end `+name+`" >> "$OUT/order"`))
	}
	tr.script(tr.finish, "15-skipped", `echo skipped >> "$OUT/order"`+"\n") // 0644
	v := tr.start(nil, shCmd(waitForCmd("up-a")+"; "+waitForCmd("up-b"))...)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	got := tr.lines("order")
	if len(got) != 10 {
		t.Fatalf("order = %q; want 4 lines of services then 6 of finish scripts", got)
	}
	// a and b stop together: their lines may interleave.
	services := append([]string(nil), got[:4]...)
	for _, name := range []string{"a", "b"} {
		stop, fin := indexOf(services, "stop "+name), indexOf(services, "finish "+name)
		if stop < 0 || fin < stop {
			t.Errorf("service %s: first lines = %q; want its stop, then its finish", name, services)
		}
	}
	want := []string{"start 10-a", "end 10-a", "start 20-b", "end 20-b", "start 9-c", "end 9-c"}
	if strings.Join(got[4:], ",") != strings.Join(want, ",") {
		t.Errorf("finish scripts: %q; want %q after the services", got[4:], want)
	}
	if m := matching(v.stderr(), `level=WARN .*15-skipped`); len(m) != 1 {
		t.Errorf("warnings naming the non-executable 15-skipped: %q; want one", m)
	}
}

func indexOf(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	return -1
}

// TestFinishScriptTimeout: a cont-finish script that hangs is killed after
// VIGIL_FINISH_TIMEOUT, and the next one runs.
func TestFinishScriptTimeout(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.script(tr.finish, "10-hang", shScript(`echo hang >> "$OUT/order"; exec sleep 1000`))
	tr.script(tr.finish, "20-next", shScript(`echo next >> "$OUT/order"`))
	v := tr.start([]string{"VIGIL_FINISH_TIMEOUT=500ms"}, helperBin, "exit", "0")
	m := v.expect(exitingLine)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	d := v.sinceExit(atoi64(t, m[2]))
	t.Logf("shutdown with a hanging finish script, VIGIL_FINISH_TIMEOUT=500ms: %v", d)
	if d < 500*time.Millisecond || d > 10*time.Second {
		t.Errorf("vigil exited %v after the CMD; want >= 500ms (VIGIL_FINISH_TIMEOUT) and not much more", d)
	}
	if got, want := tr.lines("order"), []string{"hang", "next"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("finish scripts ran: %q; want %q", got, want)
	}
}

// TestFastStop: services that exit on TERM (one with a finish, one with a
// logger) stop in milliseconds: no fixed sleep anywhere in the shutdown,
// whatever the grace times.
func TestFastStop(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	var names []string
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("s%d", i)
		names = append(names, "up-"+name)
		files := map[string]string{"run": shScript(publish("up-"+name, "up") + "; exec sleep 1000")}
		switch i {
		case 1:
			files["finish"] = shScript("exit 0")
		case 2:
			files["log/run"] = shScript("exec cat >/dev/null")
		case 3:
			files["notification-fd"] = "3\n"
			files["run"] = shScript(publish("up-"+name, "up") + "; echo >&3; exec sleep 1000")
		}
		tr.service(name, files)
	}
	v := tr.start([]string{"VIGIL_SERVICES_GRACETIME=10s", "VIGIL_KILL_GRACETIME=10s", "VIGIL_FINISH_TIMEOUT=10s"},
		cmdThenExit(names...)...)
	m := v.expect(exitingLine)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	d := v.sinceExit(atoi64(t, m[2]))
	t.Logf("5 services stopped, vigil exited %v after the CMD", d)
	if d >= 1500*time.Millisecond {
		t.Errorf("vigil exited %v after the CMD with 5 services exiting on TERM; want < 1.5s (no fixed sleep)", d)
	}
}

// TestServicesShutdownTimeout: VIGIL_SHUTDOWN_TIMEOUT caps the shutdown
// even for a service that ignores TERM and has no timeout-kill limit.
func TestServicesShutdownTimeout(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("stubborn", map[string]string{
		"run":          shScript(`trap '' TERM; ` + publish("up", "up") + "; exec sleep 1000"),
		"timeout-kill": "0\n",
	})
	v := tr.start([]string{"VIGIL_SHUTDOWN_TIMEOUT=1s", "VIGIL_KILL_GRACETIME=20s"}, cmdThenExit("up")...)
	m := v.expect(exitingLine)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0 (the CMD's)", got)
	}
	d := v.sinceExit(atoi64(t, m[2]))
	t.Logf("shutdown with a service ignoring TERM, timeout-kill 0, VIGIL_SHUTDOWN_TIMEOUT=1s: %v", d)
	if d < time.Second || d > 10*time.Second {
		t.Errorf("vigil exited %v after the CMD; want >= 1s (VIGIL_SHUTDOWN_TIMEOUT) and not much more", d)
	}
}

// TestCmdFailsStopsServices: a CMD that cannot start ends the container
// with 127 or 126 through the normal shutdown: services stop, cont-finish
// scripts run.
func TestCmdFailsStopsServices(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cmd  string // under $OUT
		want int
	}{
		{"not found", "missing", 127},
		{"not executable", "plain", 126},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			writeTreeFile(t, tr.path("plain"), "not a program\n")
			// Ready once its trap is set: then the CMD starts.
			tr.service("web", map[string]string{
				"notification-fd": "3\n",
				"run": shScript(`trap 'echo stop >> "$OUT/order"; exit 0' TERM
echo start >> "$OUT/order"
echo >&3
while :; do sleep 1; done`),
			})
			tr.script(tr.finish, "10-finish", shScript(`echo cont-finish >> "$OUT/order"`))
			v := tr.start(nil, tr.path(tt.cmd))
			if got := v.wait(); got != tt.want {
				t.Errorf("exit code = %d; want %d", got, tt.want)
			}
			got := tr.lines("order")
			if want := []string{"start", "stop", "cont-finish"}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("order = %q; want the service stopped, then the cont-finish script", got)
			}
		})
	}
}

// TestTimeoutKill: a service ignoring its down-signal gets SIGKILL after
// timeout-kill (or VIGIL_SERVICES_GRACETIME without the file), not before,
// and so does the rest of its process group.
func TestTimeoutKill(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string // file: timeout-kill, "" for none
		env        string
	}{
		{"timeout-kill 500", "500\n", "VIGIL_SERVICES_GRACETIME=20s"},
		{"VIGIL_SERVICES_GRACETIME", "", "VIGIL_SERVICES_GRACETIME=500ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			// A child in run's group, ignoring TERM too. finish reports
			// run's status, and whether that child died (gone, or a zombie
			// not yet reaped) within 2 s: alone, it would live on.
			files := map[string]string{
				"run": shScript(`trap '' TERM
sleep 1000 &
echo $! > "$OUT/child"
` + publish("up", "up") + `
exec sleep 1000`),
				"finish": shScript(`c=$(cat "$OUT/child") child=alive
for i in $(seq 100); do
	case $(sed 's/.*) //' /proc/$c/stat 2>/dev/null) in ""|Z*) child=dead; break;; esac
	sleep 0.02
done
` + publish("finish", "$1 $2 child=$child")),
			}
			if tt.file != "" {
				files["timeout-kill"] = tt.file
			}
			tr.service("stubborn", files)
			v := tr.start([]string{tt.env, "VIGIL_SHUTDOWN_TIMEOUT=30s"})
			tr.waitFile("up")
			d := v.termNoCmd()
			t.Logf("shutdown with a service ignoring TERM, killed after 500ms: %v", d)
			if d < 500*time.Millisecond || d > 10*time.Second {
				t.Errorf("shutdown took %v; want >= 500ms and not much more", d)
			}
			if got, want := tr.read("finish"), "256 9 child=dead"; got != want {
				t.Errorf("finish of the killed service got %q; want %q (SIGKILL, to the group)", got, want)
			}
		})
	}
}

// TestDownSignal: a service that stops only on its down-signal stops
// promptly at shutdown: it gets that signal, not TERM.
func TestDownSignal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, trap string
	}{
		{"USR1", "USR1"},
		{"SIGUSR1", "USR1"},
		{"QUIT", "QUIT"},
		{"SIGQUIT", "QUIT"},
		{strconv.Itoa(int(unix.SIGUSR2)), "USR2"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			// TERM is ignored, by the shell and the sleep it starts; the
			// trap runs once the foreground sleep died of the signal too
			// (it went to the process group).
			tr.service("web", map[string]string{
				"down-signal": tt.file + "\n",
				"run": shScript(`trap '' TERM
trap '` + publish("got", tt.trap) + `; exit 0' ` + tt.trap + `
` + publish("up", "up") + `
while :; do sleep 1; done`),
			})
			v := tr.start([]string{"VIGIL_SERVICES_GRACETIME=20s", "VIGIL_SHUTDOWN_TIMEOUT=30s"})
			tr.waitFile("up")
			d := v.termNoCmd()
			if got := tr.read("got"); got != tt.trap {
				t.Errorf("service with down-signal %s got %q; want %q", tt.file, got, tt.trap)
			}
			if d > 5*time.Second {
				t.Errorf("shutdown took %v; want it prompt (< 5s)", d)
			}
		})
	}
}

// TestStoppedServiceStops: a stopped (SIGSTOP) service still stops
// promptly at shutdown: its down-signal is followed by SIGCONT (README "Services").
func TestStoppedServiceStops(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{"run": shScript(publish("pid", "$$") + "; exec sleep 1000")})
	v := tr.start([]string{"VIGIL_SERVICES_GRACETIME=20s", "VIGIL_SHUTDOWN_TIMEOUT=30s"})
	host := v.nsHostPid(atoi(t, tr.waitFile("pid")))
	if err := unix.Kill(host, unix.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	poll(t, "the service to be stopped", func() (bool, string) {
		s := procState(host)
		return s == 'T', fmt.Sprintf("state %q", s)
	})
	d := v.termNoCmd()
	if d > 5*time.Second {
		t.Errorf("shutdown with a stopped service took %v; want it prompt (< 5s)", d)
	}
	if m := matching(v.stderr(), logLine("service exited", "web")+`.*signal=SIGTERM`); len(m) != 1 {
		t.Errorf("log lines saying web died of SIGTERM: %q; want one", m)
	}
}
