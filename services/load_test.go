package services

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

// file is one entry of a service tree written by writeTree.
type file struct {
	content string
	mode    fs.FileMode // 0: 0755 for run, finish and check, else 0644
	dir     bool        // an (empty) directory
	link    string      // a symlink to this target
}

// tree maps paths relative to the services directory to entries.
type tree map[string]file

// exe is an executable script.
var exe = file{content: "#!/bin/sh\nexit 0\n", mode: 0o755}

// txt is a plain file holding s.
func txt(s string) file { return file{content: s} }

// writeTree writes tr under root, parents first.
func writeTree(t *testing.T, root string, tr tree) {
	t.Helper()
	paths := make([]string, 0, len(tr))
	for p := range tr {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		f, path := tr[p], filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case f.dir:
			err = os.MkdirAll(path, 0o755)
		case f.link != "":
			err = os.Symlink(f.link, path)
		default:
			err = writeFile(path, f)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// writeFile writes a regular file with its mode (not masked by the umask).
func writeFile(path string, f file) error {
	mode := f.mode
	if mode == 0 {
		mode = 0o644
		if base := filepath.Base(path); base == "run" || base == "finish" || base == "check" {
			mode = 0o755
		}
	}
	if err := os.WriteFile(path, []byte(f.content), mode); err != nil {
		return err
	}
	return os.Chmod(path, mode)
}

// fakeAccounts points Load at a passwd and group file of the test's.
func fakeAccounts(t *testing.T, passwd, group string) {
	t.Helper()
	dir := t.TempDir()
	oldP, oldG := passwdFile, groupFile
	passwdFile, groupFile = filepath.Join(dir, "passwd"), filepath.Join(dir, "group")
	t.Cleanup(func() { passwdFile, groupFile = oldP, oldG })
	if err := os.WriteFile(passwdFile, []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(groupFile, []byte(group), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeIDs makes vigil believe it runs as uid:gid.
func fakeIDs(t *testing.T, uid, gid int) {
	t.Helper()
	oldU, oldG := geteuid, getegid
	geteuid, getegid = func() int { return uid }, func() int { return gid }
	t.Cleanup(func() { geteuid, getegid = oldU, oldG })
}

const testPasswd = "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n"
const testGroup = "root:x:0:\nwww:x:33:\nstaff:x:50:www\n"

// base is the Definition Load gives for a directory with only run.
func base(dir, name string) *Definition {
	return &Definition{
		Name: name, Dir: dir, Run: filepath.Join(dir, "run"),
		DownSignal: unix.SIGTERM, Restart: RestartAlways,
		TimeoutKill: Limit(testDefaults.TimeoutKill), TimeoutFinish: Limit(testDefaults.TimeoutFinish),
	}
}

// testDefaults are the defaults Load gets in these tests.
var testDefaults = Defaults{TimeoutKill: 5 * time.Second, TimeoutFinish: 4 * time.Second}

func TestLoadFiles(t *testing.T) {
	tests := []struct {
		name  string
		files tree // within the service dir "svc"; run is added
		want  func(d *Definition)
	}{
		{"run only", nil, func(d *Definition) {}},
		{"finish", tree{"finish": exe}, func(d *Definition) { d.Finish = filepath.Join(d.Dir, "finish") }},
		{"check", tree{"check": exe}, func(d *Definition) { d.Check = filepath.Join(d.Dir, "check") }},
		{"down", tree{"down": txt("")}, func(d *Definition) { d.Down = true }},
		{"essential", tree{"essential": txt("")}, func(d *Definition) { d.Essential = true }},
		{"keep-orphans", tree{"keep-orphans": txt("")}, func(d *Definition) { d.KeepOrphans = true }},
		{"notification-fd", tree{"notification-fd": txt(" 5 \n")}, func(d *Definition) { d.NotificationFD = 5 }},
		{"notification-fd 3", tree{"notification-fd": txt("3")}, func(d *Definition) { d.NotificationFD = 3 }},
		{"timeout-kill", tree{"timeout-kill": txt("2500\n")}, func(d *Definition) { d.TimeoutKill = Limit(2500 * time.Millisecond) }},
		{"timeout-kill 0", tree{"timeout-kill": txt("0\n")}, func(d *Definition) { d.TimeoutKill = NoLimit }},
		{"timeout-finish", tree{"timeout-finish": txt("100")}, func(d *Definition) { d.TimeoutFinish = Limit(100 * time.Millisecond) }},
		{"timeout-finish 0", tree{"timeout-finish": txt("0")}, func(d *Definition) { d.TimeoutFinish = NoLimit }},
		{"down-signal name", tree{"down-signal": txt("QUIT\n")}, func(d *Definition) { d.DownSignal = unix.SIGQUIT }},
		{"down-signal SIG", tree{"down-signal": txt(" SIGHUP ")}, func(d *Definition) { d.DownSignal = unix.SIGHUP }},
		{"down-signal number", tree{"down-signal": txt("10")}, func(d *Definition) { d.DownSignal = unix.SIGUSR1 }},
		{"dependencies", tree{
			"dependencies":     txt("# what we need\nb\n\n  c  # the cache\nb\n"),
			"dependencies.d/a": txt(""), "dependencies.d/c": txt(""), "dependencies.d/.keep": txt(""),
		}, func(d *Definition) { d.Dependencies = []string{"a", "b", "c"} }},
		{"env", tree{"env/A": txt("1\n"), "env/B": txt("")}, func(d *Definition) {
			d.Env = []process.EnvEntry{{Name: "A", Value: "1"}, {Name: "B", Unset: true}}
		}},
		{"user", tree{"user": txt("www\n")}, func(d *Definition) { d.User = "www" }},
		{"restart always", tree{"restart": txt("always\n")}, func(d *Definition) {}},
		{"restart on-failure", tree{"restart": txt(" on-failure\n")}, func(d *Definition) { d.Restart = RestartOnFailure }},
		{"restart never", tree{"restart": txt("never")}, func(d *Definition) { d.Restart = RestartNever }},
		{"ignored", tree{"data": {dir: true}, "supervise": {dir: true}, "event": {dir: true}, "README": txt("x")}, func(d *Definition) {}},
		{"log", tree{
			"log/run": exe, "log/finish": exe, "log/user": txt("33"), "log/env/X": txt("y"),
			"log/down-signal": txt("HUP"), "log/notification-fd": txt("4"),
			"log/timeout-kill": txt("10"), "log/timeout-finish": txt("0"),
		}, func(d *Definition) {
			l := base(filepath.Join(d.Dir, "log"), "svc/log")
			l.Finish = filepath.Join(l.Dir, "finish")
			l.User = "33"
			l.Env = []process.EnvEntry{{Name: "X", Value: "y"}}
			l.DownSignal, l.NotificationFD = unix.SIGHUP, 4
			l.TimeoutKill, l.TimeoutFinish = Limit(10*time.Millisecond), NoLimit
			d.Log = l
		}},
	}
	fakeAccounts(t, testPasswd, testGroup)
	fakeIDs(t, 0, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			files := tree{"svc/run": exe, "a/run": exe, "b/run": exe, "c/run": exe}
			for p, f := range tt.files {
				files["svc/"+p] = f
			}
			writeTree(t, root, files)
			want := base(filepath.Join(resolved(t, root), "svc"), "svc")
			tt.want(want)
			defs, err := Load(root, testDefaults)
			if err != nil {
				t.Fatalf("Load(%s) error: %v", tt.name, err)
			}
			i := slices.IndexFunc(defs, func(d *Definition) bool { return d.Name == "svc" })
			if i < 0 || !reflect.DeepEqual(defs[i], want) {
				t.Errorf("Load(%s) = %s; want %s", tt.name, dump(defs, i), dump([]*Definition{want}, 0))
			}
		})
	}
}

// dump formats defs[i], its logger and user for a failure message.
func dump(defs []*Definition, i int) string {
	if i < 0 {
		return "no svc"
	}
	d := defs[i]
	s := fmt.Sprintf("%+v", *d)
	if d.Log != nil {
		s += " log " + dump([]*Definition{d.Log}, 0)
	}
	return s
}

func TestLoadDirectory(t *testing.T) {
	root := t.TempDir()
	target := t.TempDir()
	writeTree(t, target, tree{"run": exe})
	writeTree(t, root, tree{
		"web/run": exe, "db/run": exe, ".hidden/run": txt(""), "README": txt("not a service"),
		"linked": {link: target}, "file-link": {link: "README"},
		"web@1/run": exe, "a_b.c-d/run": exe,
	})
	defs, err := Load(root, testDefaults)
	if err != nil {
		t.Fatalf("Load(dir, testDefaults) error: %v", err)
	}
	var got []string
	for _, d := range defs {
		got = append(got, d.Name)
	}
	want := []string{"a_b.c-d", "db", "linked", "web", "web@1"}
	if !slices.Equal(got, want) {
		t.Errorf("Load(dir, testDefaults) names = %q; want %q", got, want)
	}
	if i := slices.Index(got, "linked"); i >= 0 && defs[i].Dir != resolved(t, target) {
		t.Errorf("Load(dir, testDefaults) linked Dir = %s; want %s", defs[i].Dir, resolved(t, target))
	}
	for _, dir := range []string{filepath.Join(root, "missing"), t.TempDir()} {
		if defs, err := Load(dir, testDefaults); defs != nil || err != nil {
			t.Errorf("Load(%s) = %v, %v; want nil, nil", dir, defs, err)
		}
	}
}

// resolved is path with its symlinks resolved.
func resolved(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files tree
		want  string
	}{
		{"missing run", tree{"web/finish": exe}, "service web: run: missing; want an executable file"},
		{"run not executable", tree{"web/run": {content: "x", mode: 0o644}},
			"service web: run: not executable (mode -rw-r--r--); want chmod +x"},
		{"run is a directory", tree{"web/run": {dir: true}}, "service web: run: is a directory; want an executable file"},
		{"run broken symlink", tree{"web/run": {link: "nowhere"}}, "service web: run: missing; want an executable file"},
		{"finish not executable", tree{"web/run": exe, "web/finish": {content: "x", mode: 0o600}},
			"service web: finish: not executable (mode -rw-------); want chmod +x"},
		{"finish broken symlink", tree{"web/run": exe, "web/finish": {link: "nowhere"}},
			"service web: finish: broken symlink; want an executable file"},
		{"check is a directory", tree{"web/run": exe, "web/check": {dir: true}},
			"service web: check: is a directory; want an executable file"},
		{"notification-fd 2", tree{"web/run": exe, "web/notification-fd": txt("2\n")},
			`service web: notification-fd: invalid value "2"; want a file descriptor number from 3 to 65535`},
		{"notification-fd x", tree{"web/run": exe, "web/notification-fd": txt("x")},
			`service web: notification-fd: invalid value "x"; want a file descriptor number from 3 to 65535`},
		{"notification-fd -1", tree{"web/run": exe, "web/notification-fd": txt("-1")},
			`service web: notification-fd: invalid value "-1"; want a file descriptor number from 3 to 65535`},
		{"notification-fd +3", tree{"web/run": exe, "web/notification-fd": txt("+3")},
			`service web: notification-fd: invalid value "+3"; want a file descriptor number from 3 to 65535`},
		{"notification-fd empty", tree{"web/run": exe, "web/notification-fd": txt("\n")},
			`service web: notification-fd: empty; want a file descriptor number from 3 to 65535`},
		{"notification-fd is a directory", tree{"web/run": exe, "web/notification-fd": {dir: true}},
			`service web: notification-fd: cannot read: is a directory`},
		{"timeout-kill seconds", tree{"web/run": exe, "web/timeout-kill": txt("1.5")},
			`service web: timeout-kill: invalid value "1.5"; want a whole number of milliseconds (0 for no limit)`},
		{"timeout-kill negative", tree{"web/run": exe, "web/timeout-kill": txt("-1")},
			`service web: timeout-kill: invalid value "-1"; want a whole number of milliseconds (0 for no limit)`},
		{"timeout-kill overflow", tree{"web/run": exe, "web/timeout-kill": txt("9223372036854776")},
			`service web: timeout-kill: invalid value "9223372036854776"; want a whole number of milliseconds (0 for no limit)`},
		{"timeout-finish go syntax", tree{"web/run": exe, "web/timeout-finish": txt("10s")},
			`service web: timeout-finish: invalid value "10s"; want a whole number of milliseconds (0 for no limit)`},
		{"down-signal unknown", tree{"web/run": exe, "web/down-signal": txt("FOO\n")},
			`service web: down-signal: invalid value "FOO"; ` + process.SignalForm},
		{"down-signal 0", tree{"web/run": exe, "web/down-signal": txt("0")},
			`service web: down-signal: invalid value "0"; ` + process.SignalForm},
		{"restart unknown", tree{"web/run": exe, "web/restart": txt("sometimes\n")},
			`service web: restart: invalid value "sometimes"; want always, on-failure or never`},
		{"unknown dependency", tree{"web/run": exe, "web/dependencies": txt("db\n")},
			`service web: dependencies: unknown service "db"`},
		{"unknown dependency.d", tree{"web/run": exe, "web/dependencies.d/db": txt("")},
			`service web: dependencies.d: unknown service "db"`},
		{"invalid dependency", tree{"web/run": exe, "web/dependencies": txt("\ndb cache\n")},
			`service web: dependencies: line 2: invalid service name "db cache"; want letters, digits and _ . @ -`},
		{"self dependency", tree{"web/run": exe, "web/dependencies": txt("web\n")},
			`service web: dependencies: a service cannot depend on itself`},
		{"cycle of 3", tree{"a/run": exe, "b/run": exe, "c/run": exe, "d/run": exe,
			"a/dependencies": txt("b"), "b/dependencies": txt("c"), "c/dependencies.d/a": txt(""), "d/dependencies": txt("a")},
			`service a: dependencies: dependency cycle a -> b -> c -> a`},
		{"cycle of 2 found from outside", tree{"a/run": exe, "b/run": exe, "c/run": exe,
			"a/dependencies": txt("b"), "b/dependencies": txt("c"), "c/dependencies": txt("b")},
			`service b: dependencies: dependency cycle b -> c -> b`},
		{"name with space", tree{"bad name/run": exe}, `service bad name: invalid name; want letters, digits and _ . @ -`},
		{"name with colon", tree{"a:b/run": exe}, `service a:b: invalid name; want letters, digits and _ . @ -`},
		{"user of bad form", tree{"web/run": exe, "web/user": txt("www:")},
			`service web: user: invalid user "www:"; want user, user:group, uid or uid:gid`},
		{"uid out of range", tree{"web/run": exe, "web/user": txt("4294967295")},
			`service web: user: uid 4294967295 out of range; want 0..4294967294`},
		{"unknown user, run not executable", tree{"web/run": {content: "x", mode: 0o644}, "web/user": txt("ghost")},
			`service web: run: not executable (mode -rw-r--r--); want chmod +x`},
		{"empty user", tree{"web/run": exe, "web/user": txt(" \n")},
			`service web: user: empty; want user, user:group, uid or uid:gid`},
		{"run not executable by user", tree{"web/run": {content: "x", mode: 0o700}, "web/user": txt("www")},
			"service web: run: not executable by uid 33 (mode -rwx------, owner OWNER)"},
		{"log without run", tree{"web/run": exe, "web/log/finish": exe}, "service web: log/run: missing; want an executable file"},
		{"log is a file", tree{"web/run": exe, "web/log": txt("")},
			"service web: log: not a directory; want a directory with its own run"},
		{"log bad down-signal", tree{"web/run": exe, "web/log/run": exe, "web/log/down-signal": txt("NOPE")},
			`service web: log/down-signal: invalid value "NOPE"; ` + process.SignalForm},
		{"env name with =", tree{"web/run": exe, "web/env/A=B": txt("x")},
			`service web: env/A=B: a variable name cannot contain '='`},
		{"broken service symlink", tree{"web": {link: "nowhere"}}, "service web: broken symlink: no such file or directory"},
		{"first in name order", tree{"b/finish": exe, "a/run": {dir: true}, "c/run": {content: "x"}},
			"service a: run: is a directory; want an executable file"},
	}
	fakeAccounts(t, testPasswd, testGroup)
	fakeIDs(t, 0, 0)
	owner := fmt.Sprintf("%d:%d", os.Geteuid(), os.Getegid())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			want := strings.NewReplacer("PASSWD", passwdFile, "GROUP", groupFile, "OWNER", owner).Replace(tt.want)
			defs, err := Load(root, testDefaults)
			var derr *DefinitionError
			if !errors.As(err, &derr) {
				t.Fatalf("Load(%s) = %v, %v; want *DefinitionError", tt.name, defs, err)
			}
			if got := err.Error(); got != want {
				t.Errorf("Load(%s) = %s; want %s", tt.name, got, want)
			}
		})
	}
}

// TestLoadUserLater: a user that does not exist yet, or that vigil cannot
// become, is no definition error: the service fails alone when it would
// start (README "Services", user).
func TestLoadUserLater(t *testing.T) {
	fakeAccounts(t, testPasswd, testGroup)
	tests := []struct {
		uid, gid int
		user     string
	}{
		{1000, 1000, "1000"},
		{33, 33, "www"},
		{0, 0, "ghost"},
		{1000, 1000, "www"},
		{1000, 0, "1000"},
		{1000, 1000, "ghost:ghosts"},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			fakeIDs(t, tt.uid, tt.gid)
			root := t.TempDir()
			writeTree(t, root, tree{"web/run": exe, "web/user": txt(tt.user)})
			defs, err := Load(root, testDefaults)
			if err != nil || len(defs) != 1 || defs[0].User != tt.user {
				t.Errorf("Load(user %s as %d:%d) = %v, %v; want the service with its user spec", tt.user, tt.uid, tt.gid, defs, err)
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	root := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(root, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(root, testDefaults)
	want := "services directory " + root + ": not a directory"
	if err == nil || err.Error() != want || !errors.Is(err, unix.ENOTDIR) {
		t.Errorf("Load(file) = %v; want %s", err, want)
	}
}

func FuzzDependencies(f *testing.F) {
	for _, s := range []string{"a\nb\n", "# c\n\n  x # y\n", "a b\n", "#\n#\n", "\r\nw\r\n", "a@b.c-d_e\n", "\x00", "é"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		names, err := parseDependencies(data)
		if err != nil {
			return
		}
		for _, n := range names {
			if !ValidName(n) || strings.ContainsAny(n, "#\n \t") {
				t.Errorf("parseDependencies(%q) = %q; want only valid names", data, names)
			}
		}
	})
}

func TestLoadExecutableByVigil(t *testing.T) {
	uid := os.Geteuid() + 1 // not the files' owner
	fakeIDs(t, uid, uid)
	tests := []struct {
		mode fs.FileMode
		want string // "" for no error
	}{
		{0o755, ""},
		{0o701, ""},
		{0o750, fmt.Sprintf("service web: run: not executable by uid %d (mode -rwxr-x---, owner %d:%d)", uid, os.Geteuid(), os.Getegid())},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tree{"web/run": {content: "x", mode: tt.mode}})
			_, err := Load(root, testDefaults)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Load(run %v as uid %d) = %q; want %q", tt.mode, uid, got, tt.want)
			}
		})
	}
}
