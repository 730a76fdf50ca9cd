package test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestServiceRunContext: run gets the service name as $1, the service dir
// as cwd, /dev/null as stdin, its own process group, VIGIL_SERVICE and the
// container's environment changed by env/ (README "Services": run, env/). check
// gets the same.
func TestServiceRunContext(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	// Each script reports as KEY=VALUE lines; $5 of /proc/PID/stat is the
	// process group (the command name, "run" or "check", has no blank).
	report := func(name string) string {
		return `arg=$1
set -- $(cat /proc/$$/stat)
{
	echo "arg=$arg"
	echo "cwd=$(pwd -P)"
	echo "stdin=$(readlink /proc/$$/fd/0)"
	echo "pid=$$"
	echo "pgid=$5"
	echo "VIGIL_SERVICE=${VIGIL_SERVICE-unset}"
	echo "SVC_NEW=${SVC_NEW-unset}"
	echo "SVC_CHANGED=${SVC_CHANGED-unset}"
	echo "SVC_UNSET=${SVC_UNSET-unset}"
	echo "SVC_EMPTY=${SVC_EMPTY-unset}"
	echo "SVC_KEPT=${SVC_KEPT-unset}"
} > "$OUT/` + name + `.tmp"
mv "$OUT/` + name + `.tmp" "$OUT/` + name + `"`
	}
	tr.service("web", map[string]string{
		"run":             shScript(report("run") + "\nexec sleep 1000"),
		"check":           shScript(report("check")),
		"env/SVC_NEW":     "new\n",
		"env/SVC_CHANGED": "changed\nsecond line ignored\n",
		"env/SVC_UNSET":   "",
		"env/SVC_EMPTY":   "\n",
	})
	v := tr.start([]string{"SVC_CHANGED=old", "SVC_UNSET=present", "SVC_EMPTY=full", "SVC_KEPT=kept"})
	dir, err := filepath.EvalSymlinks(filepath.Join(tr.services, "web"))
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"run", "check"} {
		got := map[string]string{}
		for _, l := range strings.Split(tr.waitFile(who), "\n") {
			k, val, _ := strings.Cut(l, "=")
			got[k] = val
		}
		want := map[string]string{
			"arg":           "web",
			"cwd":           dir,
			"stdin":         "/dev/null",
			"pgid":          got["pid"],
			"VIGIL_SERVICE": "web",
			"SVC_NEW":       "new",
			"SVC_CHANGED":   "changed",
			"SVC_UNSET":     "unset",
			"SVC_EMPTY":     "",
			"SVC_KEPT":      "kept",
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s of service web: %s = %q; want %q", who, k, got[k], w)
			}
		}
	}
	v.termNoCmd()
}

// TestFinishArgs: finish gets the exit code (256 if killed), the signal
// number (0 if none) and the service name, and the service's environment.
func TestFinishArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, run, want string
	}{
		{"exit 3", "exit 3", "3 0 web"},
		{"exit 0", "exit 0", "0 0 web"},
		{"SIGKILL", "kill -KILL $$", "256 9 web"},
		{"SIGTERM", "kill -TERM $$", "256 15 web"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			tr.service("web", map[string]string{
				"run":     shScript(tt.run),
				"finish":  shScript(publish("finish", `$# args: $* VIGIL_SERVICE=$VIGIL_SERVICE`)),
				"restart": "never\n",
			})
			v := tr.start(nil)
			want := "3 args: " + tt.want + " VIGIL_SERVICE=web"
			if got := tr.waitFile("finish"); got != want {
				t.Errorf("finish after run %q saw %q; want %q", tt.run, got, want)
			}
			v.termNoCmd()
		})
	}
}

// TestFinish125: a finish exiting 125 keeps the service down; one exiting
// 0 does not.
func TestFinish125(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	for name, code := range map[string]int{"stays": 125, "again": 0} {
		tr.service(name, map[string]string{
			"run":    shScript(`echo start >> "$OUT/` + name + `"; exit 1`),
			"finish": shScript(fmt.Sprintf("exit %d", code)),
		})
	}
	v := tr.start(nil)
	v.waitErrLine(logLine("service down for good", "stays") + `.*why="finish exited 125"`)
	tr.waitLines("again", 2) // meanwhile the other one restarted
	v.termNoCmd()
	if got := tr.lines("stays"); len(got) != 1 {
		t.Errorf("starts of a service whose finish exits 125 = %d; want 1", len(got))
	}
	if m := matching(v.stderr(), logLine("service restart", "stays")); len(m) > 0 {
		t.Errorf("a service whose finish exits 125 was restarted: %q", m)
	}
}

// TestTimeoutFinish: a finish that hangs is killed after timeout-finish
// (or VIGIL_FINISH_TIMEOUT without the file), and the service restarts.
func TestTimeoutFinish(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file string // file: timeout-finish, "" for none
		env        string
	}{
		// The default is far away: only timeout-finish can end the finish.
		{"timeout-finish 300", "300\n", "VIGIL_FINISH_TIMEOUT=60s"},
		{"VIGIL_FINISH_TIMEOUT", "", "VIGIL_FINISH_TIMEOUT=300ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			files := map[string]string{
				"run":    shScript(`echo start >> "$OUT/starts"; exit 1`),
				"finish": shScript(`echo finish >> "$OUT/finish"; exec sleep 1000`),
			}
			if tt.file != "" {
				files["timeout-finish"] = tt.file
			}
			tr.service("web", files)
			v := tr.start([]string{tt.env})
			tr.waitLines("starts", 2)
			v.termNoCmd()
			if n := len(tr.lines("finish")); n < 1 {
				t.Errorf("finish ran %d times; want at least 1", n)
			}
		})
	}
}

// TestDownFile: a service with a down file is not started at boot.
func TestDownFile(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("off", map[string]string{
		"run":  shScript(publish("off", "ran") + "; exec sleep 1000"),
		"down": "",
	})
	tr.service("on", map[string]string{
		"run": shScript(publish("on", "ran") + "; exec sleep 1000"),
	})
	v := tr.start(nil, shCmd(waitForCmd("on"))...)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	if tr.exists("off") {
		t.Errorf("service with a down file ran")
	}
	if m := matching(v.stderr(), logLine("service started", "off")); len(m) > 0 {
		t.Errorf("service with a down file started: %q", m)
	}
}

// TestReadinessGates: a dependent and the CMD start only once the service
// is ready, told by notification-fd or check: both see the file the
// service writes just before it is ready.
func TestReadinessGates(t *testing.T) {
	t.Parallel()
	// db is slow to come up: what starts too early sees no $OUT/db.
	const slow = `sleep 0.5; ` + `echo data > "$OUT/db.tmp"; mv "$OUT/db.tmp" "$OUT/db"`
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"notification-fd 3", map[string]string{
			"notification-fd": "3\n",
			"run":             shScript(slow + "; echo >&3; exec sleep 1000"),
		}},
		{"notification-fd 5", map[string]string{
			"notification-fd": "5\n",
			"run":             shScript(slow + "; echo ready >&5; exec sleep 1000"),
		}},
		{"check", map[string]string{
			"check": shScript(`[ -e "$OUT/db" ]`),
			"run":   shScript(slow + "; exec sleep 1000"),
		}},
	}
	// observe copies $OUT/db to $OUT/$1, or writes "missing" there.
	const observe = `{ cat "$OUT/db" 2>/dev/null || echo missing; } > "$OUT/$1.tmp"; mv "$OUT/$1.tmp" "$OUT/$1"`
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			tr.service("db", tt.files)
			tr.service("app", map[string]string{
				"dependencies": "db\n",
				"run":          shScript(observe + "; exec sleep 1000"),
			})
			v := tr.start(nil, shCmd("set -- cmd; "+observe+"; "+waitForCmd("app"))...)
			if got := v.wait(); got != 0 {
				t.Errorf("exit code = %d; want 0", got)
			}
			for _, who := range []string{"app", "cmd"} {
				if got := tr.read(who); got != "data" {
					t.Errorf("%s saw %q in $OUT/db when it started; want %q (written just before db was ready)", who, got, "data")
				}
			}
			if m := matching(v.stderr(), logLine("service ready", "db")); len(m) != 1 {
				t.Errorf("log lines saying db is ready: %q; want one", m)
			}
		})
	}
}

// TestServiceUser: run and finish run as the user of the user file, with
// its groups and HOME, USER and LOGNAME from /etc/passwd unless env/ sets
// them.
func TestServiceUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		user  string
		env   map[string]string
		want  string // id -u; id -g; id -G; echo $HOME $USER $LOGNAME
		check func(t *testing.T, got string)
	}{
		{"nobody", "nobody", nil, "65534\n65534\n65534\n/nonexistent nobody nobody", nil},
		{"nobody, env/ HOME", "nobody", map[string]string{"env/HOME": "/srv/home\n"}, "65534\n65534\n65534\n/srv/home nobody nobody", nil},
		{"65534", "65534", nil, "65534\n65534\n65534\n/nonexistent nobody nobody", nil},
		// No passwd entry: HOME=/ (README "Services"); USER is the number.
		{"12345:12345 without entry", "12345:12345", nil, "", func(t *testing.T, got string) {
			l := strings.Split(got, "\n")
			if len(l) != 4 || l[0] != "12345" || l[1] != "12345" || l[2] != "12345" || !strings.HasPrefix(l[3], "/ ") {
				t.Errorf("run as 12345:12345 saw %q; want uid, gid, groups 12345 and HOME=/", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			tr.openToAll()
			files := map[string]string{
				"user": tt.user + "\n",
				"run": shScript(`{ id -u; id -g; id -G; echo "$HOME $USER $LOGNAME"; } > "$OUT/id.tmp"
mv "$OUT/id.tmp" "$OUT/id"`),
				"finish":  shScript(publish("finish", "$(id -u)")),
				"restart": "never\n",
			}
			for k, val := range tt.env {
				files[k] = val
			}
			tr.service("web", files)
			v := tr.start(nil)
			got := tr.waitFile("id")
			if tt.check != nil {
				tt.check(t, got)
			} else if got != tt.want {
				t.Errorf("run as %q saw %q; want %q", tt.user, got, tt.want)
			}
			uid := strings.Split(got, "\n")[0]
			if f := tr.waitFile("finish"); f != uid {
				t.Errorf("finish ran as uid %q; want %q, as run", f, uid)
			}
			t.Logf("user %q: %q", tt.user, got)
			v.termNoCmd()
		})
	}
}

// TestServiceFds: service processes (run, check, finish, a logger) and
// init and finish scripts get only 0, 1, 2 and, for run, the
// notification fd: none of vigil's own fds (other services' log pipes,
// /dev/null, the control socket) leak into them.
func TestServiceFds(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	report := func(who string, then ...string) string {
		return shScript(`exec ` + helperBin + ` record "$OUT/fds-` + who + `" fds ` + strings.Join(then, " "))
	}
	tr.service("web", map[string]string{
		"notification-fd": "5\n",
		"run": shScript(helperBin + ` record "$OUT/fds-run.tmp" fds
mv "$OUT/fds-run.tmp" "$OUT/fds-run"
echo >&5
exec sleep 1000`),
		"finish":           report("finish"),
		"log/run":          report("logger", "wait"),
		"log/timeout-kill": "100\n", // it does not read to EOF
	})
	tr.service("probed", map[string]string{
		"check": report("check"),
		"run":   shScript("exec sleep 1000"),
	})
	tr.script(tr.init, "10-init", report("init"))
	tr.script(tr.finish, "10-finish", report("cont-finish"))
	v := tr.start(nil, shCmd(waitForCmd("fds-run")+"; "+waitForCmd("fds-check"))...)
	if got := v.wait(); got != 0 {
		t.Errorf("exit code = %d; want 0", got)
	}
	for who, want := range map[string]string{
		"run": "fds=0,1,2,5", "check": "fds=0,1,2", "finish": "fds=0,1,2",
		"logger": "fds=0,1,2", "init": "fds=0,1,2", "cont-finish": "fds=0,1,2",
	} {
		got := tr.lines("fds-" + who)
		if len(got) == 0 || got[0] != want {
			t.Errorf("fds of %s: %q; want %q", who, got, want)
		}
	}
}
