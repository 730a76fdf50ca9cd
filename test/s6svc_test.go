package test

// Black-box tests of s6-overlay's supervision helpers as vigil answers to
// them (README "s6-overlay v3 images"): s6-svc, s6-svstat,
// s6-svwait, s6-svok, run against a vigil as PID 1 as `docker exec`
// would, and from run scripts.

import (
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestS6Svc: -d/-u/-r with -wD/-wU/-wR, the signals, -k and -t; a run
// script's `s6-svc -O .` and `s6-svc -d .`; errors.
func TestS6Svc(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("sig", map[string]string{
		"run": shScript(publish("sig.pid", "$$") + `
exec "` + helperBin + `" record "$OUT/sig" signals on TERM 0 ready wait`),
	})
	tr.service("slow", map[string]string{
		"run":             sleeper("slow"),
		"notification-fd": "3\n", // never written: never ready
		"down":            "",
	})
	// once marks itself as not to be restarted, as frigate's run does, and
	// runs on; selfdown takes itself down from its own run script.
	tr.service("once", map[string]string{"run": shScript(`s6-svc -O . 2>"$OUT/once.err" || exit 1
exec sleep 1000`)})
	tr.service("selfdown", map[string]string{"run": shScript(`echo ran >> "$OUT/selfdown"
s6-svc -d .
exec sleep 1000`)})
	v := tr.startS6(nil)
	tr.waitReady("sig", "once")
	// Each run of sig says "ready …" once its handlers are in place.
	runs := 1
	sigReady := func() {
		t.Helper()
		poll(t, "sig's handlers in place", func() (bool, string) {
			got := matching(tr.lines("sig"), `^ready `)
			return len(got) >= runs, strings.Join(tr.lines("sig"), "; ")
		})
	}
	sigReady()

	t.Run("Signals", func(t *testing.T) {
		tests := []struct {
			flag string
			want syscall.Signal
		}{
			{"-h", syscall.SIGHUP}, {"-1", syscall.SIGUSR1}, {"-2", syscall.SIGUSR2},
			{"-a", syscall.SIGALRM}, {"-i", syscall.SIGINT}, {"-q", syscall.SIGQUIT}, {"-y", syscall.SIGWINCH},
		}
		n := len(tr.lines("sig"))
		for _, tt := range tests {
			tr.s6Want(0, "s6-svc", tt.flag, serviceDir("sig"))
			n++
			got := tr.waitLines("sig", n)
			if re := signalLine("", tt.want); !regexp.MustCompile(re).MatchString(got[n-1]) {
				t.Errorf("s6-svc %s: the service saw %q; want %s", tt.flag, got[n-1], re)
			}
		}
	})

	t.Run("DownUp", func(t *testing.T) {
		r := tr.s6Want(0, "s6-svc", "-wD", "-d", serviceDir("sig"))
		if st := tr.statusOf("sig"); st.State != "down" || st.Pid != 0 || st.Wanted {
			t.Errorf("after %v: status %+v; want down, no pid, not wanted", r, st)
		}
		old := tr.read("sig.pid")
		tr.s6Want(0, "s6-svc", "-wU", "-u", "/var/run/s6/services/sig")
		st := tr.statusOf("sig")
		if st.State != "up" || !st.Ready || st.Pid == 0 || strconv.Itoa(st.Pid) == old {
			t.Errorf("after s6-svc -wU -u: status %+v; want up, ready, a new pid (not %s)", st, old)
		}
		runs++
		sigReady()
	})

	t.Run("Restart", func(t *testing.T) {
		before := tr.statusOf("sig")
		tr.s6Want(0, "s6-svc", "-wR", "-r", "/run/s6/legacy-services/sig")
		after := tr.statusOf("sig")
		if after.State != "up" || after.Pid == 0 || after.Pid == before.Pid {
			t.Errorf("after s6-svc -wR -r: status %+v; want up with a pid other than %d", after, before.Pid)
		}
		runs++
		sigReady()
	})

	t.Run("KillAndTerm", func(t *testing.T) {
		// sig dies of SIGKILL, and exits 0 on SIGTERM; vigil starts it
		// again either way, as s6 does.
		for _, tt := range []struct {
			flag, last string
		}{{"-k", "signal SIGKILL"}, {"-t", "exit 0"}} {
			before := tr.statusOf("sig")
			tr.s6Want(0, "s6-svc", tt.flag, serviceDir("sig"))
			st := tr.waitStatus("sig", "restarted", func(st svcStatus) bool {
				return st.Pid != 0 && st.Pid != before.Pid && st.Ready
			})
			if st.LastExit != tt.last || !st.Wanted {
				t.Errorf("after s6-svc %s: status %+v; want last exit %q, wanted", tt.flag, st, tt.last)
			}
			runs++
			sigReady()
		}
		if got := matching(tr.lines("sig"), signalLine("", syscall.SIGTERM)); len(got) == 0 {
			t.Errorf("s6-svc -t: sig saw no SIGTERM; its lines: %q", tr.lines("sig"))
		}
	})

	t.Run("WaitTimesOut", func(t *testing.T) {
		r := tr.s6("s6-svc", "-wU", "-T", "500", "-u", serviceDir("slow"))
		if r.code != 1 || !strings.Contains(r.stderr, "s6-svc: fatal:") {
			t.Errorf("%v\nwant exit 1 with s6-svc's message: slow is never ready", r)
		}
		checkTook(t, r, 500*time.Millisecond)
		if st := tr.statusOf("slow"); st.State != "starting" {
			t.Errorf("slow after s6-svc -u: %+v; want starting (up, not ready)", st)
		}
	})

	t.Run("FromRunScripts", func(t *testing.T) {
		if got := tr.read("once.err"); !strings.Contains(got, "s6-svc: warning: -O (once) is not supported") {
			t.Errorf("s6-svc -O . in a run script said %q; want a warning that it is not supported", got)
		}
		tr.waitStatus("selfdown", "down and not wanted", func(st svcStatus) bool {
			return st.State == "down" && !st.Wanted
		})
		if got := tr.lines("selfdown"); len(got) != 1 {
			t.Errorf("selfdown ran %d times; want once: s6-svc -d . keeps it down", len(got))
		}
	})

	t.Run("Errors", func(t *testing.T) {
		tests := []struct {
			args []string
			want string
		}{
			{[]string{"-u", serviceDir("nosuch")}, "s6-svc: fatal: unable to control /run/service/nosuch"},
			{[]string{"-o", serviceDir("sig")}, "option -o (once) is not supported"},
			{[]string{"-wR", "-t", serviceDir("sig")}, "option -wR without -r is not supported"},
			{[]string{"-Z", serviceDir("sig")}, "unknown option -Z"},
			{[]string{"-u"}, "s6-svc: usage: s6-svc"},
		}
		for _, tt := range tests {
			if r := tr.s6("s6-svc", tt.args...); r.code != 100 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%v\nwant exit 100 and a message saying %q", r, tt.want)
			}
		}
	})
	v.termNoCmd()
}

// TestS6Svstat: the human line and the fields for known states: up and
// ready, up and not ready, never started (down file), exited for good,
// stopped by a signal, started despite a down file; a logger; no such
// service.
func TestS6Svstat(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{"run": sleeper("web"), "log/run": shScript("exec cat >/dev/null")})
	tr.service("off", map[string]string{"run": sleeper("off"), "down": ""})
	tr.service("three", map[string]string{"run": shScript("exit 3"), "restart": "never\n"})
	tr.service("slow", map[string]string{"run": sleeper("slow"), "notification-fd": "3\n"})
	v := tr.startS6(nil)
	tr.waitReady("web")
	tr.waitStatus("three", "down for good", func(st svcStatus) bool { return st.State == "failed" })
	tr.waitStatus("slow", "starting", func(st svcStatus) bool { return st.State == "starting" })
	web, slow := tr.statusOf("web"), tr.statusOf("slow")
	secs := `[0-9]+ seconds`
	tests := []struct {
		args []string
		want string // a regular expression for the whole line
	}{
		{[]string{serviceDir("web")}, `^up \(pid ` + strconv.Itoa(web.Pid) + `\) ` + secs + `, ready ` + secs + `$`},
		{[]string{"-o", "up,ready,pid,exitcode,signal", serviceDir("web")}, `^true true ` + strconv.Itoa(web.Pid) + ` -1 NA$`},
		{[]string{"-u", "/etc/services.d/web"}, `^true$`},
		{[]string{serviceDir("web/log")}, `^up \(pid [0-9]+\) ` + secs + `, ready ` + secs + `$`},
		{[]string{serviceDir("slow")}, `^up \(pid ` + strconv.Itoa(slow.Pid) + `\) ` + secs + `$`},
		{[]string{"-ur", serviceDir("slow")}, `^true false$`},
		{[]string{serviceDir("off")}, `^down \(exitcode 0\) ` + secs + `, ready ` + secs + `$`},
		{[]string{"-o", "up,wantedup,normallyup,pid", serviceDir("off")}, `^false false false -1$`},
		{[]string{serviceDir("three")}, `^down \(exitcode 3\) ` + secs + `, normally up, ready ` + secs + `$`},
		{[]string{"-e", serviceDir("three")}, `^3$`},
	}
	for _, tt := range tests {
		if got := tr.svstat(tt.args...); !regexp.MustCompile(tt.want).MatchString(got) {
			t.Errorf("s6-svstat %s = %q; want %s", strings.Join(tt.args, " "), got, tt.want)
		}
	}

	tr.s6Want(0, "s6-svc", "-wD", "-d", serviceDir("web"))
	tr.s6Want(0, "s6-svc", "-wU", "-u", serviceDir("off"))
	off := tr.statusOf("off")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{serviceDir("web")}, `^down \(signal SIGTERM\) ` + secs + `, normally up, ready ` + secs + `$`},
		{[]string{"-n", serviceDir("web")}, `^down \(signal 15\) ` + secs + `, normally up, ready ` + secs + `$`},
		{[]string{"-o", "signal,signum,exitcode,wantedup", serviceDir("web")}, `^SIGTERM 15 -1 false$`},
		{[]string{serviceDir("off")}, `^up \(pid ` + strconv.Itoa(off.Pid) + `\) ` + secs + `, normally down, ready ` + secs + `$`},
	} {
		if got := tr.svstat(tt.args...); !regexp.MustCompile(tt.want).MatchString(got) {
			t.Errorf("s6-svstat %s = %q; want %s", strings.Join(tt.args, " "), got, tt.want)
		}
	}

	if r := tr.s6("s6-svstat", serviceDir("nosuch")); r.code != 1 || !strings.Contains(r.stderr, "s6-svstat: fatal: unable to read status for /run/service/nosuch") {
		t.Errorf("%v\nwant exit 1 and s6-svstat's message", r)
	}
	if r := tr.s6("s6-svstat", "-o", "bogus", serviceDir("web")); r.code != 100 || !strings.Contains(r.stderr, "invalid option field: bogus") {
		t.Errorf("%v\nwant exit 100 naming the field", r)
	}
	v.termNoCmd()
}

// TestS6Svwait: -u, -U, -d, -D, -o; -t running out (99); a service down
// for good (1); no such service.
func TestS6Svwait(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{"run": sleeper("web")})
	tr.service("gated", map[string]string{
		"run":   sleeper("gated"),
		"check": shScript(`test -e "$OUT/gated.go"`),
	})
	tr.service("off", map[string]string{"run": sleeper("off"), "down": ""})
	tr.service("three", map[string]string{"run": shScript("exit 3"), "restart": "never\n"})
	v := tr.startS6(nil)
	tr.waitReady("web")
	tr.waitStatus("three", "down for good", func(st svcStatus) bool { return st.State == "failed" })

	tr.s6Want(0, "s6-svwait", serviceDir("web"))
	tr.s6Want(0, "s6-svwait", "-u", "-t", "20000", serviceDir("gated"))
	r := tr.s6("s6-svwait", "-U", "-t", "500", serviceDir("gated"))
	if r.code != 99 {
		t.Errorf("%v\nwant 99: gated is not ready", r)
	}
	checkTook(t, r, 500*time.Millisecond)
	tr.s6Want(0, "s6-svwait", "-o", "-U", "-t", "20000", serviceDir("gated"), serviceDir("web"))

	ready := make(chan clientResult, 1)
	go func() {
		r, err := runProgram(nil, tr.s6Env(), nil, s6Bin(t)+"/s6-svwait", "-U", serviceDir("gated"), serviceDir("web"))
		if err != nil {
			r.code, r.stderr = -1, err.Error()
		}
		ready <- r
	}()
	tr.script(tr.out, "gated.go", "")
	select {
	case r := <-ready:
		if r.code != 0 {
			t.Errorf("%v\nwant 0 once gated is ready", r)
		}
	case <-time.After(lineTimeout):
		t.Fatalf("s6-svwait -U did not return within %v of gated being ready", lineTimeout)
	}

	tr.s6Want(0, "s6-svwait", "-D", serviceDir("off"))
	if r := tr.s6("s6-svwait", "-d", "-t", "300", serviceDir("web")); r.code != 99 {
		t.Errorf("%v\nwant 99: web runs", r)
	}
	down := make(chan clientResult, 1)
	go func() {
		r, _ := runProgram(nil, tr.s6Env(), nil, s6Bin(t)+"/s6-svwait", "-d", serviceDir("web"))
		down <- r
	}()
	tr.s6Want(0, "s6-svc", "-d", serviceDir("web"))
	select {
	case r := <-down:
		if r.code != 0 {
			t.Errorf("%v\nwant 0 once web is down", r)
		}
	case <-time.After(lineTimeout):
		t.Fatalf("s6-svwait -d did not return within %v of s6-svc -d", lineTimeout)
	}

	if r := tr.s6("s6-svwait", "-U", "-t", "20000", serviceDir("three")); r.code != 1 {
		t.Errorf("%v\nwant 1: one service down for good", r)
	}
	if r := tr.s6("s6-svwait", serviceDir("nosuch")); r.code != 111 {
		t.Errorf("%v\nwant 111 for a service vigil does not have", r)
	}
	if r := tr.s6("s6-svwait", "-R", serviceDir("web")); r.code != 100 || !strings.Contains(r.stderr, "option -R is not supported") {
		t.Errorf("%v\nwant 100 naming -R", r)
	}
	v.termNoCmd()
}

// TestS6Svok: 0 for a service vigil has, its logger included; 1 for one
// it has not, and when no vigil answers.
func TestS6Svok(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{"run": sleeper("web"), "log/run": shScript("exec cat >/dev/null")})
	v := tr.startS6(nil)
	tr.waitReady("web")
	tr.s6Want(0, "s6-svok", serviceDir("web"))
	tr.s6Want(0, "s6-svok", "/run/service/web/log")
	tr.s6Want(1, "s6-svok", serviceDir("nosuch"))
	tr.s6Want(100, "s6-svok")
	if r := runS6(t, clientEnv("VIGIL_RUN_DIR="+t.TempDir()), "s6-svok", serviceDir("web")); r.code != 1 {
		t.Errorf("%v\nwant 1 with no vigil running", r)
	}
	v.termNoCmd()
}
