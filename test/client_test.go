package test

// Black-box tests of client mode (README "The client"): `vigil COMMAND …` run from
// the test against a vigil running as PID 1 in a new PID namespace, sharing
// its VIGIL_RUN_DIR; and the helpers that need no running vigil
// (with-contenv's snapshot, setuser, log).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestClientStatus: the table (header, one aligned row per service and
// logger), --json with its fields, NAME filtering.
func TestClientStatus(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("alpha", map[string]string{
		"run":     sleeper("alpha"),
		"log/run": shScript("exec cat >/dev/null"),
	})
	tr.service("beta", map[string]string{"run": sleeper("beta"), "down": ""})
	// gamma exits 3 once, then runs.
	tr.service("gamma", map[string]string{"run": shScript(`if [ ! -e "$OUT/gamma.once" ]; then touch "$OUT/gamma.once"; exit 3; fi
` + publish("gamma.pid", "$$") + "\nexec sleep 1000")})
	v := tr.start(nil)
	tr.waitReady("alpha", "gamma")
	tr.waitFile("gamma.pid")
	alphaPid, gammaPid := tr.waitFile("alpha.pid"), tr.read("gamma.pid")

	r := tr.clientWant(0, "status")
	t.Logf("vigil status:\n%s", r.stdout)
	rows := parseStatusTable(t, r.stdout)
	uptime := regexp.MustCompile(`^([0-9]+h)?([0-9]+m)?[0-9]+s$`)
	want := map[string]map[string]string{
		"alpha":     {"STATE": "up", "PID": alphaPid, "READY": "yes", "RESTARTS": "0", "LAST EXIT": "-"},
		"alpha/log": {"STATE": "up", "READY": "yes", "RESTARTS": "0", "LAST EXIT": "-"},
		"beta":      {"STATE": "down", "PID": "-", "UPTIME": "-", "READY": "no", "RESTARTS": "0", "LAST EXIT": "-"},
		"gamma":     {"STATE": "up", "PID": gammaPid, "READY": "yes", "RESTARTS": "1", "LAST EXIT": "exit 3"},
	}
	if len(rows) != len(want) {
		t.Errorf("vigil status: %d rows; want %d (%v)", len(rows), len(want), r.stdout)
	}
	for name, cells := range want {
		row, ok := rows[name]
		if !ok {
			t.Errorf("vigil status: no row for %s:\n%s", name, r.stdout)
			continue
		}
		for col, w := range cells {
			if row[col] != w {
				t.Errorf("vigil status: %s %s = %q; want %q", name, col, row[col], w)
			}
		}
		if row["STATE"] == "up" && !uptime.MatchString(row["UPTIME"]) {
			t.Errorf("vigil status: %s UPTIME = %q; want a duration like 3s", name, row["UPTIME"])
		}
	}

	t.Run("JSON", func(t *testing.T) {
		r := tr.clientWant(0, "status", "--json")
		t.Logf("vigil status --json:\n%s", r.stdout)
		if !strings.HasPrefix(r.stdout, "[\n  {") {
			t.Errorf("vigil status --json = %q; want an indented JSON array", r.stdout)
		}
		var raw []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
			t.Fatalf("vigil status --json: %v; output:\n%s", err, r.stdout)
		}
		byName := map[string]map[string]any{}
		for _, o := range raw {
			name, _ := o["name"].(string)
			byName[name] = o
			// Always there, whatever the state.
			for _, f := range []string{"name", "state", "wanted", "ready", "restarts", "normally_up", "since_ms", "ready_ms", "exit_code", "signal"} {
				if _, ok := o[f]; !ok {
					t.Errorf("vigil status --json: %s has no field %q: %v", name, f, o)
				}
			}
		}
		if len(byName) != len(want) {
			t.Errorf("vigil status --json: services %v; want %d", keys(byName), len(want))
		}
		// gamma runs and has exited once: every field has a value.
		g := byName["gamma"]
		wantG := map[string]any{"name": "gamma", "state": "up", "wanted": true, "pid": float64(atoi(t, gammaPid)), "ready": true, "restarts": float64(1), "last_exit": "exit 3",
			"normally_up": true, "exit_code": float64(3), "signal": float64(0)}
		for f, w := range wantG {
			if g[f] != w {
				t.Errorf("vigil status --json: gamma %s = %v (%T); want %v", f, g[f], g[f], w)
			}
		}
		if ms, ok := g["uptime_ms"].(float64); !ok || ms < 0 {
			t.Errorf("vigil status --json: gamma uptime_ms = %v; want a number of milliseconds", g["uptime_ms"])
		}
		b := byName["beta"]
		for f, w := range map[string]any{"state": "down", "wanted": false, "ready": false, "normally_up": false, "exit_code": float64(-1)} {
			if b[f] != w {
				t.Errorf("vigil status --json: beta %s = %v; want %v", f, b[f], w)
			}
		}
		if p, ok := b["pid"]; ok && p != float64(0) {
			t.Errorf("vigil status --json: beta (down) pid = %v; want none", p)
		}
	})

	t.Run("Names", func(t *testing.T) {
		r := tr.clientWant(0, "status", "beta")
		rows := parseStatusTable(t, r.stdout)
		if _, ok := rows["beta"]; !ok || len(rows) != 1 {
			t.Errorf("vigil status beta: rows %v; want beta only:\n%s", keys(rows), r.stdout)
		}
		sts := tr.status("gamma", "alpha")
		var names []string
		for _, s := range sts {
			names = append(names, s.Name)
		}
		sort.Strings(names)
		if got := strings.Join(names, " "); got != "alpha gamma" {
			t.Errorf("vigil status --json gamma alpha: services %q; want alpha gamma", got)
		}
	})
	v.termNoCmd()
}

// TestClientStartStop: stop waits until run and finish are done and keeps
// the service down; start waits until it is ready; both with and without
// --timeout; a start that cannot be ready in time fails with 1.
func TestClientStartStop(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	// web takes a moment to stop (its TERM trap) and to finish, and is
	// ready only once its check passes.
	tr.service("web", map[string]string{
		"run": shScript(publish("web.pid", "$$") + `
trap 'sleep 0.3; exit 0' TERM
sleep 1000 & wait`),
		"check":  shScript(`test -e "$OUT/web.pid"`),
		"finish": shScript("sleep 0.3\n" + `echo "finish $1 $2" >> "$OUT/web.finish"`),
	})
	// slow is never ready; stubborn ignores its down-signal for 3 s;
	// flaky is ready only while $OUT/flaky.ok exists.
	tr.service("slow", map[string]string{
		"run":   sleeper("slow"),
		"check": shScript(`test -e "$OUT/slow.go"`),
		"down":  "",
	})
	tr.service("stubborn", map[string]string{
		"run":          shScript(`trap '' TERM; while :; do sleep 1; done`),
		"timeout-kill": "3000\n",
	})
	tr.service("flaky", map[string]string{
		"run":   sleeper("flaky"),
		"check": shScript(`test -e "$OUT/flaky.ok"`),
	})
	tr.script(tr.out, "flaky.ok", "")
	v := tr.start(nil)
	tr.waitReady("web", "stubborn", "flaky")

	for _, timeout := range [][]string{nil, {"--timeout", "20s"}} {
		t.Run(fmt.Sprintf("Timeout%v", timeout), func(t *testing.T) {
			tr := *tr
			tr.t = t
			finished := len(tr.lines("web.finish"))
			os.Remove(tr.path("web.pid"))
			tr.clientWant(0, append(append([]string{"stop"}, timeout...), "web")...)
			// stop returned: run and finish are done.
			st := tr.statusOf("web")
			if st.State != "down" || st.Pid != 0 || st.Wanted {
				t.Errorf("after vigil stop web: status %+v; want down, no pid, not wanted", st)
			}
			if got := len(tr.lines("web.finish")); got != finished+1 {
				t.Errorf("after vigil stop web: finish ran %d times; want %d (stop waits for finish)", got, finished+1)
			}
			if r := tr.client("check"); r.code != 0 {
				t.Errorf("vigil check after a deliberate stop: %v; want exit 0", r)
			}
			tr.clientWant(0, append(append([]string{"start"}, timeout...), "web")...)
			// start returned: web is ready.
			st = tr.statusOf("web")
			if st.State != "up" || !st.Ready || st.Pid == 0 || !st.Wanted {
				t.Errorf("after vigil start web: status %+v; want up, ready, a pid, wanted", st)
			}
			if got := tr.read("web.pid"); got != strconv.Itoa(st.Pid) {
				t.Errorf("after vigil start web: pid %d; the run script says %q", st.Pid, got)
			}
		})
	}

	t.Run("TimesOut", func(t *testing.T) {
		t.Run("Start", func(t *testing.T) {
			t.Parallel()
			tr := *tr
			tr.t = t
			r := tr.client("start", "--timeout", "500ms", "slow")
			if r.code != 1 || !strings.Contains(r.stderr, "slow") {
				t.Errorf("vigil start --timeout 500ms for a service never ready: %v; want exit 1 naming slow", r)
			}
			checkTook(t, r, 500*time.Millisecond)
			if st := tr.statusOf("slow"); st.State != "starting" || st.Ready {
				t.Errorf("slow after the start timed out: %+v; want starting, not ready", st)
			}
			if r := tr.client("check"); r.code != 1 || !strings.Contains(r.stderr, "slow") {
				t.Errorf("vigil check with slow started and not ready: %v; want exit 1 naming slow", r)
			}
			tr.clientWant(0, "stop", "--timeout", "20s", "slow")
		})
		t.Run("Stop", func(t *testing.T) {
			t.Parallel()
			tr := *tr
			tr.t = t
			r := tr.client("stop", "--timeout", "500ms", "stubborn")
			if r.code != 1 || !strings.Contains(r.stderr, "stubborn") {
				t.Errorf("vigil stop --timeout 500ms for a service that takes 3s to stop: %v; want exit 1 naming stubborn", r)
			}
			checkTook(t, r, 500*time.Millisecond)
			// It still goes down: SIGKILL after its timeout-kill.
			tr.clientWant(0, "wait", "--down", "--timeout", "20s", "stubborn")
		})
		t.Run("Restart", func(t *testing.T) {
			t.Parallel()
			tr := *tr
			tr.t = t
			os.Remove(tr.path("flaky.ok"))
			r := tr.client("restart", "--timeout", "500ms", "flaky")
			if r.code != 1 || !strings.Contains(r.stderr, "flaky") {
				t.Errorf("vigil restart --timeout 500ms for a service not ready again: %v; want exit 1 naming flaky", r)
			}
			checkTook(t, r, 500*time.Millisecond)
		})
	})
	v.termNoCmd()
}

// TestClientStopStaysDown: a service stopped while it waits out its restart
// delay (a crash loop) does not start again.
func TestClientStopStaysDown(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("crash", map[string]string{"run": shScript(`echo x >> "$OUT/starts"; exit 1`)})
	v := tr.start(nil)
	tr.waitControl()
	// The delay grows with each fast death: after 3 starts it is 800ms and more.
	tr.waitLines("starts", 3)
	tr.waitStatus("crash", "in backoff", func(st svcStatus) bool { return st.State == "backoff" })
	tr.clientWant(0, "stop", "crash")
	n := len(tr.lines("starts"))
	if st := tr.statusOf("crash"); st.State != "down" || st.Wanted {
		t.Errorf("after vigil stop crash: %+v; want down, not wanted", st)
	}
	// Longer than the restart delay was: a start would have come by now.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if got := len(tr.lines("starts")); got != n {
			t.Fatalf("crash started again after vigil stop: %d starts; want %d", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := tr.statusOf("crash"); st.State != "down" {
		t.Errorf("crash 3s after vigil stop: %+v; want down", st)
	}
	// Kept down only until a start. crash is never ready for long, so the
	// start may time out: what counts is that it runs again.
	tr.client("start", "--timeout", "1s", "crash")
	tr.waitLines("starts", n+1)
	v.termNoCmd()
}

// TestClientRestart: restart gives a new pid and waits until ready.
func TestClientRestart(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{
		"run":   sleeper("web"),
		"check": shScript(`test -e "$OUT/web.pid"`),
	})
	v := tr.start(nil)
	tr.waitReady("web")
	for _, args := range [][]string{{"restart", "web"}, {"restart", "--timeout", "20s", "web"}} {
		before := tr.statusOf("web")
		os.Remove(tr.path("web.pid"))
		tr.clientWant(0, args...)
		after := tr.statusOf("web")
		if after.Pid == 0 || after.Pid == before.Pid || after.State != "up" || !after.Ready {
			t.Errorf("vigil %s: status before %+v, after %+v; want a new pid, up and ready", strings.Join(args, " "), before, after)
		}
		if got := tr.read("web.pid"); got != strconv.Itoa(after.Pid) {
			t.Errorf("vigil %s: status pid %d; the run script says %q", strings.Join(args, " "), after.Pid, got)
		}
	}
	v.termNoCmd()
}

// TestClientDependencies: stopping a service stops those that depend on it
// first; starting one starts its dependencies.
func TestClientDependencies(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("db", map[string]string{"run": sleeper("db")})
	tr.service("app", map[string]string{"run": sleeper("app"), "dependencies": "db\n"})
	v := tr.start(nil)
	tr.waitReady("db", "app")
	tr.clientWant(0, "stop", "db")
	for _, name := range []string{"db", "app"} {
		if st := tr.statusOf(name); st.State != "down" || st.Wanted {
			t.Errorf("after vigil stop db: %s %+v; want down, not wanted", name, st)
		}
	}
	tr.clientWant(0, "start", "app")
	for _, name := range []string{"db", "app"} {
		if st := tr.statusOf(name); st.State != "up" || !st.Ready || !st.Wanted {
			t.Errorf("after vigil start app: %s %+v; want up, ready, wanted", name, st)
		}
	}
	v.termNoCmd()
}

// TestClientSignal: a signal reaches the service (its process group), given
// as a name, with or without SIG, in any case, or as a number.
func TestClientSignal(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("sig", map[string]string{
		"run": shScript(`exec "` + helperBin + `" record "$OUT/sig" signals on TERM 0 ready wait`),
	})
	tr.service("off", map[string]string{"run": sleeper("off"), "down": ""})
	v := tr.start(nil)
	tr.waitReady("sig")
	tr.waitLines("sig", 1) // "ready …": the handlers are in place
	tests := []struct {
		sig  string
		want syscall.Signal
	}{
		{"USR1", syscall.SIGUSR1},
		{"SIGUSR2", syscall.SIGUSR2},
		{"hup", syscall.SIGHUP},
		{"10", syscall.SIGUSR1},
	}
	n := 1
	for _, tt := range tests {
		tr.clientWant(0, "signal", tt.sig, "sig")
		n++
		got := tr.waitLines("sig", n)
		if re := signalLine("", tt.want); !regexp.MustCompile(re).MatchString(got[n-1]) {
			t.Errorf("vigil signal %s sig: the service saw %q; want %s", tt.sig, got[n-1], re)
		}
	}
	if r := tr.client("signal", "USR1", "off"); r.code != 1 || !strings.Contains(r.stderr, "off") {
		t.Errorf("vigil signal to a service that is down: %v; want exit 1 naming it", r)
	}
	if r := tr.client("signal", "NOSUCHSIG", "sig"); r.code != 2 || !strings.Contains(r.stderr, "NOSUCHSIG") {
		t.Errorf("vigil signal with an unknown signal: %v; want a usage error (2) naming it", r)
	}
	v.termNoCmd()
}

// TestClientWait: --up, --ready, --down, and --timeout (exit 1).
func TestClientWait(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("w", map[string]string{
		"run":   shScript("exec sleep 1000"),
		"check": shScript(`test -e "$OUT/go"`),
		"down":  "",
	})
	v := tr.start(nil)
	tr.waitControl()

	tr.clientWant(0, "wait", "--down", "w")
	if r := tr.client("wait", "--ready", "--timeout", "5s", "w"); r.code != 1 {
		t.Errorf("wait --ready for a service not wanted up: %v; want exit 1", r)
	}

	started := make(chan clientResult, 1)
	go func() {
		r, err := runClientErr(tr.clientEnv(), nil, "start", "w")
		if err != nil {
			r.code, r.stderr = -1, err.Error()
		}
		started <- r
	}()
	// Once vigil took the start (w wanted), w can come up: wait --up waits.
	tr.waitStatus("w", "wanted", func(st svcStatus) bool { return st.Wanted })
	tr.clientWant(0, "wait", "--up", "--timeout", "20s", "w")
	r := tr.client("wait", "--ready", "--timeout", "500ms", "w")
	if r.code != 1 || !strings.Contains(r.stderr, "w") {
		t.Errorf("wait --ready --timeout 500ms for a service not ready: %v; want exit 1", r)
	}
	checkTook(t, r, 500*time.Millisecond)
	select {
	case r := <-started:
		t.Fatalf("vigil start returned before the service was ready: %v", r)
	default:
	}
	tr.script(tr.out, "go", "")
	tr.clientWant(0, "wait", "--ready", "w")
	select {
	case r := <-started:
		if r.code != 0 {
			t.Errorf("vigil start w: %v; want exit 0", r)
		}
	case <-time.After(lineTimeout):
		t.Fatalf("vigil start w did not return within %v of w being ready", lineTimeout)
	}
	tr.clientWant(0, "wait", "--up", "w")

	stopped := make(chan clientResult, 1)
	go func() {
		r, _ := runClientErr(tr.clientEnv(), nil, "stop", "w")
		stopped <- r
	}()
	tr.clientWant(0, "wait", "--down", "--timeout", "20s", "w")
	if st := tr.statusOf("w"); st.State != "down" || st.Pid != 0 {
		t.Errorf("after wait --down: %+v; want down, no pid", st)
	}
	if r := <-stopped; r.code != 0 {
		t.Errorf("vigil stop w: %v; want exit 0", r)
	}
	v.termNoCmd()
}

// TestClientHalt: vigil halt [CODE] shuts down; vigil exits CODE.
func TestClientHalt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"Default", nil, 0},
		{"Code7", []string{"7"}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			tr.service("web", map[string]string{"run": sleeper("web")})
			v := tr.start(nil)
			tr.waitReady("web")
			tr.clientWant(0, append([]string{"halt"}, tt.args...)...)
			if got := v.wait(); got != tt.want {
				t.Errorf("vigil exit code after vigil halt %v = %d; want %d", tt.args, got, tt.want)
			}
		})
	}
}

// TestClientCheck: 1 with the reason during boot and before readiness; 0
// once ready, and still after a deliberate stop. start is refused while init
// scripts run.
func TestClientCheck(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.script(tr.init, "10-wait", shScript(waitForCmd("init.go")))
	tr.service("web", map[string]string{
		"run":   sleeper("web"),
		"check": shScript(`test -e "$OUT/web.go"`),
	})
	v := tr.start(nil)
	tr.waitControl()

	r := tr.client("check")
	if r.code != 1 || !strings.Contains(r.stderr, "boot") {
		t.Errorf("vigil check while init scripts run: %v; want exit 1 saying boot is not done", r)
	}
	if r := tr.client("start", "web"); r.code != 1 {
		t.Errorf("vigil start while init scripts run: %v; want exit 1 (refused)", r)
	}
	tr.script(tr.out, "init.go", "")
	tr.waitStatus("web", "starting", func(st svcStatus) bool { return st.State == "starting" })
	r = tr.client("check")
	if r.code != 1 || !regexp.MustCompile(`web.*not ready`).MatchString(r.stderr) || r.stdout != "" {
		t.Errorf("vigil check before web is ready: %v; want exit 1 saying web is not ready", r)
	}
	tr.script(tr.out, "web.go", "")
	tr.waitReady("web")
	r = tr.clientWant(0, "check")
	if r.stdout != "healthy\n" {
		t.Errorf("vigil check stdout = %q; want %q", r.stdout, "healthy\n")
	}
	tr.clientWant(0, "stop", "web")
	tr.clientWant(0, "check")
	v.termNoCmd()
}

// TestClientReload: a new service directory starts; a deleted one stops
// and leaves status.
func TestClientReload(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("old", map[string]string{
		"run": shScript(publish("old.pid", "$$") + `
trap '` + publish("old.stopped", "yes") + `; exit 0' TERM
sleep 1000 & wait`),
	})
	v := tr.start(nil)
	tr.waitReady("old")
	tr.waitFile("old.pid")

	tr.service("new", map[string]string{"run": sleeper("new")})
	r := tr.clientWant(0, "reload")
	if r.stdout != "added: new\nremoved: -\n" {
		t.Errorf("vigil reload after adding new: stdout %q; want %q", r.stdout, "added: new\nremoved: -\n")
	}
	tr.clientWant(0, "wait", "--ready", "--timeout", "20s", "new")
	if got, want := tr.waitFile("new.pid"), strconv.Itoa(tr.statusOf("new").Pid); got != want {
		t.Errorf("new service: run script pid %s; status says %s", got, want)
	}

	if err := os.RemoveAll(filepath.Join(tr.services, "old")); err != nil {
		t.Fatal(err)
	}
	r = tr.clientWant(0, "reload")
	if r.stdout != "added: -\nremoved: old\n" {
		t.Errorf("vigil reload after deleting old: stdout %q; want %q", r.stdout, "added: -\nremoved: old\n")
	}
	if got := tr.waitFile("old.stopped"); got != "yes" {
		t.Errorf("old.stopped = %q", got)
	}
	poll(t, "old to leave vigil status", func() (bool, string) {
		sts := tr.status()
		for _, s := range sts {
			if s.Name == "old" {
				return false, fmt.Sprintf("%+v", sts)
			}
		}
		return true, ""
	})
	if r := tr.client("status", "old"); r.code != 1 || !strings.Contains(r.stderr, "old") {
		t.Errorf("vigil status old after it was removed: %v; want exit 1 naming it", r)
	}
	v.termNoCmd()
}

// TestClientWaitBeforeStart: `vigil wait --ready` without a timeout, asked
// while the service is down and not wanted, waits until a `vigil start`
// from someone else brings it up and ready.
func TestClientWaitBeforeStart(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("w", map[string]string{"run": sleeper("w"), "down": ""})
	v := tr.start(nil)
	tr.waitControl()
	waited := make(chan clientResult, 1)
	go func() {
		r, err := runClientErr(tr.clientEnv(), nil, "wait", "--ready", "w")
		if err != nil {
			r.code, r.stderr = -1, err.Error()
		}
		waited <- r
	}()
	time.Sleep(200 * time.Millisecond) // the wait is asked before the start
	select {
	case r := <-waited:
		t.Fatalf("vigil wait --ready returned before any start: %v", r)
	default:
	}
	tr.clientWant(0, "start", "w")
	select {
	case r := <-waited:
		if r.code != 0 {
			t.Errorf("vigil wait --ready w: %v; want exit 0 once started", r)
		}
	case <-time.After(lineTimeout):
		t.Fatalf("vigil wait --ready w did not return within %v of the start", lineTimeout)
	}
	v.termNoCmd()
}

// TestClientWaitDownForGood: waiting for a service that is down for good
// fails at once, saying so, whatever the timeout.
func TestClientWaitDownForGood(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("once", map[string]string{"run": shScript("exit 3"), "restart": "never\n"})
	v := tr.start(nil)
	tr.waitControl()
	tr.waitStatus("once", "failed", func(s svcStatus) bool { return s.State == "failed" })
	r := tr.clientWant(1, "wait", "--up", "once")
	if !strings.Contains(r.stderr, "down for good") {
		t.Errorf("vigil wait --up once: %v; want it to say down for good", r)
	}
	checkTook(t, r, 0)
	v.termNoCmd()
}
