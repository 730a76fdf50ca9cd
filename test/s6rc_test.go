package test

// Black-box tests of s6-rc, s6-svscanctl and halt as vigil answers to
// them (README "s6-overlay v3 images").

import (
	"regexp"
	"strings"
	"testing"
)

// TestS6Rc: -a list (the services that are up), -u change and -d change
// (waiting until done), -v 2, an unknown name, refused options.
func TestS6Rc(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{"run": sleeper("web")})
	tr.service("db", map[string]string{"run": sleeper("db"), "down": ""})
	tr.service("app", map[string]string{"run": sleeper("app"), "down": "", "dependencies": "db\n"})
	v := tr.startS6(nil)
	tr.waitReady("web")

	if r := tr.s6Want(0, "s6-rc", "-a", "list"); r.stdout != "web\n" {
		t.Errorf("%v\nwant web alone", r)
	}
	r := tr.s6Want(0, "s6-rc", "-v", "2", "-u", "change", "app")
	if !strings.Contains(r.stderr, "s6-rc: info: service app: starting") || !strings.Contains(r.stderr, "s6-rc: info: service app: successfully started") {
		t.Errorf("%v\nwant s6-rc's info lines for app", r)
	}
	for _, name := range []string{"app", "db"} { // change returned: app is up, with what it needs
		if st := tr.statusOf(name); st.State != "up" {
			t.Errorf("after s6-rc -u change app: %s is %+v; want up", name, st)
		}
	}
	if r := tr.s6Want(0, "s6-rc", "-a", "list"); r.stdout != "app\ndb\nweb\n" {
		t.Errorf("%v\nwant app, db and web", r)
	}
	tr.s6Want(0, "s6-rc", "-d", "change", "db")
	for _, name := range []string{"app", "db"} { // what needs db went down first
		if st := tr.statusOf(name); st.State != "down" || st.Pid != 0 {
			t.Errorf("after s6-rc -d change db: %s is %+v; want down", name, st)
		}
	}
	if r := tr.s6Want(0, "s6-rc", "-da", "list"); r.stdout != "app\ndb\n" {
		t.Errorf("%v\nwant app and db (down)", r)
	}
	if r := tr.s6("s6-rc", "-u", "change", "nosuch"); r.code != 3 {
		t.Errorf("%v\nwant 3 for an unknown name", r)
	}
	for _, args := range [][]string{{"-pu", "change", "web"}, {"listall", "web"}, {"frob"}} {
		if r := tr.s6("s6-rc", args...); r.code != 100 {
			t.Errorf("%v\nwant 100", r)
		}
	}
	v.termNoCmd()
}

// haltInit is an init script that leaves the exit code file as a test
// wants it: vigil makes it (holding 0) under VIGIL_S6_RUN_DIR, which the
// harness points at the test's own directory, not the host's /run.
func haltInit(t *testing.T, code string) string {
	if code == "" {
		return shScript(`rm -f "$VIGIL_S6_RUN_DIR/s6-linux-init-container-results/exitcode"`)
	}
	return shScript("printf '" + code + `' > "$VIGIL_S6_RUN_DIR/s6-linux-init-container-results/exitcode"`)
}

// TestS6Halt: /run/s6/basedir/bin/halt stops the container with the code
// of the exit code file, as s6-overlay images use it: from a finish
// script that writes the service's code (README example), by hand with
// no file, with junk in it (1, and a message naming the file).
func TestS6Halt(t *testing.T) {
	t.Parallel()
	// The finish script of s6-overlay's README, with /run as the harness
	// has it.
	finish := shScript(`if test "$1" -eq 256 ; then e=$((128 + $2)) ; else e="$1" ; fi
echo "$e" > "$VIGIL_S6_RUN_DIR/s6-linux-init-container-results/exitcode"
exec "$VIGIL_S6_RUN_DIR/s6/basedir/bin/halt"`)
	tests := []struct {
		name    string
		code    string // the file's content, "" for no file
		run     string
		want    int
		message string // in vigil's stderr (the helper's)
	}{
		{"FinishExit3", "0\n", "exit 3", 3, ""},
		{"FinishKilled", "0\n", "kill -9 $$", 137, ""},
		{"NoFile", "", `exec "$VIGIL_S6_RUN_DIR/s6/basedir/bin/halt"`, 0, ""},
		{"FileSays7", "7\n", `exec "$VIGIL_S6_RUN_DIR/s6/basedir/bin/halt"`, 7, ""},
		{"Junk", "exit 3", `exec "$VIGIL_S6_RUN_DIR/s6/basedir/bin/halt"`, 1,
			`s6-linux-init-container-results/exitcode holds "exit 3": want a whole number; halting with 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := newSvcTree(t)
			tr.script(tr.init, "00-run", haltInit(t, tt.code))
			files := map[string]string{"run": shScript(tt.run)}
			if strings.HasPrefix(tt.name, "Finish") {
				files["finish"] = finish
			}
			tr.service("app", files)
			v := tr.startS6(nil)
			if got := v.wait(); got != tt.want {
				t.Errorf("vigil exit code = %d; want %d", got, tt.want)
			}
			if tt.message != "" && len(matching(v.stderr(), regexp.QuoteMeta(tt.message))) == 0 {
				t.Errorf("vigil's stderr: %q; want a line saying %q", v.stderr(), tt.message)
			}
		})
	}
}

// TestS6Svscanctl: -a rescans (a new service starts), -t halts with the
// exit code file's code; refused options.
func TestS6Svscanctl(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.script(tr.init, "00-run", haltInit(t, "5\n"))
	tr.service("web", map[string]string{"run": sleeper("web")})
	v := tr.startS6(nil)
	tr.waitBooted()
	tr.service("late", map[string]string{"run": sleeper("late")})
	tr.s6Want(0, "s6-svscanctl", "-a", "/run/service")
	tr.waitReady("late")
	if r := tr.s6("s6-svscanctl", "-z", "/run/service"); r.code != 100 || !strings.Contains(r.stderr, "-z") {
		t.Errorf("%v\nwant 100 naming -z", r)
	}
	// From a service, as the v2-era finish scripts do it.
	tr.service("stopper", map[string]string{"run": shScript("exec s6-svscanctl -t /var/run/s6/services")})
	tr.s6Want(0, "s6-svscanctl", "-h", "/run/service")
	if got := v.wait(); got != 5 {
		t.Errorf("vigil exit code after s6-svscanctl -t = %d; want 5, the exit code file's", got)
	}
}
