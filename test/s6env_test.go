package test

// Black-box tests of s6-overlay's environment and user helpers as vigil
// answers to them: with-contenv, printcontenv, s6-setuidgid,
// s6-envuidgid, s6-applyuidgid, s6-notifyoncheck.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestS6Contenv: with-contenv replaces the environment with the
// container's (the snapshot as init scripts left it) unless S6_KEEP_ENV
// is a number other than 0; as a shebang interpreter, in a run script and
// from outside; printcontenv reads the same.
func TestS6Contenv(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.script(tr.init, "10-env", shScript(`echo from-init > "$VIGIL_RUN_DIR/env/FROM_INIT"
echo changed > "$VIGIL_RUN_DIR/env/CHANGED"
: > "$VIGIL_RUN_DIR/env/REMOVED"`))
	withContenv := filepath.Join(s6Bin(t), "with-contenv")
	tr.service("envy", map[string]string{"run": "#!" + withContenv + " sh\n" +
		publish("envy", "${FROM_INIT-unset} ${CALLER-unset}") + "\nexec sleep 1000\n"})
	v := tr.startS6([]string{"CHANGED=original", "REMOVED=present", "KEPT=kept", "CALLER=vigil's"})
	tr.waitBooted()
	if got := tr.waitFile("envy"); got != "from-init vigil's" {
		t.Errorf("a run script with #!with-contenv sh saw %q; want %q", got, "from-init vigil's")
	}

	show := `echo "${FROM_INIT-unset} ${CHANGED-unset} ${REMOVED-unset} ${KEPT-unset} ${CALLER-unset}"`
	script := filepath.Join(tr.root, "script")
	writeTreeFile(t, script, "#!"+withContenv+" sh\n"+`echo "$FROM_INIT $#: $*"`+"\n")
	tests := []struct {
		name string
		env  []string
		args []string
		want string
		code int
	}{
		{"Replaced", nil, []string{"sh", "-c", show}, "from-init changed unset kept vigil's\n", 0},
		{"KeepEnv0", []string{"S6_KEEP_ENV=0"}, []string{"sh", "-c", show}, "from-init changed unset kept vigil's\n", 0},
		{"KeepEnv1", []string{"S6_KEEP_ENV=1"}, []string{"sh", "-c", show}, "unset client unset unset client\n", 0},
		// The service a run script is of stays known (s6-svc ., s6-svstat .).
		{"KeepsVigilService", []string{"VIGIL_SERVICE=web"}, []string{"sh", "-c", `echo "${VIGIL_SERVICE-unset}"`}, "web\n", 0},
		{"Status", nil, []string{"sh", "-c", "exit 5"}, "", 5},
		{"NotFound", nil, []string{"/no/such/program"}, "", 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tr.s6Env(append([]string{"CHANGED=client", "CALLER=client"}, tt.env...)...)
			r := runS6(t, env, "with-contenv", tt.args...)
			if r.code != tt.code || r.stdout != tt.want {
				t.Errorf("%v\nwant exit %d and %q", r, tt.code, tt.want)
			}
		})
	}
	t.Run("Shebang", func(t *testing.T) {
		r, err := runProgram(nil, tr.s6Env("FROM_INIT=caller"), nil, script, "a", "b")
		if want := "from-init 2: a b\n"; err != nil || r.code != 0 || r.stdout != want {
			t.Errorf("%v (%v)\nwant exit 0 and %q", r, err, want)
		}
	})

	t.Run("Printcontenv", func(t *testing.T) {
		tests := []struct {
			env  []string
			args []string
			want string
			code int
		}{
			{nil, []string{"FROM_INIT"}, "from-init\n", 0},
			{nil, []string{"KEPT"}, "kept\n", 0},
			{nil, []string{"REMOVED"}, "", 0}, // an empty file: unset
			{nil, []string{"NO_SUCH_VARIABLE"}, "", 1},
			{[]string{"S6_KEEP_ENV=1"}, []string{"CALLER"}, "client\n", 0},
			{nil, nil, "", 100},
		}
		for _, tt := range tests {
			r := runS6(t, tr.s6Env(append([]string{"CALLER=client"}, tt.env...)...), "printcontenv", tt.args...)
			if r.code != tt.code || r.stdout != tt.want {
				t.Errorf("%v\nwant exit %d and %q", r, tt.code, tt.want)
			}
		}
	})
	v.termNoCmd()
}

// nobody is /etc/passwd's nobody: gid and home; the test skips without it.
func nobody(t *testing.T) (gid, home string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("switching to another user needs root")
	}
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Skipf("no /etc/passwd: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Split(l, ":"); len(f) >= 7 && f[0] == "nobody" && f[2] == "65534" {
			return f[3], f[5]
		}
	}
	t.Skip("no user nobody (65534) in /etc/passwd")
	return "", ""
}

// memberGroups is what /etc/group lists name a member of, comma-separated.
func memberGroups(t *testing.T, name string) string {
	b, err := os.ReadFile("/etc/group")
	if err != nil {
		t.Fatal(err)
	}
	var gids []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 4 {
			continue
		}
		for _, m := range strings.Split(f[3], ",") {
			if strings.TrimSpace(m) == name {
				gids = append(gids, f[2])
			}
		}
	}
	return strings.Join(gids, ",")
}

// TestS6Setuidgid: s6-setuidgid (as root, to nobody: uid, gid, groups,
// and HOME, USER, LOGNAME, which s6 leaves as they were), s6-envuidgid,
// s6-applyuidgid.
func TestS6Setuidgid(t *testing.T) {
	t.Parallel()
	gid, home := nobody(t)
	env := clientEnv("HOME=/root", "USER=root", "LOGNAME=root")
	ids := `id -u; id -g; echo $HOME $USER $LOGNAME`
	for _, account := range []string{"nobody", "65534", "nobody:" + gid} {
		r := runS6(t, env, "s6-setuidgid", account, "sh", "-c", ids)
		if want := fmt.Sprintf("65534\n%s\n%s nobody nobody\n", gid, home); r.code != 0 || r.stdout != want {
			t.Errorf("%v\nwant exit 0 and %q", r, want)
		}
	}
	if r := runS6(t, env, "s6-setuidgid", "", "sh", "-c", "id -u; echo $HOME"); r.code != 0 || r.stdout != "0\n/root\n" {
		t.Errorf("%v\nwant the program run as it is: 0 and /root", r)
	}
	if r := runS6(t, env, "s6-setuidgid", "no-such-user", "true"); r.code != 1 || !strings.Contains(r.stderr, "no-such-user") {
		t.Errorf("%v\nwant exit 1 naming the user", r)
	}
	if r := runS6(t, env, "s6-setuidgid", "nobody"); r.code != 100 {
		t.Errorf("%v\nwant 100 (usage)", r)
	}

	t.Run("Envuidgid", func(t *testing.T) {
		show := `echo "${UID-unset} ${GID-unset} [${GIDLIST-unset}]"`
		tests := []struct {
			args []string
			want string
			code int
		}{
			{[]string{"nobody"}, fmt.Sprintf("65534 %s [%s]\n", gid, memberGroups(t, "nobody")), 0},
			{[]string{"-u", "nobody"}, "65534 unset [unset]\n", 0},
			{[]string{"-g", "root"}, "unset 0 [unset]\n", 0},
			{[]string{"-nB", "root:42"}, "0 42 [unset]\n", 0},
			{[]string{"-D", "32760:32761:", "--", "no-such-user"}, "32760 32761 []\n", 0},
			{[]string{"no-such-user"}, "", 1},
			{[]string{"-B", "root:no-such-group"}, "", 1},
		}
		for _, tt := range tests {
			r := runS6(t, clientEnv(), "s6-envuidgid", append(tt.args, "sh", "-c", show)...)
			if r.code != tt.code || r.stdout != tt.want {
				t.Errorf("%v\nwant exit %d and %q", r, tt.code, tt.want)
			}
		}
	})

	t.Run("Applyuidgid", func(t *testing.T) {
		show := `id -u; id -g; id -G; echo "${UID-unset}"`
		r := runS6(t, clientEnv(), "s6-applyuidgid", "-u", "65534", "-g", "65533", "-G", "", "sh", "-c", show)
		if want := "65534\n65533\n65533\nunset\n"; r.code != 0 || r.stdout != want {
			t.Errorf("%v\nwant exit 0 and %q", r, want)
		}
		r = runS6(t, clientEnv("UID=65534", "GID=65534", "GIDLIST=4242"), "s6-applyuidgid", "-Uz", "sh", "-c", show)
		if want := "65534\n65534\n65534 4242\nunset\n"; r.code != 0 || r.stdout != want {
			t.Errorf("%v\nwant exit 0 and %q", r, want)
		}
	})
}

// TestS6Notifyoncheck: the service is ready once the check passes (-c's
// command line, or data/check), not before; prog keeps the service's pid;
// with -d the checker is not prog's child, without it it is; -3 names the
// descriptor; a checker that gives up leaves the service up, not ready.
func TestS6Notifyoncheck(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("c", map[string]string{
		"notification-fd": "3\n",
		"run": shScript(publish("c.pid", "$$") + `
exec s6-notifyoncheck -n 0 -w 20 -c "test -e $OUT/c.go" sleep 1000`),
	})
	tr.service("d", map[string]string{
		"notification-fd": "4\n",
		"data/check":      shScript(`test -e "$OUT/d.go"`),
		"run": shScript(publish("d.pid", "$$") + `
exec s6-notifyoncheck -d -n 0 -w 20 sleep 1000`),
	})
	tr.service("e", map[string]string{
		"notification-fd": "5\n",
		"run":             shScript(`exec s6-notifyoncheck -3 5 -s 0 -c true sleep 1000`),
	})
	tr.service("never", map[string]string{
		"notification-fd": "3\n",
		"run":             shScript(`exec s6-notifyoncheck -n 2 -w 10 -c false sleep 1000`),
	})
	v := tr.startS6(nil)
	tr.waitControl()
	tr.s6Want(0, "s6-svwait", "-U", "-t", "20000", serviceDir("e"))
	for _, name := range []string{"c", "d"} {
		pid := tr.waitFile(name + ".pid")
		tr.waitStatus(name, "started", func(st svcStatus) bool { return st.Pid != 0 })
		if got := tr.svstat("-ur", serviceDir(name)); got != "true false" {
			t.Errorf("s6-svstat -ur %s before its check passes = %q; want %q", name, got, "true false")
		}
		tr.script(tr.out, name+".go", "")
		tr.s6Want(0, "s6-svwait", "-U", "-t", "20000", serviceDir(name))
		st := tr.statusOf(name)
		if strconv.Itoa(st.Pid) != pid {
			t.Errorf("service %s: pid %d; want the run script's %s, which prog keeps", name, st.Pid, pid)
		}
		host := v.nsHostPid(st.Pid)
		if comm := procComm(host); comm != "sleep" {
			t.Errorf("service %s: pid %d runs %q; want sleep", name, st.Pid, comm)
		}
		kids := children(host)
		if name == "d" && len(kids) != 0 {
			t.Errorf("with -d: prog has children %v; want none, the checker was not its child", kids)
		}
		if name == "c" && len(kids) != 1 {
			t.Errorf("without -d: prog has children %v; want one, the checker", kids)
		}
	}
	r := tr.s6("s6-svwait", "-U", "-t", "500", serviceDir("never"))
	if st := tr.statusOf("never"); r.code != 99 || st.State != "starting" || st.Pid == 0 {
		t.Errorf("%v\nstatus %+v\nwant 99 and never up, not ready", r, st)
	}
	v.termNoCmd()
}
