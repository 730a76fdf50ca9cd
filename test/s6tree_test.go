package test

// Black-box tests of s6-rc source trees as vigil runs them (README
// "Images written for s6-overlay"): the three types, dependency order and
// concurrency, s6-overlay's boot order with /etc/cont-init.d and
// /etc/services.d, up and down command lines, oneshot failures, the
// producer-for/consumer-for pipeline, the S6_ variables and the paths
// s6-overlay's scripts use under /run.
//
// A test marked "bug" fails because of the bug it describes.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// elQuote is s as one execline word: a quoted string, with \ and "
// escaped (execlineb.html, "Word splitting").
func elQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// shUp is an up or down file running script with /bin/sh.
func shUp(script string) string {
	return "/bin/sh -c " + elQuote(script) + "\n"
}

// TestS6TreeTypes: a longrun (readiness by notification-fd, a finish), a
// oneshot (up, down), bundles (contents with a comment, contents.d, one
// inside another) in the user bundle, beside an init script and a
// service directory. `vigil status` lists the longruns, the oneshot and
// the service, not the init script nor the points of the boot; a bundle
// name stands for its members in status, stop and start.
func TestS6TreeTypes(t *testing.T) {
	t.Parallel()
	tr := newS6Tree(t)
	tr.source("web", "longrun", map[string]string{
		"run":             shScript(event("web run") + "\necho >&3\nexec sleep 1000"),
		"notification-fd": "3\n",
		"finish":          shScript(event("web finish $1 $2")),
	})
	tr.longrun("worker", shScript(event("worker run")+"\nexec sleep 1000"))
	tr.oneshot("setup", shUp(event("setup up")), shUp(event("setup down")))
	tr.source("app", "bundle", map[string]string{"contents": "# the application\nweb\nsetup\n"})
	tr.source("all", "bundle", map[string]string{"contents.d/app": "", "contents.d/worker": ""})
	tr.member("user", "all")
	tr.script(tr.init, "10-init", shScript(event("10-init")))
	tr.service("legacy", map[string]string{"run": shScript("exec sleep 1000")})
	v := tr.start(nil)
	tr.waitBooted()

	out := tr.clientWant(0, "status").stdout
	t.Logf("vigil status:\n%s", out)
	rows := parseStatusTable(t, out)
	for _, name := range []string{"web", "worker", "legacy"} {
		if r := rows[name]; r == nil || r["STATE"] != "up" || r["READY"] != "yes" || r["PID"] == "-" {
			t.Errorf("vigil status: %s = %v; want up, ready, a pid", name, r)
		}
	}
	if r := rows["setup"]; r == nil || r["STATE"] != "up" || r["READY"] != "yes" || r["PID"] != "-" || r["LAST EXIT"] != "exit 0" {
		t.Errorf("vigil status: setup = %v; want up (done), ready, no pid, last exit 0", r)
	}
	if len(rows) != 4 {
		t.Errorf("vigil status lists %v; want web, worker, setup and legacy alone (no init script, bundle or point of the boot)", keys(rows))
	}

	var names []string
	for _, st := range tr.status("app") {
		names = append(names, st.Name)
	}
	if got := strings.Join(names, " "); got != "setup web" && got != "web setup" {
		t.Errorf("vigil status app lists %q; want the bundle's members, setup and web", got)
	}

	tr.clientWant(0, "stop", "app")
	for _, name := range []string{"web", "setup"} {
		if st := tr.statusOf(name); st.State != "down" || st.Pid != 0 {
			t.Errorf("after vigil stop app: %s is %+v; want down", name, st)
		}
	}
	if st := tr.statusOf("worker"); st.State != "up" {
		t.Errorf("after vigil stop app: worker is %+v; want up (not in app)", st)
	}
	tr.clientWant(0, "start", "all")
	for _, name := range []string{"web", "setup", "worker"} {
		if st := tr.statusOf(name); st.State != "up" || !st.Ready {
			t.Errorf("after vigil start all: %s is %+v; want up and ready", name, st)
		}
	}
	v.termNoCmd()
	ev := tr.events()
	checkEventOrder(t, ev, "web run", "web finish 256 15", "web run")
	checkEventOrder(t, ev, "setup up", "setup down", "setup up", "setup down")
	if n := len(matching(ev, `^setup up$`)); n != 2 {
		t.Errorf("setup's up ran %d times; want 2 (at boot, at vigil start all); events %q", n, ev)
	}
	if n := len(matching(ev, `^web run$`)); n != 2 {
		t.Errorf("web's run ran %d times; want 2; events %q", n, ev)
	}
}

// TestS6TreeRunWithoutExecBit: s6-rc-compile copies a longrun's run
// and finish with mode 0755, so images ship them without the execute bit
// (README "Images written for s6-overlay"; vigil's loader accepts them
// when they have a #! line). vigil must run them through that line.
func TestS6TreeRunWithoutExecBit(t *testing.T) {
	t.Parallel()
	tr := newS6Tree(t)
	tr.longrun("web", "")
	for file, body := range map[string]string{
		"run":    shScript(publish("run", "ran as $0") + "\nexec sleep 1000"),
		"finish": shScript(publish("finish", "finish $1 $2")),
	} {
		if err := os.WriteFile(filepath.Join(tr.rcDir("web"), file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(tr.rcDir("web"), file), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tr.member("user", "web")
	v := tr.start(nil)
	tr.waitControl()
	poll(t, "$OUT/run (web started through its #! line)", func() (bool, string) {
		st := tr.statusOf("web")
		return tr.exists("run"), fmt.Sprintf("web is %+v; stderr %q", st, matching(v.errLinesNow(), `service=web`))
	})
	tr.clientWant(0, "stop", "web")
	if got := tr.waitFile("finish"); got != "finish 256 15" {
		t.Errorf("finish (mode 0644, #!/bin/sh) wrote %q; want %q", got, "finish 256 15")
	}
	v.termNoCmd()
}

// TestS6TreeOrder: dependency order with concurrency where it is allowed.
// Two oneshots without dependencies run at the same time (each waits for
// the other: run one after the other, the first would wait alone); one
// depending on both starts once both have exited; a longrun depending on
// it starts after it, and a oneshot depending on the longrun only once
// the longrun is ready (notification-fd), not merely started; the CMD
// last.
func TestS6TreeOrder(t *testing.T) {
	t.Parallel()
	tr := newS6Tree(t)
	for _, pair := range [][2]string{{"left", "right"}, {"right", "left"}} {
		name, other := pair[0], pair[1]
		tr.scriptOneshot(name, shScript(event(name+" start")+`
echo $$ > "$OUT/`+name+`.pid"
`+rendezvous(name, other)+"\n"+event(name+" end")))
	}
	// A pid still alive means the oneshot had not exited when join started.
	tr.scriptOneshot("join", shScript(event("join start")+`
for n in left right; do
	if kill -0 "$(cat "$OUT/$n.pid")" 2>/dev/null; then `+event("join saw $n alive")+`; fi
done
`+event("join end")), "left", "right")
	tr.source("svc", "longrun", map[string]string{
		"run": shScript(event("svc start") + `
until [ -e "$OUT/svc-go" ]; do sleep 0.01; done
` + event("svc ready") + `
echo >&3
exec sleep 1000`),
		"notification-fd": "3\n",
	})
	tr.depends("svc", "join")
	tr.scriptOneshot("after-svc", shScript(event("after-svc start")+"\n"+event("after-svc end")), "svc")
	tr.member("user", "left", "right", "join", "svc", "after-svc")
	v := tr.start(nil, shCmd(event("cmd")+"\n"+waitForCmd("end"))...)
	tr.waitControl()
	poll(t, "svc to start", func() (bool, string) {
		return len(matching(tr.events(), "^svc start$")) > 0, fmt.Sprintf("events %q", tr.events())
	})
	if st := tr.statusOf("after-svc"); st.State != "down" {
		t.Errorf("after-svc is %+v while svc is not ready; want down", st)
	}
	tr.script(tr.out, "svc-go", "")
	poll(t, "the CMD to start", func() (bool, string) {
		return len(matching(tr.events(), "^cmd$")) > 0, fmt.Sprintf("events %q", tr.events())
	})
	tr.script(tr.out, "end", "")
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0 (the CMD's)", got)
	}
	ev := tr.events()
	onceEach(t, ev)
	if m := matching(ev, "alone|alive"); len(m) > 0 {
		t.Errorf("%q; want left and right at the same time, and both gone before join", m)
	}
	checkEventOrder(t, ev, "left end", "join start")
	checkEventOrder(t, ev, "right end", "join start", "join end", "svc start", "svc ready", "after-svc start", "after-svc end", "cmd")
}

// TestS6TreeBoot: s6-overlay's order (its README, "When the container is
// started"). /etc/cont-init.d runs one script at a time; a user member
// without dependencies runs beside it (it waits for the first script and
// the script for it); user members depending on base start after the last
// script; /etc/services.d starts once every user member is up (the
// longrun ready); a user2 member depending on legacy-services after that,
// one without dependencies at boot too; the CMD last. user is defined in
// user-bundles.d and, without a type, in s6-rc.d (images made for
// s6-overlay before 3.2.3.1): the members of both start. user2 only in
// s6-rc.d, without a type.
func TestS6TreeBoot(t *testing.T) {
	t.Parallel()
	tr := newS6Tree(t)
	tr.script(tr.init, "10-first", shScript(event("10-first start")+"\n"+rendezvous("10-first", "early")+"\n"+event("10-first end")))
	tr.script(tr.init, "20-second", shScript(event("20-second start")+"\n"+event("20-second end")))
	tr.scriptOneshot("early", shScript(event("early start")+"\n"+rendezvous("early", "10-first")+"\n"+event("early end")))
	tr.scriptOneshot("after-base", shScript(event("after-base start")+"\n"+event("after-base end")), "base")
	tr.source("user-svc", "longrun", map[string]string{
		"run":             shScript(event("user-svc start") + "\n" + event("user-svc ready") + "\necho >&3\nexec sleep 1000"),
		"notification-fd": "3\n",
	})
	tr.depends("user-svc", "base")
	tr.service("legacy", map[string]string{"run": shScript(event("legacy start") + "\nexec sleep 1000")})
	tr.scriptOneshot("late", shScript(event("late start")+"\n"+event("late end")), "legacy-services")
	tr.scriptOneshot("free2", shScript(event("free2 start")+"\n"+event("free2 end")))
	tr.member("user", "early", "after-base")
	writeTreeFile(t, filepath.Join(tr.rcDir("user"), "contents.d", "user-svc"), "")
	writeTreeFile(t, filepath.Join(tr.rcDir("user2"), "contents.d", "late"), "")
	writeTreeFile(t, filepath.Join(tr.rcDir("user2"), "contents.d", "free2"), "")
	v := tr.start(nil, shCmd(event("cmd"))...)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0 (the CMD's)", got)
	}
	ev := tr.events()
	t.Logf("events:\n\t%s", strings.Join(ev, "\n\t"))
	onceEach(t, ev)
	if m := matching(ev, "alone"); len(m) > 0 {
		t.Errorf("%q; want early (user, no dependencies) beside the first cont-init.d script", m)
	}
	checkEventOrder(t, ev, "10-first start", "10-first end", "20-second start", "20-second end",
		"after-base start", "after-base end", "legacy start", "cmd")
	checkEventOrder(t, ev, "20-second end", "user-svc start", "user-svc ready", "legacy start")
	checkEventOrder(t, ev, "early end", "legacy start")
	for _, before := range []string{"early end", "after-base end", "user-svc ready"} {
		checkEventOrder(t, ev, before, "late start", "late end", "cmd")
	}
	checkEventOrder(t, ev, "free2 end", "cmd")
}

// TestS6TreeUpLine: an up file with a #! line, comments, quoting and the
// execline programs real images use (foreground, if, importas, exec,
// background, with-contenv), and the others vigil provides (define,
// backtick, ifelse, redirfd, fdmove, cd, umask, export, unexport,
// eltest, s6-echo, s6-sleep), found as vigil's own binary (they are not
// in PATH here); what it prints reaches vigil's stdout as "NAME | …".
// with-contenv (in PATH, as s6-overlay's /command holds it) gives the
// container environment as the init scripts left it. An up with only a
// comment is a no-op that succeeds.
func TestS6TreeUpLine(t *testing.T) {
	t.Parallel()
	tr := newS6Tree(t)
	tr.script(tr.init, "10-env", shScript(`echo from-init > "$VIGIL_RUN_DIR/env/FROM_INIT"`))
	tr.oneshot("chain", `#!/command/execlineb -P
# Every builtin real up files use, then the others.
importas -i out OUT
importas -D "the default" missing NO_SUCH_VARIABLE
define greeting "hello, \"quoted\"\tworld \0x41"
foreground { redirfd -w 1 ${out}/greeting s6-echo ${greeting} }
foreground { redirfd -a 1 ${out}/greeting s6-echo unquoted\ space ${missing} }
foreground { exit 3 }
importas -u fg ?
if { eltest ${fg} -eq 3 }
if -n { eltest -e /no/such/file }
ifelse { false } { exit 9 }
backtick -E word { s6-echo backticked }
background { redirfd -w 1 ${out}/background s6-echo in the background }
importas -u bgpid !
s6-sleep -m 1
cd /
umask 027
fdmove -c 2 1
export FROM_UP ${word}
unexport REMOVED
exec -a my-sh
sh -c "echo \"$FROM_UP|${REMOVED-unset}|$(pwd)|$(umask)|$0|$FROM_INIT\" > \"$OUT/chain\"; echo chain done"
`, "")
	tr.oneshot("contenv", `export ONLY_HERE here
with-contenv
sh -c "echo \"${ONLY_HERE-gone} $FROM_INIT\" > \"$OUT/contenv\""
`, "")
	tr.depends("chain", "base") // after the init script
	tr.depends("contenv", "base")
	tr.oneshot("nothing", "# This file doesn't do anything, as in LSIO's init-base/up.\n", "")
	tr.member("user", "chain", "contenv", "nothing")
	v := tr.start([]string{"REMOVED=here"}, shCmd(event("cmd"))...)
	v.expect(`^chain \| chain done$`)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	for file, want := range map[string]string{
		"greeting":   "hello, \"quoted\"\tworld A\nunquoted space the default",
		"background": "in the background",
		"chain":      "backticked|unset|/|0027|my-sh|from-init",
		"contenv":    "gone from-init",
	} {
		if got := tr.read(file); got != want {
			t.Errorf("$OUT/%s = %q; want %q", file, got, want)
		}
	}
	for _, name := range []string{"chain", "contenv"} {
		if m := matching(v.stderr(), logLine("oneshot done", name)); len(m) != 1 {
			t.Errorf("log lines saying %s is done: %q; want one", name, m)
		}
	}
	if m := matching(v.stderr(), `level=(WARN|ERROR)`); len(m) > 0 {
		t.Errorf("warnings or errors: %q; want none (nothing's up is a no-op that succeeds)", m)
	}
}

// TestS6TreeHelperIntoBuiltin (bug): an s6-overlay helper execs into the
// rest of its command line as the execline programs do: when PATH has no
// execline program of that name (no /command link), the rest must still
// run, as it does after an execline program (README "execline in vigil":
// "where a link is missing, a chain still works"). The load accepts these
// up files; today the helper fails with 127 at boot.
func TestS6TreeHelperIntoBuiltin(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, up string }{
		{"WithContenv", `with-contenv foreground { s6-echo in the block } s6-echo after the block` + "\n"},
		{"S6Setuidgid", `s6-setuidgid root cd / s6-echo as root` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newS6Tree(t)
			tr.oneshot("helper", tt.up, "")
			tr.member("user", "helper")
			v := tr.start(nil, "true")
			if got := v.wait(); got != 0 {
				t.Errorf("exit code = %d; want 0; stderr %q", got, v.stderr())
			}
		})
	}
}

// TestS6TreeUpRefused: an up or down file that vigil cannot run is a
// definition error at boot: exit 100, one line naming the service, the
// file and the problem, and nothing runs (no init script, no CMD).
func TestS6TreeUpRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		file, text string // the file of oneshot broken and its content; "" for no up at all
		problem    string
	}{
		{"Pipeline", "up", "pipeline { s6-echo a } cat\n", `unsupported execline program \"pipeline\"`},
		{"InABlock", "up", "foreground { forx x { a b } s6-echo $x }\ns6-echo done\n", `unsupported execline program \"forx\"`},
		{"Down", "down", "multisubstitute { } s6-echo\n", `unsupported execline program \"multisubstitute\"`},
		{"UnclosedBlock", "up", "foreground { s6-echo a\n", "unmatched {"},
		{"UnclosedQuote", "up", "s6-echo \"a\n", "unterminated quoted string"},
		{"NoUp", "up", "", "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newS6Tree(t)
			files := map[string]string{"up": "s6-echo fine\n"}
			if tt.text == "" {
				delete(files, tt.file)
			} else {
				files[tt.file] = tt.text
			}
			tr.source("broken", "oneshot", files)
			tr.member("user", "broken")
			tr.script(tr.init, "10-ran", shScript(publish("ran", "yes")))
			v := tr.start(nil, shCmd(publish("cmd", "ran"))...)
			if got := v.wait(); got != 100 {
				t.Errorf("exit code = %d; want 100", got)
			}
			lines := v.stderr()
			if len(lines) != 1 || !strings.Contains(lines[0], "broken") || !strings.Contains(lines[0], tt.file+":") || !strings.Contains(lines[0], tt.problem) {
				t.Errorf("stderr %q; want one line naming service broken, its %s and %q", lines, tt.file, tt.problem)
			}
			if tr.exists("ran") || tr.exists("cmd") {
				t.Errorf("init script ran %t, CMD ran %t; want neither", tr.exists("ran"), tr.exists("cmd"))
			}
		})
	}
}

// TestS6TreeOneshotFailure: a oneshot whose up fails. Under
// VIGIL_INIT_FAILURE=stop (the default) the container stops with its
// status: what depends on it and the CMD never start. Under continue the
// failure is logged and counts as done: its dependents and the CMD start,
// and status shows its exit.
func TestS6TreeOneshotFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     []string
		up      string
		want    int
		started bool   // its dependent and the CMD started
		log     string // in vigil's stderr
	}{
		{"Stop", nil, shUp("exit 3"), 3, false, `msg="oneshot failed" service=fails code=3`},
		{"StopNotFound", nil, "/no/such/program\n", 127, false, `msg="oneshot failed" service=fails code=127`},
		{"Continue", []string{"VIGIL_INIT_FAILURE=continue"}, shUp("exit 3"), 5, true, `msg="oneshot failed; going on" service=fails code=3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newS6Tree(t)
			tr.oneshot("fails", tt.up, "")
			tr.longrun("needs-it", shScript(event("needs-it start")+"\nexec sleep 1000"), "fails")
			tr.member("user", "fails", "needs-it")
			v := tr.start(tt.env, shCmd(event("cmd")+"\n"+waitForCmd("end")+"\nexit 5")...)
			if tt.started {
				poll(t, "the CMD to start", func() (bool, string) {
					return len(matching(tr.events(), "^cmd$")) > 0, fmt.Sprintf("events %q", tr.events())
				})
				if st := tr.statusOf("fails"); st.LastExit != "exit 3" {
					t.Errorf("status of fails: %+v; want last exit 3", st)
				}
				tr.script(tr.out, "end", "")
			}
			if got := v.wait(); got != tt.want {
				t.Errorf("exit code = %d; want %d", got, tt.want)
			}
			ev := tr.events()
			if started := len(matching(ev, "^needs-it start$")) > 0; started != tt.started {
				t.Errorf("needs-it started = %t; want %t (events %q)", started, tt.started, ev)
			}
			if ran := len(matching(ev, "^cmd$")) > 0; ran != tt.started {
				t.Errorf("CMD ran = %t; want %t", ran, tt.started)
			}
			if len(matching(v.stderr(), regexp.QuoteMeta(tt.log))) == 0 {
				t.Errorf("stderr %q; want a line with %q", v.stderr(), tt.log)
			}
		})
	}
}

// TestS6TreeDownAtShutdown: at the stop, oneshots' down files run in
// reverse dependency order (c → b → a), after the longrun depending on
// them has stopped and before /etc/cont-finish.d; a failing down does not
// stop the others; a oneshot without down is fine.
func TestS6TreeDownAtShutdown(t *testing.T) {
	t.Parallel()
	tr := newS6Tree(t)
	tr.oneshot("a", shUp(event("up a")), shUp(event("down a")))
	tr.oneshot("b", shUp(event("up b")), shUp(event("down b")+"; exit 1"), "a")
	tr.oneshot("c", shUp(event("up c")), shUp(event("down c")), "b")
	tr.oneshot("no-down", shUp(event("up no-down")), "", "c")
	tr.source("app", "longrun", map[string]string{ // ready once its trap is set
		"run": shScript(`trap '` + event("stop app") + `; exit 0' TERM
` + event("app start") + `
echo >&3
sleep 1000 & wait`),
		"notification-fd": "3\n",
	})
	tr.depends("app", "c")
	tr.member("user", "a", "b", "c", "no-down", "app")
	tr.script(tr.finish, "10-last", shScript(event("cont-finish")))
	v := tr.start(nil)
	tr.waitBooted()
	v.termNoCmd()
	ev := tr.events()
	checkEventOrder(t, ev, "up a", "up b", "up c", "app start", "stop app", "down c", "down b", "down a", "cont-finish")
	if m := matching(v.stderr(), logLine("oneshot down exited", "b")+`code=1`); len(m) != 1 {
		t.Errorf("log lines of b's down: %q; want one with code=1", m)
	}
}

// TestS6TreePipeline: a producer-for/consumer-for pipeline with fan-in
// (gen and gen2 into gen-log, `vigil log`), its pipeline-name a bundle in
// user. gen-log is restarted with `vigil restart` five times, each time
// stopped (SIGSTOP) with a chunk of numbered lines waiting in its pipe:
// the pipe vigil holds keeps them for the next logger, and none is lost.
func TestS6TreePipeline(t *testing.T) {
	t.Parallel()
	const chunks, chunk = 6, 3000
	tr := newS6Tree(t)
	tr.source("gen", "longrun", map[string]string{
		"run": shScript(fmt.Sprintf(`k=0
while [ $k -lt %d ]; do
	until [ -e "$OUT/go-$k" ]; do sleep 0.01; done
	seq -f "gen %%.0f" $((k*%d+1)) $((k*%d+%d))
	: > "$OUT/wrote-$k"
	k=$((k+1))
done
exec sleep 1000`, chunks, chunk, chunk, chunk)),
		"producer-for": "gen-log\n",
	})
	tr.source("gen2", "longrun", map[string]string{
		"run":          shScript(`seq -f "gen2 %.0f" 1 1000` + "\nexec sleep 1000"),
		"producer-for": "gen-log\n",
	})
	tr.source("gen-log", "longrun", map[string]string{
		"run":           shScript(publish("logger", "$$") + "\nexec " + vigilBin + ` log "$OUT/logs"`),
		"consumer-for":  "gen\ngen2\n",
		"pipeline-name": "gen-pipeline\n",
	})
	tr.member("user", "gen-pipeline")
	v := tr.start(nil)
	tr.waitBooted()
	var names []string
	for _, st := range tr.status("gen-pipeline") {
		names = append(names, st.Name)
	}
	slices.Sort(names)
	if got := strings.Join(names, " "); got != "gen gen-log gen2" {
		t.Errorf("vigil status gen-pipeline lists %q; want gen gen-log gen2", got)
	}
	for k := range chunks {
		pid := atoi(t, tr.waitFile("logger"))
		host := v.nsHostPid(pid)
		poll(t, "the logger to catch up", func() (bool, string) {
			n, err := pipeBuffered(host)
			return n == 0 && err == nil, fmt.Sprintf("%d bytes, %v", n, err)
		})
		if k == chunks-1 { // the last chunk is read by the last logger, running
			tr.script(tr.out, fmt.Sprintf("go-%d", k), "")
			break
		}
		if err := unix.Kill(host, unix.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		os.Remove(tr.path("logger"))
		tr.script(tr.out, fmt.Sprintf("go-%d", k), "")
		tr.waitFile(fmt.Sprintf("wrote-%d", k))
		poll(t, "the chunk waiting in the logger's pipe", func() (bool, string) {
			n, err := pipeBuffered(host)
			return n > 0, fmt.Sprintf("%d bytes, %v", n, err)
		})
		tr.clientWant(0, "restart", "gen-log")
	}
	last := fmt.Sprintf("gen %d", chunks*chunk)
	poll(t, "the last line logged", func() (bool, string) {
		l := tr.lines("logs/current")
		return slices.Contains(l, last), fmt.Sprintf("%d lines", len(l))
	})
	v.termNoCmd()
	seen := map[string]int{}
	files, _ := filepath.Glob(filepath.Join(tr.out, "logs", "@*.s"))
	for _, f := range append(files, filepath.Join(tr.out, "logs", "current")) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			seen[l]++
		}
	}
	var missing, twice []string
	for prod, n := range map[string]int{"gen": chunks * chunk, "gen2": 1000} {
		for i := 1; i <= n; i++ {
			switch l := prod + " " + strconv.Itoa(i); seen[l] {
			case 0:
				missing = append(missing, l)
			case 1:
			default:
				twice = append(twice, l)
			}
		}
	}
	t.Logf("%d lines logged through %d loggers, %d missing, %d twice", len(seen), len(matching(v.stderr(), logLine("service started", "gen-log"))), len(missing), len(twice))
	if len(missing) > 0 || len(twice) > 0 {
		t.Errorf("missing %d lines (%s), %d logged twice (%s)", len(missing), firstFew(missing), len(twice), firstFew(twice))
	}
	if n := len(matching(v.stderr(), logLine("service started", "gen-log"))); n != chunks {
		t.Errorf("gen-log starts = %d; want %d", n, chunks)
	}
}

// firstFew is the first few of ss, for messages.
func firstFew(ss []string) string {
	if len(ss) > 5 {
		return strings.Join(ss[:5], ", ") + ", …"
	}
	return strings.Join(ss, ", ")
}

// s6ExitBound bounds the wait for vigil's exit where a missing feature
// would leave it running: the test fails in this time rather than
// lineTimeout's; what it waits for takes well under a second.
const s6ExitBound = 10 * time.Second

// s6ShutdownBound: with a grace time of 300 ms where the default is 3 s
// or more, vigil must be gone well before the default.
const s6ShutdownBound = 2500 * time.Millisecond

// TestS6Variables: s6-overlay's variables configure vigil when the VIGIL_
// counterpart is unset; when both are set, VIGIL_ wins (README "s6-overlay
// v3 images", SPEC §11 "Variables").
func TestS6Variables(t *testing.T) {
	t.Parallel()
	// A CMD leaving a process that ignores SIGTERM: vigil SIGKILLs it after
	// the kill grace time (VIGIL_KILL_GRACETIME, default 3 s). The CMD
	// exits once the trap is set.
	leftover := shCmd(`sh -c 'trap "" TERM; : > "$OUT/trapped"; while :; do sleep 0.05; done' &
` + waitForCmd("trapped") + "\n" + event("cmd"))
	tests := []struct {
		name  string
		env   []string
		setup func(tr *s6Tree)
		cmd   []string
		term  bool          // send SIGTERM once booted (no CMD)
		want  int           // exit code
		under time.Duration // vigil exits within this after the CMD exits or SIGTERM (0: no bound but the test's)
		check func(t *testing.T, tr *s6Tree, v *vigil)
	}{
		// S6_BEHAVIOUR_IF_STAGE2_FAILS: 0 and 1 go on, 2 stops; VIGIL_INIT_FAILURE wins.
		{name: "Stage2Fails0", env: []string{"S6_BEHAVIOUR_IF_STAGE2_FAILS=0"}, setup: failingOneshot, cmd: shCmd(event("cmd") + "; exit 5"), want: 5},
		{name: "Stage2Fails1", env: []string{"S6_BEHAVIOUR_IF_STAGE2_FAILS=1"}, setup: failingOneshot, cmd: shCmd(event("cmd") + "; exit 5"), want: 5},
		{name: "Stage2Fails2", env: []string{"S6_BEHAVIOUR_IF_STAGE2_FAILS=2"}, setup: failingOneshot, cmd: shCmd(event("cmd") + "; exit 5"), want: 3},
		{name: "Stage2Fails2VigilContinue", env: []string{"S6_BEHAVIOUR_IF_STAGE2_FAILS=2", "VIGIL_INIT_FAILURE=continue"}, setup: failingOneshot, cmd: shCmd(event("cmd") + "; exit 5"), want: 5},
		{name: "Stage2Fails0VigilStop", env: []string{"S6_BEHAVIOUR_IF_STAGE2_FAILS=0", "VIGIL_INIT_FAILURE=stop"}, setup: failingOneshot, cmd: shCmd(event("cmd") + "; exit 5"), want: 3},
		// S6_KILL_GRACETIME → VIGIL_KILL_GRACETIME (default 3 s).
		{name: "KillGracetime", env: []string{"S6_KILL_GRACETIME=300"}, cmd: leftover, under: s6ShutdownBound},
		{name: "KillGracetimeVigilWins", env: []string{"S6_KILL_GRACETIME=8000", "VIGIL_KILL_GRACETIME=300ms"}, cmd: leftover, under: s6ShutdownBound},
		// 0 is no wait, not s6-overlay's 3000 (README "Variables").
		{name: "KillGracetimeZero", env: []string{"S6_KILL_GRACETIME=0"}, cmd: leftover, under: s6ShutdownBound,
			check: func(t *testing.T, tr *s6Tree, v *vigil) {
				if m := matching(v.stderr(), `processes left after grace time: SIGKILL.* grace=0s`); len(m) != 1 {
					t.Errorf("stderr %q; want the leftovers' SIGKILL after grace 0s", v.stderr())
				}
			}},
		// S6_SERVICES_GRACETIME → VIGIL_SERVICES_GRACETIME (default 5 s): a longrun ignoring SIGTERM.
		{name: "ServicesGracetime", env: []string{"S6_SERVICES_GRACETIME=300"}, setup: stubbornLongrun, term: true, under: s6ShutdownBound},
		{name: "ServicesGracetimeVigilWins", env: []string{"S6_SERVICES_GRACETIME=8000", "VIGIL_SERVICES_GRACETIME=300ms"}, setup: stubbornLongrun, term: true, under: s6ShutdownBound},
		// S6_KILL_FINISH_MAXTIME → VIGIL_FINISH_TIMEOUT (default 5 s): a cont-finish.d script that hangs.
		{name: "KillFinishMaxtime", env: []string{"S6_KILL_FINISH_MAXTIME=300"}, setup: hangingFinish, term: true, under: s6ShutdownBound},
		{name: "KillFinishMaxtimeVigilWins", env: []string{"S6_KILL_FINISH_MAXTIME=8000", "VIGIL_FINISH_TIMEOUT=300ms"}, setup: hangingFinish, term: true, under: s6ShutdownBound},
		// S6_CMD_WAIT_FOR_SERVICES_MAXTIME → VIGIL_READY_TIMEOUT (default none): a longrun never ready; under stop, 101.
		{name: "WaitForServicesMaxtime", env: []string{"S6_CMD_WAIT_FOR_SERVICES_MAXTIME=300"}, setup: neverReady, cmd: shCmd(event("cmd")), want: 101,
			check: func(t *testing.T, tr *s6Tree, v *vigil) { noEvent(t, tr, "cmd") }},
		{name: "WaitForServicesMaxtimeVigilWins", env: []string{"S6_CMD_WAIT_FOR_SERVICES_MAXTIME=0", "VIGIL_READY_TIMEOUT=300ms"}, setup: neverReady, cmd: shCmd(event("cmd")), want: 101,
			check: func(t *testing.T, tr *s6Tree, v *vigil) { noEvent(t, tr, "cmd") }},
		// S6_VERBOSITY → VIGIL_LOG_LEVEL: 1 is warnings and errors (s6-overlay's README).
		{name: "Verbosity1", env: []string{"S6_VERBOSITY=1"}, setup: failingOneshotContinue, cmd: shCmd("exit 0"),
			check: func(t *testing.T, tr *s6Tree, v *vigil) {
				if m := matching(v.stderr(), `level=INFO`); len(m) > 0 {
					t.Errorf("S6_VERBOSITY=1: INFO lines %q; want warnings and errors only", m)
				}
				if m := matching(v.stderr(), `level=WARN`); len(m) == 0 {
					t.Errorf("S6_VERBOSITY=1: no WARN line (the oneshot failing); stderr %q", v.stderr())
				}
			}},
		{name: "Verbosity1VigilWins", env: []string{"S6_VERBOSITY=1", "VIGIL_LOG_LEVEL=info"}, setup: failingOneshotContinue, cmd: shCmd("exit 0"),
			check: func(t *testing.T, tr *s6Tree, v *vigil) {
				if m := matching(v.stderr(), `level=INFO`); len(m) == 0 {
					t.Errorf("VIGIL_LOG_LEVEL=info beside S6_VERBOSITY=1: no INFO line; stderr %q", v.stderr())
				}
			}},
		// S6_CMD_ARG0: words put before the CMD (s6-overlay's rc.init: $arg0 "$@").
		{name: "CmdArg0", setup: func(tr *s6Tree) {
			tr.script(tr.root, "arg0", shScript(event(`arg0 got: $*`)+"\nshift\nexec \"$@\""))
			tr.extraEnv = []string{"S6_CMD_ARG0=" + filepath.Join(tr.root, "arg0") + " first"}
		}, cmd: shCmd(event("cmd $0") + "; exit 4"), want: 4,
			check: func(t *testing.T, tr *s6Tree, v *vigil) {
				checkEventOrder(t, tr.events(), "arg0 got: first /bin/sh -c "+event("cmd $0")+"; exit 4", "cmd /bin/sh")
			}},
		// S6_STAGE2_HOOK: run before the tree is read (word-split: a
		// program and its arguments); it may add a source, as LSIO's
		// /docker-mods does. A failing hook under
		// S6_BEHAVIOUR_IF_STAGE2_FAILS=2 stops the container with its
		// code (rc.init writes it to the exit code file, then halts).
		{name: "Stage2Hook", setup: stage2Hook(0), cmd: shCmd(event("cmd")),
			check: func(t *testing.T, tr *s6Tree, v *vigil) {
				checkEventOrder(t, tr.events(), "hook a b", "hooked up", "cmd")
			}},
		{name: "Stage2HookFails", env: []string{"S6_BEHAVIOUR_IF_STAGE2_FAILS=2"}, setup: stage2Hook(4), cmd: shCmd(event("cmd")), want: 4,
			check: func(t *testing.T, tr *s6Tree, v *vigil) {
				checkEventOrder(t, tr.events(), "hook a b")
				noEvent(t, tr, "hooked up")
				noEvent(t, tr, "cmd")
			}},
		// An S6_ value vigil cannot read is refused as a VIGIL_ one is: exit 100, naming it.
		{name: "Invalid", env: []string{"S6_KILL_GRACETIME=abc"}, cmd: shCmd(event("cmd")), want: 100,
			check: func(t *testing.T, tr *s6Tree, v *vigil) {
				noEvent(t, tr, "cmd")
				if m := matching(v.stderr(), `variable=S6_KILL_GRACETIME`); len(m) != 1 {
					t.Errorf("stderr %q; want one line naming S6_KILL_GRACETIME", v.stderr())
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newS6Tree(t)
			if tt.setup != nil {
				tt.setup(tr)
			}
			v := tr.start(append(tr.extraEnv, tt.env...), tt.cmd...)
			var from int64
			if tt.term {
				tr.waitBooted()
				from = monoNow()
				v.signal(unix.SIGTERM)
			} else if tt.under > 0 {
				poll(t, "the CMD to run", func() (bool, string) {
					return len(matching(tr.events(), "^cmd$")) > 0, fmt.Sprintf("events %q", tr.events())
				})
				from = monoNow()
			}
			code, ok := v.waitExit(s6ExitBound)
			if !ok {
				t.Fatalf("vigil still runs %v later; want it to exit %d", s6ExitBound, tt.want)
			}
			if code != tt.want {
				t.Errorf("exit code = %d; want %d", code, tt.want)
			}
			if tt.under > 0 {
				took := v.sinceExit(from)
				t.Logf("vigil exited %v after the CMD's exit or SIGTERM", took.Round(time.Millisecond))
				if took > tt.under {
					t.Errorf("vigil took %v to exit; want under %v", took.Round(time.Millisecond), tt.under)
				}
			}
			if tt.check != nil {
				tt.check(t, tr, v)
			}
		})
	}
}

// failingOneshot is a user oneshot whose up exits 3.
func failingOneshot(tr *s6Tree) {
	tr.oneshot("fails", shUp("exit 3"), "")
	tr.member("user", "fails")
}

// failingOneshotContinue is failingOneshot under VIGIL_INIT_FAILURE=continue,
// so that vigil writes a warning and goes on.
func failingOneshotContinue(tr *s6Tree) {
	failingOneshot(tr)
	tr.extraEnv = []string{"VIGIL_INIT_FAILURE=continue"}
}

// stubbornLongrun is a user longrun that ignores SIGTERM (SIG_IGN survives
// the exec), ready once it does.
func stubbornLongrun(tr *s6Tree) {
	tr.source("stubborn", "longrun", map[string]string{
		"run":             shScript("trap '' TERM\necho >&3\nexec sleep 1000"),
		"notification-fd": "3\n",
	})
	tr.member("user", "stubborn")
}

// hangingFinish is a cont-finish.d script that ignores SIGTERM and hangs.
func hangingFinish(tr *s6Tree) {
	tr.script(tr.finish, "10-hang", shScript("trap '' TERM\nexec sleep 1000"))
}

// neverReady is a user longrun whose readiness never comes.
func neverReady(tr *s6Tree) {
	tr.source("never", "longrun", map[string]string{
		"run":             shScript("exec sleep 1000"),
		"notification-fd": "3\n",
	})
	tr.member("user", "never")
}

// stage2Hook sets S6_STAGE2_HOOK to a script that records its arguments,
// adds the oneshot hooked to s6-rc.d and to user, and exits code.
func stage2Hook(code int) func(tr *s6Tree) {
	return func(tr *s6Tree) {
		hooked := tr.rcDir("hooked")
		tr.script(tr.root, "hook", shScript(fmt.Sprintf(`%s
mkdir -p %s "$USER_BUNDLE/contents.d"
echo oneshot > %s/type
printf '%%s\n' %s > %s/up
: > "$USER_BUNDLE/contents.d/hooked"
exit %d`, event("hook $*"), hooked, hooked, shellQuote(shUp(event("hooked up"))), hooked, code)))
		tr.member("user") // user-bundles.d/user, empty
		tr.extraEnv = []string{
			"S6_STAGE2_HOOK=" + filepath.Join(tr.root, "hook") + " a b",
			"USER_BUNDLE=" + filepath.Join(tr.overlay, "user-bundles.d", "user"),
		}
	}
}

// shellQuote is s as one sh word.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// noEvent fails if $OUT/events has the line what.
func noEvent(t *testing.T, tr *s6Tree, what string) {
	t.Helper()
	if m := matching(tr.events(), "^"+regexp.QuoteMeta(what)+"$"); len(m) > 0 {
		t.Errorf("event %q happened; want it not to (events %q)", what, tr.events())
	}
}

// TestS6RunPaths: what s6-overlay's scripts find under /run
// while vigil runs: /run/s6/container_environment is the env snapshot
// (read and written by init scripts, as LSIO's init-envfile does, and
// what is written there reaches the services), the exit code file exists
// holding 0, and /run/s6/basedir/bin/halt stops the container with its
// code (the finish script of hassio's add-ons, which reads the file
// before writing it). vigil runs with VIGIL_S6_RUN_DIR at its default,
// /run, on a /run of its own (a tmpfs in its mount namespace); TestS6Halt
// covers halt and the exit code file's contents under the harness's
// VIGIL_S6_RUN_DIR.
func TestS6RunPaths(t *testing.T) {
	t.Parallel()
	tr := newS6Tree(t)
	viaVarRun := false
	if target, err := filepath.EvalSymlinks("/var/run"); err == nil && target == "/run" {
		viaVarRun = true // Debian's /var/run is a link to /run, as s6-overlay's preinit makes it
	}
	tr.script(tr.init, "10-env", shScript(`ce=/run/s6/container_environment
`+event(`link $(readlink $ce)`)+`
`+event(`init saw $(cat $ce/FROM_DOCKER)`)+`
`+event(`exitcode $(cat /run/s6-linux-init-container-results/exitcode)`)+`
printf from-init > $ce/FROM_INIT
if [ -d /var/run/s6/container_environment ]; then printf via-var-run > /var/run/s6/container_environment/VIA_VAR_RUN; fi`))
	tr.source("app", "longrun", map[string]string{
		"run": shScript(event(`app saw ${FROM_INIT-unset} ${VIA_VAR_RUN-unset}`) + "\n" + waitForCmd("end") + "\nexit 3"),
		"finish": `#!/bin/bash
exit_code_container=$(</run/s6-linux-init-container-results/exitcode)
if [[ "$1" -eq 256 ]]; then
	[[ "$exit_code_container" -eq 0 ]] && echo $((128 + $2)) > /run/s6-linux-init-container-results/exitcode
	[[ "$2" -eq 15 ]] && exec /run/s6/basedir/bin/halt
elif [[ "$1" -ne 0 ]]; then
	[[ "$exit_code_container" -eq 0 ]] && echo "$1" > /run/s6-linux-init-container-results/exitcode
	exec /run/s6/basedir/bin/halt
fi
`,
	})
	tr.depends("app", "base") // after the init script
	tr.member("user", "app")
	// VIGIL_S6_RUN_DIR's default, /run, which the harness points elsewhere.
	v := tr.startRunTmpfs([]string{"FROM_DOCKER=from-docker", "VIGIL_S6_RUN_DIR=/run"})
	poll(t, "app to start", func() (bool, string) {
		return len(matching(tr.events(), "^app saw")) > 0, fmt.Sprintf("events %q", tr.events())
	})
	tr.script(tr.out, "end", "")
	code, ok := v.waitExit(s6ExitBound)
	if !ok {
		t.Errorf("vigil still runs %v after app's finish called /run/s6/basedir/bin/halt; want exit 3", s6ExitBound)
	} else if code != 3 {
		t.Errorf("exit code = %d; want 3, what app's finish wrote to the exit code file before halt", code)
	}
	via := "unset"
	if viaVarRun {
		via = "via-var-run"
	}
	checkEventOrder(t, tr.events(),
		"link "+filepath.Join(tr.run, "env"),
		"init saw from-docker",
		"exitcode 0",
		"app saw from-init "+via)
}

// TestS6TreeStopMember: stopping a member of user (vigil stop, s6-svc -d)
// stops it and what depends on it, but not /etc/services.d: the boot's
// point legacy-services, once passed, is not undone before the shutdown.
func TestS6TreeStopMember(t *testing.T) {
	t.Parallel()
	tr := newS6Tree(t)
	tr.longrun("db", sleeper("db"))
	tr.member("user", "db")
	tr.service("app", map[string]string{"run": sleeper("app")})
	v := tr.start(nil)
	tr.waitReady("db", "app")
	app := tr.statusOf("app").Pid
	tr.clientWant(0, "stop", "db")
	if st := tr.statusOf("app"); st.State != "up" || st.Pid != app {
		t.Errorf("app after vigil stop db: %+v; want still up, pid %d", st, app)
	}
	tr.clientWant(0, "start", "db")
	v.termNoCmd()
}

// TestHaltFromFinish: a finish script that halts (s6-overlay's exit code
// file and halt) ends the container; the service it finished is not
// started again meanwhile, however long the CMD takes to stop.
func TestHaltFromFinish(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{
		"run":    shScript(`sleep 0.2; exit 3`),
		"finish": shScript(`echo "$1" > "$VIGIL_S6_RUN_DIR/s6-linux-init-container-results/exitcode"; exec "$VIGIL_S6_RUN_DIR/s6/basedir/bin/halt"`),
	})
	// The CMD takes a second to stop: a restart of web would come first.
	v := tr.start(nil, shCmd(`trap 'sleep 1; exit 0' TERM; while :; do sleep 0.1; done`)...)
	if got := v.wait(); got != 3 {
		t.Errorf("exit code = %d; want 3, the finish script's", got)
	}
	if n := len(matching(v.stderr(), logLine("service started", "web"))); n != 1 {
		t.Errorf("web started %d times; want once: nothing restarts once the shutdown began", n)
	}
}

// TestS6TreeReload: `vigil reload` rereads only the service directory. A
// new directory with the name of an s6-rc source is refused, naming it,
// and changes nothing; a directory that was a member of the user bundle
// and is removed leaves the bundles it was in, which still answer for the
// rest (vigil status BUNDLE once dereferenced the forgotten member).
func TestS6TreeReload(t *testing.T) {
	t.Parallel()
	tr := newS6Tree(t)
	tr.longrun("db", sleeper("db"))
	tr.member("user", "db")
	tr.source("stack", "bundle", map[string]string{"contents.d/db": "", "contents.d/app": ""})
	tr.service("app", map[string]string{"run": sleeper("app")})
	v := tr.start(nil)
	tr.waitReady("db", "app")
	db := tr.statusOf("db").Pid

	tr.service("db", map[string]string{"run": sleeper("db2")})
	if r := tr.client("reload"); r.code == 0 || !strings.Contains(r.stderr, `db`) || !strings.Contains(r.stderr, "defined twice") {
		t.Errorf("vigil reload with a service directory named as the s6-rc source db: %v; want an error naming db, defined twice", r)
	}
	if st := tr.statusOf("db"); st.State != "up" || st.Pid != db {
		t.Errorf("db after the refused reload: %+v; want still up, pid %d", st, db)
	}
	if err := os.RemoveAll(filepath.Join(tr.services, "db")); err != nil {
		t.Fatal(err)
	}

	if err := os.RemoveAll(filepath.Join(tr.services, "app")); err != nil {
		t.Fatal(err)
	}
	tr.clientWant(0, "reload")
	poll(t, "app to leave vigil status", func() (bool, string) {
		sts := tr.status()
		return !slices.ContainsFunc(sts, func(s svcStatus) bool { return s.Name == "app" }), fmt.Sprintf("%+v", sts)
	})
	var names []string
	for _, s := range tr.status("stack") {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"db"}) {
		t.Errorf("vigil status stack after app was removed: %v; want [db]", names)
	}
	tr.clientWant(0, "stop", "stack")
	v.termNoCmd()
}

// TestS6TreeStopDuringUp: a shutdown while a oneshot's up is running
// stops it (README "Shutdown") once: SIGTERM, with its grace to SIGKILL
// armed once, not again at every pass of the loop. It is neither done nor
// failed, whatever it exited with, so its down does not run and the exit
// code is the shutdown's (0: a stop signal, no CMD), under both failure
// modes.
func TestS6TreeStopDuringUp(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"stop", "continue"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			tr := newS6Tree(t)
			tr.oneshot("slow", shUp(event("up")+"; exec sleep 1000"), shUp(event("down")))
			tr.member("user", "slow")
			v := tr.start([]string{"VIGIL_INIT_FAILURE=" + mode})
			poll(t, "slow's up to run", func() (bool, string) {
				return len(matching(tr.events(), "^up$")) > 0, fmt.Sprintf("events %q", tr.events())
			})
			v.termNoCmd()
			if ev := tr.events(); len(matching(ev, "^down$")) > 0 {
				t.Errorf("events %q; want no down: its up was stopped, not done", ev)
			}
			stderr := v.stderr()
			if len(matching(stderr, `msg="oneshot stopped" service=slow`)) == 0 || len(matching(stderr, `oneshot failed`)) > 0 {
				t.Errorf("stderr %q; want oneshot stopped, not failed", stderr)
			}
			if n := len(matching(stderr, `msg="oneshot stopping" service=slow`)); n != 1 {
				t.Errorf("stderr %q: oneshot stopping %d times; want once", stderr, n)
			}
		})
	}
}

// TestS6RuntimeBundledir: S6_RUNTIME_BUNDLEDIR names where user is
// defined, instead of user-bundles.d (README "Variables"): its members
// start, those of user-bundles.d' user do not.
func TestS6RuntimeBundledir(t *testing.T) {
	t.Parallel()
	tr := newS6Tree(t)
	tr.longrun("picked", sleeper("picked"))
	tr.longrun("default", sleeper("default"))
	tr.member("user", "default")
	bundles := filepath.Join(tr.root, "bundles")
	writeTreeFile(t, filepath.Join(bundles, "user", "type"), "bundle\n")
	writeTreeFile(t, filepath.Join(bundles, "user", "contents.d", "picked"), "")
	v := tr.start([]string{"S6_RUNTIME_BUNDLEDIR=" + bundles})
	tr.waitReady("picked")
	if st := tr.statusOf("default"); st.State != "down" {
		t.Errorf("default (in user-bundles.d's user) with S6_RUNTIME_BUNDLEDIR set: %+v; want down", st)
	}
	v.termNoCmd()
}
