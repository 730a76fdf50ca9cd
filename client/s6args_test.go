package client

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/execline"
)

func TestGetopt(t *testing.T) {
	const spec = "abT:w:"
	tests := []struct {
		args     string
		want     string // opts as letter[=arg] joined by spaces, then "|" and the rest
		wantErrs string
	}{
		{"-a DIR", "a | DIR", ""},
		{"-ab -T 50 x y", "a b T=50 | x y", ""},
		{"-T50 -wU d", "T=50 w=U | d", ""},
		{"-awU d", "a w=U | d", ""},
		{"-- -a", " | -a", ""},
		{"- -a", " | - -a", ""},
		{"x -a", " | x -a", ""},
		{"", " | ", ""},
		{"-z d", "", "unknown option -z"},
		{"-T", "", "option -T needs an argument"},
		{"-:", "", "unknown option -:"},
	}
	for _, tt := range tests {
		opts, rest, err := execline.Getopt(strings.Fields(tt.args), spec)
		if tt.wantErrs != "" {
			if err == nil || err.Error() != tt.wantErrs {
				t.Errorf("execline.Getopt(%q) error = %v; want %q", tt.args, err, tt.wantErrs)
			}
			continue
		}
		var got []string
		for _, o := range opts {
			s := string(o.Letter)
			if o.Arg != "" {
				s += "=" + o.Arg
			}
			got = append(got, s)
		}
		if s := strings.Join(got, " ") + " | " + strings.Join(rest, " "); err != nil || s != tt.want {
			t.Errorf("execline.Getopt(%q) = %q, %v; want %q", tt.args, s, err, tt.want)
		}
	}
}

func TestServiceName(t *testing.T) {
	tests := []struct {
		dir, cwd, service string
		want              string // "" for an error
	}{
		{"/run/service/web", "/", "", "web"},
		{"/run/service/web/", "/", "", "web"},
		{"/var/run/s6/services/web", "/", "", "web"},
		{"/run/s6/services/web", "/", "", "web"},
		{"/run/s6/legacy-services/web", "/", "", "web"},
		{"/var/run/s6/legacy-services/web", "/", "", "web"},
		{"/run/s6-rc/servicedirs/web", "/", "", "web"},
		{"/etc/services.d/web", "/", "", "web"},
		{"/etc/s6-overlay/s6-rc.d/web", "/", "", "web"},
		{"/run/service/web/log", "/", "", "web/log"},
		{"web", "/", "", "web"},
		{"web/log", "/", "", "web/log"},
		{".", "/etc/services.d/web", "", "web"},
		{".", "/srv/real-dir", "web", "web"}, // a symlinked service dir: VIGIL_SERVICE says
		{"./log", "/srv/real-dir", "web", "web/log"},
		{"..", "/srv/real-dir/log", "web/log", "web"},
		{".", "/etc/services.d/web/log", "", "web/log"},
		{"/", "/", "", ""},
		{"", "/", "", ""},
		{"/.hidden", "/", "", ""},
	}
	for _, tt := range tests {
		got, err := serviceName(tt.dir, tt.cwd, tt.service)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("serviceName(%q, cwd %q, VIGIL_SERVICE %q) = %q, %v; want %q", tt.dir, tt.cwd, tt.service, got, err, tt.want)
		}
	}
}

func TestParseSvc(t *testing.T) {
	tests := []struct {
		args string
		want svcArgs
		err  string
	}{
		{"-u /run/service/web", svcArgs{cmds: []byte("u"), dirs: []string{"/run/service/web"}}, ""},
		{"-wD -d a b", svcArgs{cmds: []byte("d"), wait: 'D', dirs: []string{"a", "b"}}, ""},
		{"-wU -T 5000 -u a", svcArgs{cmds: []byte("u"), wait: 'U', timeout: 5 * time.Second, dirs: []string{"a"}}, ""},
		{"-ruwr a", svcArgs{cmds: []byte("ru"), wait: 'r', dirs: []string{"a"}}, ""},
		{"-abqhkti12pcy a", svcArgs{cmds: []byte("abqhkti12pcy"), dirs: []string{"a"}}, ""},
		{"-dx -O -Q -D -U a", svcArgs{cmds: []byte("dxOQDU"), dirs: []string{"a"}}, ""},
		{"-o a", svcArgs{}, "option -o (once) is not supported"},
		{"-wR -t a", svcArgs{}, "option -wR without -r is not supported"},
		{"-wx a", svcArgs{}, "option -wx: want"},
		{"-T soon -u a", svcArgs{}, `option -T "soon"`},
		{"-z a", svcArgs{}, "unknown option -z"},
		{"-u", svcArgs{}, "no service directory given"},
	}
	for _, tt := range tests {
		got, err := parseSvc(strings.Fields(tt.args))
		checkParse(t, "parseSvc", tt.args, got, tt.want, err, tt.err)
	}
}

// checkParse checks a parser's result: want and no error, or an error
// containing wantErr.
func checkParse(t *testing.T, fn, args string, got, want any, err error, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("%s(%q) error = %v; want one saying %q", fn, args, err, wantErr)
		}
		return
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("%s(%q) = %+v, %v; want %+v", fn, args, got, err, want)
	}
}

func TestParseSvstat(t *testing.T) {
	tests := []struct {
		args string
		want svstatArgs
		err  string
	}{
		{"/run/service/web", svstatArgs{dir: "/run/service/web"}, ""},
		{"-n web", svstatArgs{numeric: true, dir: "web"}, ""},
		{"-ur web", svstatArgs{fields: []string{"up", "ready"}, dir: "web"}, ""},
		{"-o up,ready,pid,exitcode,signal web", svstatArgs{fields: []string{"up", "ready", "pid", "exitcode", "signal"}, dir: "web"}, ""},
		{"-wNpgest web", svstatArgs{fields: []string{"wantedup", "normallyup", "pid", "pgid", "exitcode", "signal", "updownfor"}, dir: "web"}, ""},
		{"-o up -u web other", svstatArgs{fields: []string{"up", "up"}, dir: "web"}, ""},
		{"-o up,bogus web", svstatArgs{}, "invalid option field: bogus"},
		{"-x web", svstatArgs{}, "unknown option -x"},
		{"-u", svstatArgs{}, "no service directory"},
	}
	for _, tt := range tests {
		got, err := parseSvstat(strings.Fields(tt.args))
		checkParse(t, "parseSvstat", tt.args, got, tt.want, err, tt.err)
	}
}

func TestParseSvwait(t *testing.T) {
	tests := []struct {
		args string
		want svwaitArgs
		err  string
	}{
		{"a", svwaitArgs{until: control.UntilUp, dirs: []string{"a"}}, ""},
		{"-U -t 5000 a", svwaitArgs{until: control.UntilReady, timeout: 5 * time.Second, dirs: []string{"a"}}, ""},
		{"-D a b", svwaitArgs{until: control.UntilDown, dirs: []string{"a", "b"}}, ""},
		{"-d -o a b", svwaitArgs{until: control.UntilDown, any: true, dirs: []string{"a", "b"}}, ""},
		{"-o -a -u a", svwaitArgs{until: control.UntilUp, dirs: []string{"a"}}, ""},
		{"-R a", svwaitArgs{}, "option -R is not supported"},
		{"-r a", svwaitArgs{}, "option -r is not supported"},
		{"-t x a", svwaitArgs{}, `option -t "x"`},
		{"-U", svwaitArgs{}, "no service directory"},
	}
	for _, tt := range tests {
		got, err := parseSvwait(strings.Fields(tt.args))
		checkParse(t, "parseSvwait", tt.args, got, tt.want, err, tt.err)
	}
}

func TestParseRc(t *testing.T) {
	tests := []struct {
		args string
		want rcArgs
		err  string
	}{
		{"-a list", rcArgs{active: true, verbosity: 1, sub: "list", names: []string{}}, ""},
		{"-u change web db", rcArgs{verbosity: 1, sub: "change", names: []string{"web", "db"}}, ""},
		{"-d change web", rcArgs{down: true, verbosity: 1, sub: "change", names: []string{"web"}}, ""},
		{"-b -l /run/s6-rc -v 2 -t 500 -D change web", rcArgs{down: true, verbosity: 2, timeout: 500 * time.Millisecond, sub: "change", names: []string{"web"}}, ""},
		{"-da list", rcArgs{active: true, down: true, verbosity: 1, sub: "list", names: []string{}}, ""},
		{"help", rcArgs{verbosity: 1, sub: "help", names: []string{}}, ""},
		{"-p change web", rcArgs{}, "option -p (prune) is not supported"},
		{"-n 0 change web", rcArgs{}, "option -n (dry run) is not supported"},
		{"listall web", rcArgs{}, "subcommand listall is not supported"},
		{"diff", rcArgs{}, "subcommand diff is not supported"},
		{"frob", rcArgs{}, `unknown subcommand "frob"`},
		{"-a", rcArgs{}, "no subcommand"},
	}
	for _, tt := range tests {
		got, err := parseRc(strings.Fields(tt.args))
		checkParse(t, "parseRc", tt.args, got, tt.want, err, tt.err)
	}
}

func TestParseNotify(t *testing.T) {
	def := probe{initial: 10 * time.Millisecond, wait: time.Second, tries: 7}
	tests := []struct {
		args string
		want notifyArgs
		err  string
	}{
		{"prog", notifyArgs{fd: -1, probe: def, check: []string{"./data/check"}, argv: []string{"prog"}}, ""},
		{"-d -n 300 -w 1000 prog -x", notifyArgs{double: true, fd: -1, probe: probe{initial: 10 * time.Millisecond, wait: time.Second, tries: 300}, check: []string{"./data/check"}, argv: []string{"prog", "-x"}}, ""},
		{"-3 5 -s 0 -T 9000 -t 200 -w 50 -n 0 prog", notifyArgs{fd: 5, probe: probe{global: 9 * time.Second, local: 200 * time.Millisecond, wait: 50 * time.Millisecond}, check: []string{"./data/check"}, argv: []string{"prog"}}, ""},
		{"-n x prog", notifyArgs{}, `option -n "x"`},
		{"-q prog", notifyArgs{}, "unknown option -q"},
		{"-d", notifyArgs{}, "no program given"},
	}
	for _, tt := range tests {
		got, err := parseNotify(strings.Fields(tt.args))
		checkParse(t, "parseNotify", tt.args, got, tt.want, err, tt.err)
	}
	// -c takes one word that is a whole command line.
	got, err := parseNotify([]string{"-c", "nc -z localhost 8443", "s6-setuidgid", "abc", "app"})
	want := notifyArgs{fd: -1, probe: def, check: []string{"nc", "-z", "localhost", "8443"}, argv: []string{"s6-setuidgid", "abc", "app"}}
	checkParse(t, "parseNotify", "-c 'nc -z localhost 8443' …", got, want, err, "")
	_, err = parseNotify([]string{"-c", " ", "prog"})
	checkParse(t, "parseNotify", "-c ' ' prog", nil, nil, err, "no command")
}

func TestParseEnvuidgid(t *testing.T) {
	all := setUID | setGID | setGIDList
	tests := []struct {
		args string
		want envuidgidArgs
		err  string
	}{
		{"www prog", envuidgidArgs{what: all, insist: true, account: "www", argv: []string{"prog"}}, ""},
		{"-u www prog", envuidgidArgs{what: setUID, insist: true, account: "www", argv: []string{"prog"}}, ""},
		{"-g staff prog", envuidgidArgs{what: setGID, insist: true, account: "staff", argv: []string{"prog"}}, ""},
		{"-nB www:42 prog", envuidgidArgs{what: setUID | setGID, numeric: true, insist: true, account: "www:42", argv: []string{"prog"}}, ""},
		{"-n www prog", envuidgidArgs{what: setUID | setGID, numeric: true, insist: true, account: "www", argv: []string{"prog"}}, ""},
		{"-D 32760:32760: -- syslog prog", envuidgidArgs{what: all, defaults: ids{uid: 32760, gid: 32760}, account: "syslog", argv: []string{"prog"}}, ""},
		{"-D 1:2:3,4 -i x prog", envuidgidArgs{what: all, insist: true, defaults: ids{uid: 1, gid: 2, groups: []uint32{3, 4}}, account: "x", argv: []string{"prog"}}, ""},
		{"-D :7 x prog", envuidgidArgs{what: all, defaults: ids{gid: 7}, account: "x", argv: []string{"prog"}}, ""},
		{"-D a:b x prog", envuidgidArgs{}, `option -D "a:b"`},
		{"-D 1:2:x x prog", envuidgidArgs{}, `option -D "1:2:x"`},
		{"www", envuidgidArgs{}, "want an account and a program"},
	}
	for _, tt := range tests {
		got, err := parseEnvuidgid(strings.Fields(tt.args))
		checkParse(t, "parseEnvuidgid", tt.args, got, tt.want, err, tt.err)
	}
}

func TestParseApplyuidgid(t *testing.T) {
	u := func(n uint32) *uint32 { return &n }
	env := map[string]string{"UID": "33", "GID": "34", "GIDLIST": "4,50"}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	tests := []struct {
		args string
		want applyuidgidArgs
		err  string
	}{
		{"-u 1 -g 2 -G 3,4 prog", applyuidgidArgs{uid: u(1), gid: u(2), groups: []int{3, 4}, setGroups: true, argv: []string{"prog"}}, ""},
		{"-U prog", applyuidgidArgs{uid: u(33), gid: u(34), groups: []int{4, 50}, setGroups: true, argv: []string{"prog"}}, ""},
		{"-U -u 0 -z prog", applyuidgidArgs{uid: u(0), gid: u(34), groups: []int{4, 50}, setGroups: true, unexport: true, argv: []string{"prog"}}, ""},
		{"-u 0 -U prog", applyuidgidArgs{uid: u(33), gid: u(34), groups: []int{4, 50}, setGroups: true, argv: []string{"prog"}}, ""},
		{"-g 5 prog", applyuidgidArgs{gid: u(5), argv: []string{"prog"}}, ""},
		{"-G '' prog", applyuidgidArgs{}, `option -G "''"`},
		{"-u x prog", applyuidgidArgs{}, `option -u "x"`},
		{"-u 1", applyuidgidArgs{}, "no program given"},
	}
	for _, tt := range tests {
		got, err := parseApplyuidgid(strings.Fields(tt.args), lookup)
		checkParse(t, "parseApplyuidgid", tt.args, got, tt.want, err, tt.err)
	}
	delete(env, "GIDLIST")
	_, err := parseApplyuidgid([]string{"-U", "prog"}, lookup)
	checkParse(t, "parseApplyuidgid", "-U prog (no GIDLIST)", nil, nil, err, "-U: GIDLIST is not set")
}

func TestKeepEnv(t *testing.T) {
	for v, want := range map[string]keepEnv{"": keepZero, "0": keepZero, "00": keepZero, "1": keepNonzero, "2": keepNonzero, "true": keepJunk, "-1": keepJunk, " 1": keepJunk} {
		if got := readKeepEnv(v); got != want {
			t.Errorf("readKeepEnv(%q) = %d; want %d", v, got, want)
		}
	}
}

func TestReadExitcode(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		content *string
		want    int
		err     string
	}{
		{nil, 0, ""},
		{ptr(""), 0, ""},
		{ptr("\n"), 0, ""},
		{ptr("3\n"), 3, ""},
		{ptr(" 143 "), 143, ""},
		{ptr("256"), 0, ""},
		{ptr("257\n"), 1, ""},
		{ptr("exit 3"), 0, `holds "exit 3": want a whole number`},
		{ptr("-1"), 0, `holds "-1"`},
	}
	for i, tt := range tests {
		path := fmt.Sprintf("%s/exitcode%d", dir, i)
		if tt.content != nil {
			writeFile(t, path, *tt.content)
		}
		got, err := readExitcode(path)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("readExitcode(%v) = %d, %v; want %d, %q", tt.content, got, err, tt.want, tt.err)
		}
	}
}

func ptr(s string) *string { return &s }

// TestHelperNames: every name main maps has a helper, and the image links
// each under /command and /usr/bin, halt only at s6-overlay's path.
func TestHelperNames(t *testing.T) {
	for _, name := range append(HelperNames, NotifyCheckName) {
		if Helper(name) == nil {
			t.Errorf("Helper(%q) = nil; want its main", name)
		}
	}
	if Helper("init") != nil || Helper("vigil") != nil {
		t.Errorf("Helper answers to init or vigil; want nil: those are boot and client mode")
	}
	paths := InstallPaths()
	if want := 2*(len(HelperNames)-1) + 1; len(paths) != want {
		t.Errorf("InstallPaths() has %d paths; want %d", len(paths), want)
	}
	for _, p := range []string{"/command/with-contenv", "/usr/bin/with-contenv", "/command/s6-svc", HaltPath} {
		if !slices.Contains(paths, p) {
			t.Errorf("InstallPaths() lacks %s", p)
		}
	}
	if slices.Contains(paths, "/usr/bin/halt") {
		t.Errorf("InstallPaths() holds /usr/bin/halt; want halt only at %s", HaltPath)
	}
}
