package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestRestartPolicy: always restarts after any exit, on-failure only after
// a failure, never not at all.
func TestRestartPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		restart  string // "" for no restart file
		run      string
		restarts bool
	}{
		{"", "exit 0", true},
		{"always", "exit 0", true},
		{"always", "exit 1", true},
		{"on-failure", "exit 0", false},
		{"on-failure", "exit 1", true},
		{"on-failure", "kill -KILL $$", true},
		{"never", "exit 1", false},
		{"never", "exit 0", false},
	}
	for _, tt := range tests {
		name := tt.restart
		if name == "" {
			name = "default"
		}
		t.Run(name+", "+tt.run, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			files := map[string]string{"run": shScript(`echo start >> "$OUT/starts"; ` + tt.run)}
			if tt.restart != "" {
				files["restart"] = tt.restart + "\n"
			}
			tr.service("web", files)
			v := tr.start(nil)
			if tt.restarts {
				tr.waitLines("starts", 2)
				v.termNoCmd()
				return
			}
			v.waitErrLine(logLine("service down for good", "web"))
			v.termNoCmd()
			if n := len(tr.lines("starts")); n != 1 {
				t.Errorf("starts = %d; want 1", n)
			}
			if m := matching(v.stderr(), logLine("service restart", "web")); len(m) > 0 {
				t.Errorf("restarted: %q", m)
			}
		})
	}
}

// TestEssential: an essential service down for good ends the container
// with its exit status (128+n for a signal), while the CMD still runs: the
// CMD then dies of TERM, and its 143 does not count.
func TestEssential(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  int
	}{
		{"exit 3", map[string]string{"restart": "never\n", "run": "exit 3"}, 3},
		{"SIGKILL", map[string]string{"restart": "never\n", "run": "kill -KILL $$"}, 137},
		{"finish 125", map[string]string{"finish": shScript("exit 125"), "run": "exit 4"}, 4},
		{"on-failure, exit 0", map[string]string{"restart": "on-failure\n", "run": "exit 0"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			files := map[string]string{"essential": ""}
			for k, val := range tt.files {
				files[k] = val
			}
			// It ends only once the CMD runs.
			files["run"] = shScript(waitForCmd("cmd") + "; " + tt.files["run"])
			tr.service("web", files)
			v := tr.start(nil, shCmd(publish("cmd", "ran")+"; exec sleep 1000")...)
			if got := v.wait(); got != tt.want {
				t.Errorf("exit code = %d; want %d (the essential service's)", got, tt.want)
			}
			if m := matching(v.stderr(), `msg="essential service down" service=web`); len(m) != 1 {
				t.Errorf("log lines about the essential service: %q; want one", m)
			}
		})
	}
}

// TestEssentialBeforeCmd: an essential service down for good before it
// was ever ready ends the boot with its status: the CMD, which was waiting
// for it, never starts.
func TestEssentialBeforeCmd(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{
		"essential":       "",
		"restart":         "never\n",
		"notification-fd": "3\n",
		"run":             shScript("sleep 0.2; exit 3"),
	})
	v := tr.start([]string{"VIGIL_LOG_LEVEL=debug"}, shCmd(publish("cmd", "ran")+"; exec sleep 1000")...)
	if got := v.wait(); got != 3 {
		t.Errorf("exit code = %d; want 3 (the essential service's)", got)
	}
	// The CMD, started by mistake, may die of the shutdown's TERM before
	// it writes anything: vigil's log says whether it started.
	if m := matching(v.stderr(), `msg="cmd `); tr.exists("cmd") || len(m) > 0 {
		t.Errorf("the CMD started (ran to its first command: %t; log: %q); want it never started", tr.exists("cmd"), m)
	}
}

// TestRestartAfterLongRun: a run that lasted 10 s or more restarts at
// once, and the delay for fast deaths starts again from its first step.
func TestRestartAfterLongRun(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	// Runs 1, 2, 4, 5 die at once; run 3 lives 10.5 s.
	tr.service("web", map[string]string{"run": shScript(`echo start >> "$OUT/starts"
[ "$(wc -l < "$OUT/starts")" -eq 3 ] && sleep 10.5
exit 1`)})
	v := tr.start(nil)
	poll(t, "a 5th start", func() (bool, string) { // lineTimeout 20s > 11.1s
		n := len(tr.lines("starts"))
		return n >= 5, fmt.Sprintf("%d starts", n)
	})
	v.noZombieChild()
	v.termNoCmd()
	var delays []string
	for _, l := range matching(v.stderr(), logLine("service restart", "web")) {
		delays = append(delays, restartIn.FindString(l))
	}
	want := []string{"restart_in=200ms", "restart_in=400ms", "restart_in=0s", "restart_in=200ms"}
	if len(delays) < 4 || strings.Join(delays[:4], ",") != strings.Join(want, ",") {
		t.Errorf("restart delays = %q; want %q first (at once after the long run, then from 200ms again)", delays, want)
	}
}

// TestCrashLoopThrottled: a service that dies at once restarts, but with a
// growing delay: over about 4 s it starts a few times, not hundreds.
func TestCrashLoopThrottled(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("crash", map[string]string{"run": shScript(`echo start >> "$OUT/starts"; exit 1`)})
	v := tr.start(nil, "sleep", "4")
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	n := len(tr.lines("starts"))
	delays := matching(v.stderr(), logLine("service restart", "crash"))
	for i, l := range delays {
		delays[i] = restartIn.FindString(l)
	}
	if len(delays) > 10 {
		delays = append(delays[:10], "…")
	}
	t.Logf("crash-looping service started %d times in ~4s; restart delays: %v", n, delays)
	if n < 3 || n > 8 {
		t.Errorf("starts in ~4s = %d; want 3 to 8 (restarted, with a growing delay)", n)
	}
}

var restartIn = regexp.MustCompile(`restart_in=\S+`)

// fdServices is how many services TestFdsFlat runs: the restart delay
// doubles from 200 ms, so each restarts about 5 times in 3 s, and it takes
// many services to make hundreds of restarts.
const fdServices = 80

// TestFdsFlat: vigil's fd count is the same before and after hundreds of
// restarts of services with notification-fd (ready, or dying before it),
// check, finish and loggers; no zombie is left.
//
// vigil holds fds for running services (a notification pipe until ready),
// so the count is only compared at quiet moments: when no service process
// runs, every child of vigil being a logger (cat), as happens while all
// the services wait out their restart delays.
func TestFdsFlat(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	loggers := 0
	for i := 0; i < fdServices; i++ {
		files := map[string]string{"finish": shScript("exit 0")}
		switch i % 3 {
		case 0: // ready, then dies
			files["notification-fd"] = "3\n"
			files["run"] = shScript("echo >&3; exit 1")
		case 1: // dies before it is ready
			files["notification-fd"] = "4\n"
			files["run"] = shScript("exit 1")
		case 2: // a check that never succeeds; a logger
			files["check"] = shScript("exit 1")
			files["run"] = shScript("echo out; sleep 0.05; exit 1")
			files["log/run"] = shScript("exec cat >/dev/null")
			loggers++
		}
		tr.service(fmt.Sprintf("s%02d", i), files)
	}
	v := tr.start(nil)
	pid := v.vigilPid()

	// A sample counts when two quiet looks in a row, 10 ms apart, agree.
	// The fewest fds of 5 samples is what counts, at the start and after
	// 200 restarts more. Output pipes whose writers are all gone are not
	// counted: the copier closes them once it has read their end, a moment
	// later (see quietFds).
	var first, last, prev *sample
	var samples []sample
	deadline := time.Now().Add(60 * time.Second)
	for last == nil {
		if time.Now().After(deadline) {
			t.Fatalf("no quiet moment after 200 restarts within 60s: first %+v, restarts now %d",
				first, len(matching(v.errLinesNow(), `msg="service restart"`)))
		}
		errs := v.errLinesNow()
		started := len(matching(errs, `msg="service started"`))
		s := &sample{restarts: len(matching(errs, `msg="service restart"`))}
		fds, ok := quietFds(t, pid)
		if !ok || started < fdServices+loggers {
			s = nil
		} else {
			s.fds = fds
		}
		if s != nil && prev != nil && *s == *prev {
			switch {
			case first == nil:
				samples = append(samples, *s)
				if len(samples) == 5 {
					first = floor(samples)
					samples = nil
				}
			case s.restarts >= first.restarts+200:
				samples = append(samples, *s)
				if len(samples) == 5 {
					last = floor(samples)
				}
			}
		}
		prev = s
		time.Sleep(10 * time.Millisecond) // polling interval
	}
	v.noZombieChild()
	t.Logf("vigil's fds: %d after %d restarts, %d after %d restarts", first.fds, first.restarts, last.fds, last.restarts)
	if last.fds > first.fds {
		t.Errorf("vigil's fds = %d after %d more restarts; want %d, as before", last.fds, last.restarts-first.restarts, first.fds)
	}
	v.termNoCmd()
}

// sample is vigil's fd count at a quiet moment, after so many restarts.
type sample struct{ restarts, fds int }

// floor is the sample with the fewest fds.
func floor(samples []sample) *sample {
	low := samples[0]
	for _, s := range samples[1:] {
		if s.fds < low.fds {
			low = s
		}
	}
	return &low
}

// quietFds returns vigil's fd count if only loggers (cat) run under vigil,
// before and after the count.
func quietFds(t *testing.T, pid int) (int, bool) {
	quiet := func() bool {
		for _, c := range children(pid) {
			if procComm(c) != "cat" {
				return false
			}
		}
		return true
	}
	if !quiet() {
		return 0, false
	}
	n := fdCount(t, pid) - endedPipes(pid)
	return n, quiet()
}

// endedPipes counts the pipes of which pid holds only the read end and no
// process holds a write end: output pipes at their end, which vigil's
// copier is about to close.
func endedPipes(pid int) int {
	writers := map[string]bool{}
	reads := map[string]bool{}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		target, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(target, "pipe:") {
			continue
		}
		info, err := os.ReadFile(strings.Replace(fd, "/fd/", "/fdinfo/", 1))
		if err != nil {
			continue
		}
		var flags int
		for _, l := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(l, "flags:"); ok {
				fmt.Sscanf(strings.TrimSpace(v), "%o", &flags)
			}
		}
		if flags&(unix.O_WRONLY|unix.O_RDWR) != 0 {
			writers[target] = true
		} else if strings.HasPrefix(fd, fmt.Sprintf("/proc/%d/", pid)) {
			reads[target] = true
		}
	}
	n := 0
	for p := range reads {
		if !writers[p] {
			n++
		}
	}
	return n
}
