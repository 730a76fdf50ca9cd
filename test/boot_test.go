package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitScriptsOrder: init scripts run in byte order of their names, one
// at a time, stdin /dev/null, before any service and the CMD; a file that
// is not executable is skipped with a warning naming it (README "Boot", step 5).
func TestInitScriptsOrder(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	// Each one sleeps between its two lines: a script started before the
	// previous one ended would show up between them.
	for _, name := range []string{"10-a", "20-b", "9-c"} {
		tr.script(tr.init, name, shScript(`echo "start `+name+`" >> "$OUT/order"
sleep 0.1
echo "stdin $(readlink /proc/$$/fd/0)" >> "$OUT/order"
echo "end `+name+`" >> "$OUT/order"`))
	}
	tr.script(tr.init, "15-skipped", `echo skipped >> "$OUT/order"`+"\n") // 0644
	tr.service("web", map[string]string{
		"run": shScript(`echo service >> "$OUT/order"; exec sleep 1000`),
	})
	v := tr.start(nil, shCmd(`until grep -q service "$OUT/order"; do sleep 0.02; done; echo cmd >> "$OUT/order"`)...)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	var want []string
	for _, name := range []string{"10-a", "20-b", "9-c"} {
		want = append(want, "start "+name, "stdin /dev/null", "end "+name)
	}
	want = append(want, "service", "cmd")
	if got := tr.lines("order"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("order = %q; want %q", got, want)
	}
	if m := matching(v.stderr(), `level=WARN .*15-skipped`); len(m) != 1 {
		t.Errorf("warnings naming the non-executable 15-skipped: %q; want one", m)
	}
}

// TestInitEnv: what an init script writes in $VIGIL_RUN_DIR/env/ (a new
// variable, a changed one, a removed file, an emptied file) holds for
// later init scripts, services and the CMD (README "Boot").
func TestInitEnv(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.script(tr.init, "10-write", shScript(`cd "$VIGIL_RUN_DIR/env" || exit 1
`+publish("snapshot", "$(cat KEPT) $(cat CHANGED)")+`
echo new > NEWVAR
echo changed > CHANGED
rm REMOVED
: > EMPTIED`))
	const show = `NEWVAR=${NEWVAR-unset} CHANGED=${CHANGED-unset} REMOVED=${REMOVED-unset} EMPTIED=${EMPTIED-unset} KEPT=${KEPT-unset} EMPTY=${EMPTY-unset} MULTI=$(printf %s "$MULTI" | tr '\n' '|')`
	tr.script(tr.init, "20-read", shScript(publish("init", show)))
	tr.service("web", map[string]string{
		"run": shScript(publish("service", show) + "; exec sleep 1000"),
	})
	v := tr.start([]string{"CHANGED=old", "REMOVED=here", "EMPTIED=full", "KEPT=kept", "EMPTY=", "MULTI=one\ntwo"},
		shCmd(publish("cmd", show)+"; "+waitForCmd("service"))...)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	// EMPTY and MULTI, which the snapshot cannot hold as they are, pass
	// unchanged.
	const want = "NEWVAR=new CHANGED=changed REMOVED=unset EMPTIED=unset KEPT=kept EMPTY= MULTI=one|two"
	if got := tr.read("snapshot"); got != "kept old" {
		t.Errorf("$VIGIL_RUN_DIR/env/ KEPT and CHANGED = %q; want %q", got, "kept old")
	}
	for _, who := range []string{"init", "service", "cmd"} {
		if got := tr.read(who); got != want {
			t.Errorf("environment of the %s after 10-write: %q; want %q", who, got, want)
		}
	}
}

// TestInitFailure: a failing init script under VIGIL_INIT_FAILURE=stop ends
// the boot with its status (later scripts, services and CMD never run);
// under continue the boot goes on. Either way the shutdown runs the
// cont-finish scripts.
func TestInitFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, policy, script string
		want                 int
		goesOn               bool
	}{
		{"stop, exit 7", "stop", "exit 7", 7, false},
		{"default, exit 7", "", "exit 7", 7, false},
		{"stop, SIGKILL", "stop", "kill -KILL $$", 137, false},
		{"continue, exit 7", "continue", "exit 7", 5, true},
		{"continue, SIGKILL", "continue", "kill -KILL $$", 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			tr.script(tr.init, "10-fail", shScript(tt.script))
			tr.script(tr.init, "20-later", shScript(publish("later", "ran")))
			tr.script(tr.finish, "10-finish", shScript(publish("finish", "ran")))
			tr.service("web", map[string]string{
				"run": shScript(publish("service", "ran") + "; exec sleep 1000"),
			})
			var env []string
			if tt.policy != "" {
				env = append(env, "VIGIL_INIT_FAILURE="+tt.policy)
			}
			v := tr.start(env, shCmd(publish("cmd", "ran")+"; "+waitForCmd("service")+"; exit 5")...)
			if got := v.wait(); got != tt.want {
				t.Errorf("exit code = %d; want %d", got, tt.want)
			}
			for _, what := range []string{"later", "service", "cmd"} {
				if tr.exists(what) != tt.goesOn {
					t.Errorf("%s ran = %t; want %t", what, tr.exists(what), tt.goesOn)
				}
			}
			if !tr.exists("finish") {
				t.Errorf("cont-finish script did not run; want it run by the shutdown")
			}
		})
	}
}

// TestDisable: services in VIGIL_DISABLE do not start, nor one that depends
// on them, nor their loggers; the CMD does not wait for them. A name that is no service is
// warned about.
func TestDisable(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	for _, name := range []string{"a", "b", "c", "d"} {
		tr.service(name, map[string]string{
			"run": shScript(publish(name, "ran") + "; exec sleep 1000"),
		})
	}
	writeTreeFile(t, filepath.Join(tr.services, "b", "dependencies"), "a\n")
	writeTreeFile(t, filepath.Join(tr.services, "c", "log", "run"), shScript(publish("c-log", "ran")+"; exec cat"))
	v := tr.start([]string{"VIGIL_DISABLE=a,c,nosuch"}, shCmd(waitForCmd("d"))...)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	errs := v.stderr()
	if m := matching(errs, `level=WARN.*nosuch`); len(m) != 1 {
		t.Errorf("warnings naming nosuch, in VIGIL_DISABLE: %q; want one", m)
	}
	for _, name := range []string{"a", "b", "c", "c/log"} {
		if tr.exists(strings.ReplaceAll(name, "/", "-")) {
			t.Errorf("service %s ran; want it not started", name)
		}
		if m := matching(errs, logLine("service started", name)); len(m) > 0 {
			t.Errorf("service %s started: %q", name, m)
		}
	}
}

// TestReadyTimeout: a service never ready within VIGIL_READY_TIMEOUT stops
// the boot with exit 101 under stop, naming it (the CMD never runs); under
// continue the CMD starts anyway.
func TestReadyTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy string
		want   int
		ran    bool
	}{
		{"stop", 101, false},
		{"continue", 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			tr.service("never-ready", map[string]string{
				"run":   shScript("exec sleep 1000"),
				"check": shScript("exit 1"),
			})
			tr.service("quick", map[string]string{"run": shScript("exec sleep 1000")})
			v := tr.start([]string{"VIGIL_READY_TIMEOUT=500ms", "VIGIL_INIT_FAILURE=" + tt.policy},
				shCmd(publish("cmd", "ran")+"; exit 6")...)
			if got := v.wait(); got != tt.want {
				t.Errorf("exit code = %d; want %d", got, tt.want)
			}
			if tr.exists("cmd") != tt.ran {
				t.Errorf("CMD ran = %t; want %t", tr.exists("cmd"), tt.ran)
			}
			m := matching(v.stderr(), `not ready in time`)
			if len(m) != 1 || !strings.Contains(m[0], "never-ready") || strings.Contains(m[0], "quick") {
				t.Errorf("log lines about services not ready: %q; want one naming never-ready (only)", m)
			}
		})
	}
}

// TestRunDirUnwritable: a VIGIL_RUN_DIR that cannot be created gives one
// warning and the boot goes on: init scripts, services, CMD.
func TestRunDirUnwritable(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(file, "run")
	tr.script(tr.init, "10-init", shScript(publish("init", "ran")))
	tr.service("web", map[string]string{
		"run": shScript(publish("service", "ran") + "; exec sleep 1000"),
	})
	v := tr.start([]string{"VIGIL_RUN_DIR=" + runDir}, shCmd(waitForCmd("service")+"; exit 4")...)
	if got := v.wait(); got != 4 {
		t.Errorf("exit code = %d; want 4 (the CMD's)", got)
	}
	for _, what := range []string{"init", "service"} {
		if !tr.exists(what) {
			t.Errorf("%s did not run", what)
		}
	}
	if m := matching(v.stderr(), `level=WARN`); len(m) != 1 || !strings.Contains(m[0], runDir) {
		t.Errorf("warnings = %q; want one naming %s", m, runDir)
	}
}

// TestReadyTimeoutCountsInitScripts: VIGIL_READY_TIMEOUT counts from the
// start of the graph, init scripts included (README "Boot"): an init
// script that outlasts it stops the boot with 101 though every service
// would be ready at once after it.
func TestReadyTimeoutCountsInitScripts(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.script(tr.init, "10-slow", shScript("sleep 2"))
	tr.service("quick", map[string]string{"run": shScript("exec sleep 1000")})
	v := tr.start([]string{"VIGIL_READY_TIMEOUT=500ms"}, shCmd(publish("cmd", "ran"))...)
	if got := v.wait(); got != 101 {
		t.Errorf("exit code = %d; want 101 (the init script outlasted VIGIL_READY_TIMEOUT)", got)
	}
	if tr.exists("cmd") {
		t.Errorf("the CMD ran; want the boot stopped")
	}
}

// TestFixAttrsWarned: files in fix-attrs.d (beside cont-init.d) are not
// applied; one warning names them (README "s6-overlay v3 images").
func TestFixAttrsWarned(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	target := filepath.Join(tr.out, "target")
	writeTreeFile(t, target, "x")
	if err := os.Chmod(target, 0o600); err != nil {
		t.Fatal(err)
	}
	writeTreeFile(t, filepath.Join(tr.root, "fix-attrs.d", "01-app"), target+" false root 0644 0755\n")
	v := tr.start(nil)
	tr.waitControl()
	v.termNoCmd()
	m := matching(v.stderr(), `fix-attrs.d is not applied`)
	if len(m) != 1 || !strings.Contains(m[0], "01-app") {
		t.Errorf("warnings about fix-attrs.d: %q; want one naming 01-app", m)
	}
	if fi, err := os.Stat(target); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("target after boot: mode %v; want 0600, untouched", fi.Mode().Perm())
	}
}
