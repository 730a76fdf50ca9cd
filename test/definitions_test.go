package test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestInvalidDefinition: a broken service definition is one stderr line
// naming the service, the file and the problem; exit 100; nothing starts:
// no init script, no service (not even a valid one), no CMD (README "Boot", step 3).
func TestInvalidDefinition(t *testing.T) {
	t.Parallel()
	run := shScript(publish("web", "ran") + "; exec sleep 1000")
	tests := []struct {
		name  string
		files map[string]map[string]string // service → files
		setup func(tr *svcTree)            // after the files are written
		want  []string                     // words the line must hold
	}{
		{"missing run", map[string]map[string]string{"web": {"finish": shScript("exit 0")}},
			nil, []string{"web", "run"}},
		{"run not executable", map[string]map[string]string{"web": {"run": "#!/bin/sh\n"}},
			func(tr *svcTree) { chmod(tr, "web/run", 0o644) }, []string{"web", "run"}},
		{"run is a directory", map[string]map[string]string{"web": {"run/x": ""}},
			nil, []string{"web", "run"}},
		{"notification-fd 2", map[string]map[string]string{"web": {"run": run, "notification-fd": "2\n"}},
			nil, []string{"web", "notification-fd", "2"}},
		{"notification-fd abc", map[string]map[string]string{"web": {"run": run, "notification-fd": "abc\n"}},
			nil, []string{"web", "notification-fd", "abc"}},
		{"notification-fd empty", map[string]map[string]string{"web": {"run": run, "notification-fd": ""}},
			nil, []string{"web", "notification-fd"}},
		{"timeout-kill 1.5s", map[string]map[string]string{"web": {"run": run, "timeout-kill": "1.5s\n"}},
			nil, []string{"web", "timeout-kill", "1.5s"}},
		{"timeout-kill -5", map[string]map[string]string{"web": {"run": run, "timeout-kill": "-5\n"}},
			nil, []string{"web", "timeout-kill", "-5"}},
		{"timeout-finish soon", map[string]map[string]string{"web": {"run": run, "timeout-finish": "soon\n"}},
			nil, []string{"web", "timeout-finish", "soon"}},
		{"down-signal SIGFOO", map[string]map[string]string{"web": {"run": run, "down-signal": "SIGFOO\n"}},
			nil, []string{"web", "down-signal", "SIGFOO"}},
		{"down-signal 99", map[string]map[string]string{"web": {"run": run, "down-signal": "99\n"}},
			nil, []string{"web", "down-signal", "99"}},
		{"restart sometimes", map[string]map[string]string{"web": {"run": run, "restart": "sometimes\n"}},
			nil, []string{"web", "restart", "sometimes"}},
		{"unknown dependency", map[string]map[string]string{"web": {"run": run, "dependencies": "# db\nnosuch\n"}},
			nil, []string{"web", "dependencies", "nosuch"}},
		{"unknown dependency in dependencies.d", map[string]map[string]string{"web": {"run": run, "dependencies.d/nosuch": ""}},
			nil, []string{"web", "dependencies.d", "nosuch"}},
		{"cycle", map[string]map[string]string{
			"web": {"run": run, "dependencies": "api\n"},
			"api": {"run": run, "dependencies.d/web": ""},
		}, nil, []string{"web", "api", "dependencies"}},
		{"depends on itself", map[string]map[string]string{"web": {"run": run, "dependencies": "web\n"}},
			nil, []string{"web", "dependencies"}},
		{"user of bad form", map[string]map[string]string{"web": {"run": run, "user": "nobody:\n"}},
			nil, []string{"web", "user", "nobody:"}},
		{"user of three parts", map[string]map[string]string{"web": {"run": run, "user": "a:b:c\n"}},
			nil, []string{"web", "user", "a:b:c"}},
		{"bad name", map[string]map[string]string{"bad name": {"run": run}},
			nil, []string{"bad name"}},
		{"env/ name with =", map[string]map[string]string{"web": {"run": run, "env/A=B": "x\n"}},
			nil, []string{"web", "env", "A=B"}},
		{"check not executable", map[string]map[string]string{"web": {"run": run, "check": "exit 0\n"}},
			nil, []string{"web", "check"}},
		{"log without run", map[string]map[string]string{"web": {"run": run, "log/finish": shScript("exit 0")}},
			nil, []string{"web", "log/run"}},
		{"log bad down-signal", map[string]map[string]string{"web": {"run": run, "log/run": shScript("exec cat"), "log/down-signal": "NOPE\n"}},
			nil, []string{"web", "log/down-signal", "NOPE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			tr.service("ok", map[string]string{"run": shScript(publish("ok", "ran") + "; exec sleep 1000")})
			for name, files := range tt.files {
				tr.service(name, files)
			}
			if tt.setup != nil {
				tt.setup(tr)
			}
			tr.script(tr.init, "10-init", shScript(publish("init", "ran")))
			v := tr.start(nil, shCmd(publish("cmd", "ran"))...)
			if got := v.wait(); got != 100 {
				t.Errorf("exit code = %d; want 100", got)
			}
			for _, what := range []string{"init", "ok", "web", "cmd"} {
				if tr.exists(what) {
					t.Errorf("%s ran; want nothing started", what)
				}
			}
			lines := v.stderr()
			if len(lines) != 1 {
				t.Fatalf("stderr = %q; want one line", lines)
			}
			for _, w := range tt.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("stderr %q does not name %q", lines[0], w)
				}
			}
		})
	}
}

// chmod sets the mode of rel in the services directory.
func chmod(tr *svcTree, rel string, mode os.FileMode) {
	tr.t.Helper()
	if err := os.Chmod(filepath.Join(tr.services, rel), mode); err != nil {
		tr.t.Fatal(err)
	}
}

// TestServiceDirEntries: dot entries and plain files in the services
// directory are ignored, a symlink to a directory is a service, names may
// hold _ . @ -, and unknown files and directories in a service directory
// (data/, supervise/) are left alone.
func TestServiceDirEntries(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	run := shScript(`echo "$1" >> "$OUT/started"; exec sleep 1000`)
	tr.service("web", map[string]string{
		"run": run, "notes.txt": "hello\n", "data/db": "x\n", "supervise/status": "",
	})
	tr.service("worker@1.x-y_z", map[string]string{"run": run})
	tr.service(".hidden", map[string]string{"finish": "no run: would be invalid\n"})
	writeTreeFile(t, filepath.Join(tr.services, "README"), "not a service\n")
	elsewhere := filepath.Join(t.TempDir(), "real")
	writeTreeFile(t, filepath.Join(elsewhere, "run"), run)
	if err := os.Symlink(elsewhere, filepath.Join(tr.services, "linked")); err != nil {
		t.Fatal(err)
	}
	v := tr.start(nil)
	got := tr.waitLines("started", 3)
	v.termNoCmd()
	want := []string{"linked", "web", "worker@1.x-y_z"}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("services started: %q; want %q", got, want)
	}
}
