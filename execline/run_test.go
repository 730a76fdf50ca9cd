package execline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary be every builtin, as vigil's binary is:
// called by a builtin's name (through the links of bin, or as
// /proc/self/exe), it runs Main.
func TestMain(m *testing.M) {
	if IsBuiltin(filepath.Base(os.Args[0])) {
		os.Exit(Main(os.Args[0], os.Args[1:]))
	}
	dir, err := os.MkdirTemp("", "execline-bin")
	if err == nil {
		err = linkBuiltins(dir)
	}
	if err != nil {
		os.Stderr.WriteString("execline tests: " + err.Error() + "\n")
		os.Exit(1)
	}
	bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// bin holds a link to the test binary for every builtin, like /command.
var bin string

func linkBuiltins(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for _, name := range Builtins {
		if err := os.Symlink(self, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// result is how a command line ran.
type result struct {
	stdout, stderr string
	code           int
}

// run runs argv, argv[0] a builtin, with PATH bin, /usr/bin, /bin and env
// added, in dir ("" for the test's), and waits at most 20s.
func run(t *testing.T, dir string, argv []string, env ...string) result {
	t.Helper()
	return runPath(t, dir, bin+":/usr/bin:/bin", argv, env...)
}

func runPath(t *testing.T, dir, path string, argv []string, env ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	prog := filepath.Join("/bin", argv[0])
	if IsBuiltin(argv[0]) {
		prog = filepath.Join(bin, argv[0])
	}
	cmd := exec.CommandContext(ctx, prog, argv[1:]...)
	cmd.Args[0] = argv[0]
	// A background block may hold stdout after the chain ends: bound the
	// wait for it too.
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + path}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%q did not finish in 20s", argv)
	}
	r := result{stdout.String(), stderr.String(), 0}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %q: %v", argv, err)
	}
	return r
}

// script runs an execline script with execlineb -P -c.
func script(t *testing.T, s string, env ...string) result {
	t.Helper()
	return run(t, "", []string{"execlineb", "-Pc", s}, env...)
}

// want checks the stdout and exit code of r, and that stderr holds
// stderr ("" for empty).
func (r result) want(t *testing.T, what, stdout string, code int, stderr string) {
	t.Helper()
	if r.stdout != stdout || r.code != code || (stderr == "") != (r.stderr == "") || !strings.Contains(r.stderr, stderr) {
		t.Errorf("%s: stdout %q, exit %d, stderr %q; want %q, %d, stderr with %q", what, r.stdout, r.code, r.stderr, stdout, code, stderr)
	}
}

func TestForeground(t *testing.T) {
	script(t, `foreground { sh -c "echo a" } sh -c "echo b"`).want(t, "sequence", "a\nb\n", 0, "")
	script(t, `foreground { sh -c "exit 3" } importas -i X ? s6-echo $X`).want(t, "? of exit 3", "3\n", 0, "")
	script(t, `foreground { sh -c "kill -TERM $$" } importas -i X ? s6-echo $X`).want(t, "? of SIGTERM", "271\n", 0, "")
	script(t, `foreground { no-such-program } importas -i X ? s6-echo $X`).
		want(t, "? of a block not found", "127\n", 0, "unable to spawn no-such-program")
	script(t, `foreground { } importas -i X ? s6-echo $X`).want(t, "? of an empty block", "0\n", 0, "")
	script(t, `foreground { sh -c "exit 5" }`).want(t, "empty rest", "", 0, "")
	script(t, `foreground { foreground { s6-echo 1 } s6-echo 2 } s6-echo 3`).want(t, "nested", "1\n2\n3\n", 0, "")
	run(t, "", []string{"foreground", "s6-echo", "by hand", "", "s6-echo", "rest"}).
		want(t, "unquoted block", "by hand\nrest\n", 0, "")
	run(t, "", []string{"foreground", "s6-echo", "x", "", "true"}, "EXECLINE_STRICT=2").
		want(t, "unquoted block, strict", "", 100, "unquoted argument")
	script(t, `foreground { s6-echo a`).want(t, "unterminated", "", 100, "unmatched {")
	run(t, "", []string{"foreground", " true"}).want(t, "unterminated by hand", "", 100, "unterminated block")
}

// TestBlockGroup: a block runs in the process group of its caller, where
// vigil's stop of a service reaches it.
func TestBlockGroup(t *testing.T) {
	r := script(t, `foreground { sh -c "cut -d' ' -f5 /proc/self/stat" } `+
		`background { sh -c "cut -d' ' -f5 /proc/self/stat" } `+
		`sh -c "cut -d' ' -f5 /proc/self/stat"`)
	groups := strings.Fields(r.stdout)
	if r.code != 0 || len(groups) != 3 || groups[0] != groups[2] || groups[1] != groups[2] {
		t.Errorf("process groups of block, background block, rest = %q (exit %d, %s); want one group", groups, r.code, r.stderr)
	}
}

func TestBackground(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if r := script(t, `background { s6-echo bg } s6-echo fg`); r.code != 0 || (r.stdout != "bg\nfg\n" && r.stdout != "fg\nbg\n") {
		t.Errorf("background and rest: stdout %q exit %d %s; want bg and fg", r.stdout, r.code, r.stderr)
	}
	r := script(t, `if { sh -c "mkfifo `+fifo+`" } `+
		`background { redirfd -w 1 `+fifo+` sh -c "echo $$" } importas -i P ! `+
		`foreground { redirfd -r 0 `+fifo+` cat } s6-echo $P`)
	lines := strings.Fields(r.stdout)
	if r.code != 0 || len(lines) != 2 || lines[0] != lines[1] {
		t.Errorf("background: stdout %q exit %d %s; want the block's pid twice (its own, and !)", r.stdout, r.code, r.stderr)
	}
	script(t, `background { } true`).want(t, "empty block", "", 100, "empty block")
	script(t, `background -d { true } true`).want(t, "-d", "", 100, "-d")
	script(t, `background { no-such-program } true`).want(t, "spawn failure", "", 111, "unable to spawn no-such-program")
}

func TestIf(t *testing.T) {
	tests := []struct {
		script string
		stdout string
		code   int
		stderr string
	}{
		{`if { true } s6-echo yes`, "yes\n", 0, ""},
		{`if { true }`, "", 0, ""},
		{`if { }  s6-echo empty`, "empty\n", 0, ""},
		{`if { sh -c "exit 3" } s6-echo no`, "", 3, ""},
		{`if { sh -c "exit 200" } s6-echo no`, "", 128, ""},
		{`if { sh -c "kill $$" } s6-echo no`, "", 143, "child crashed with signal 15"},
		{`if -X { sh -c "kill $$" } s6-echo no`, "", 143, ""},
		{`if -X -n { sh -c "kill $$" } s6-echo yes`, "yes\n", 0, ""},
		{`if -n { true } s6-echo no`, "", 1, ""},
		{`if -n { false } s6-echo yes`, "yes\n", 0, ""},
		{`if -t { false } s6-echo no`, "", 0, ""},
		{`if -x 7 { false } s6-echo no`, "", 7, ""},
		{`if -x 300 { false } s6-echo no`, "", 100, "invalid exit code"},
		{`if -q { true } s6-echo no`, "", 100, "unknown option -q"},
		{`if { no-such-program } s6-echo no`, "", 111, "unable to spawn no-such-program"},
		{`ifelse { true } { s6-echo then } s6-echo else`, "then\n", 0, ""},
		{`ifelse { false } { s6-echo then } s6-echo else`, "else\n", 0, ""},
		{`ifelse -n { false } { s6-echo then } s6-echo else`, "then\n", 0, ""},
		{`ifelse { false } { s6-echo then }`, "", 0, ""},
		{`ifelse { sh -c "kill $$" } { s6-echo then } s6-echo else`, "", 143, "crashed"},
		{`ifelse -X { sh -c "kill $$" } { s6-echo then } s6-echo else`, "else\n", 0, ""},
		{`ifelse { true }`, "", 100, "then block required"},
	}
	for _, tt := range tests {
		script(t, tt.script).want(t, tt.script, tt.stdout, tt.code, tt.stderr)
	}
}

func TestBacktick(t *testing.T) {
	tests := []struct {
		script string
		stdout string
		code   int
		stderr string
	}{
		{`backtick X { s6-echo hello } importas -i X X s6-echo [${X}]`, "[hello]\n", 0, ""},
		{`backtick -N X { s6-echo hello } importas -i X X s6-echo [${X}]`, "[hello\n]\n", 0, ""},
		{`backtick X { s6-echo -n "a\nb\n\n" } importas -i X X s6-echo [${X}]`, "[a\nb\n]\n", 0, ""},
		{`backtick X { sh -c "exit 3" } s6-echo no`, "", 3, "exited non-zero"},
		{`backtick X { sh -c "kill $$" } s6-echo no`, "", 143, "crashed"},
		{`backtick -D def X { sh -c "echo out; exit 3" } importas -i X X importas -i Q ? s6-echo $X $Q`, "def 3\n", 0, ""},
		{`backtick -x X { sh -c "exit 3" } importas -D unset X X s6-echo $X`, "unset\n", 0, ""},
		{`backtick -I X { sh -c "echo out; exit 3" } importas -i X X s6-echo $X`, "out\n", 0, ""},
		{`backtick X { sh -c "printf 'a\\0b'" } s6-echo no`, "", 124, "null character"},
		{`backtick -I X { sh -c "printf 'a\\0b'" } importas -i X X s6-echo $X`, "a\n", 0, ""},
		{`backtick -D def X { sh -c "printf 'a\\0b'" } importas -i X X s6-echo $X`, "def\n", 0, "null character"},
		{`backtick -E X { s6-echo sub } s6-echo ${X}`, "sub\n", 0, ""},
		{`backtick -E X { s6-echo sub } importas -D gone Y X s6-echo $Y`, "gone\n", 0, ""},
		{`backtick -E -D d X { false } s6-echo ${X} $?`, "d 1\n", 0, ""},
		{`backtick X { }  true`, "", 100, "empty block"},
		{`backtick X { true }`, "", 100, "must not be empty"},
		{`backtick A=B { true } true`, "", 100, "invalid variable name"},
	}
	for _, tt := range tests {
		script(t, tt.script).want(t, tt.script, tt.stdout, tt.code, tt.stderr)
	}
}

func TestImportasDefine(t *testing.T) {
	tests := []struct {
		script string
		env    []string
		stdout string
		code   int
		stderr string
	}{
		{`importas X V s6-echo $X ${X}/x $X/x`, []string{"V=v"}, "v v/x $X/x\n", 0, ""},
		{`importas X V s6-echo a${X}b c`, nil, "c\n", 0, ""},
		{`importas -D "" X V s6-echo a${X}b c`, nil, "ab c\n", 0, ""},
		{`importas -D dflt X V s6-echo ${X}`, nil, "dflt\n", 0, ""},
		{`importas -i X V s6-echo ${X}`, nil, "", 100, "V not set"},
		{`importas -s X V s6-echo -s , x${X}`, []string{"V=a b  c"}, "xa,xb,x,xc\n", 0, ""},
		{`importas -sC X V s6-echo -s , ${X}`, []string{"V=a b  c"}, "a,b,c\n", 0, ""},
		{`importas -sd: X V s6-echo -s , ${X}`, []string{"V=/bin:/usr/bin"}, "/bin,/usr/bin\n", 0, ""},
		{`importas -u X V importas -D gone Y V s6-echo $X $Y`, []string{"V=v"}, "v gone\n", 0, ""},
		{`importas -S V s6-echo $V`, []string{"V=same"}, "same\n", 0, ""},
		{`importas X V s6-echo \\$X \\\\$X`, []string{"V=v"}, "$X \\v\n", 0, ""},
		{`importas X V foreground { s6-echo " ${X}" } s6-echo done`, []string{"V=a b"}, " a b\ndone\n", 0, ""},
		{`define -s X "a b" s6-echo -s , x${X}y${X}`, nil, "xaya,xayb,xbya,xbyb\n", 0, ""},
		{`define -sn X "a b" s6-echo ${X}`, nil, "a\n", 0, ""},
		{`define -sd "" X "1:a,0:,2:bb," s6-echo -s , ${X}`, nil, "a,,bb\n", 0, ""},
		{`define -sd "" X "3:abc" s6-echo ${X}`, nil, "", 111, "netstrings"},
		{`define X y`, nil, "", 0, ""},
		{`define -s X "" s6-echo ${X}`, nil, "\n", 0, ""},
		{`define X`, nil, "", 100, "too few"},
		{`define "" y s6-echo`, nil, "", 100, "bad substitution key"},
		{`importas -Q X V s6-echo`, nil, "", 100, "unknown option -Q"},
	}
	for _, tt := range tests {
		script(t, tt.script, tt.env...).want(t, tt.script, tt.stdout, tt.code, tt.stderr)
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		script string
		env    []string
		stdout string
		code   int
	}{
		{`emptyenv env`, []string{"A=1"}, "", 0},
		{`emptyenv -p env`, []string{"A=1"}, "PATH=" + bin + ":/usr/bin:/bin\n", 0},
		{`emptyenv -c env`, []string{"A=1", "?=0", "!=5", "1=x", "#=1", "EXECLINE_STRICT=1", "ELGETOPT_n=1", "FDX=3"}, "PATH=" + bin + ":/usr/bin:/bin\nA=1\n", 0},
		{`emptyenv -P env`, []string{"#=1", "1=a", "#:1=2", "1:1=b", "2:1=c", "A=1"}, "PATH=" + bin + ":/usr/bin:/bin\n#=2\n1=b\n2=c\nA=1\n", 0},
		{`emptyenv -o env`, []string{"ELGETOPT_a=1", "ELGETOPT_b:1=2", "1=a"}, "PATH=" + bin + ":/usr/bin:/bin\nELGETOPT_b=2\n1=a\n", 0},
		{`export A 2 export B "x y" env`, []string{"A=1"}, "PATH=" + bin + ":/usr/bin:/bin\nA=2\nB=x y\n", 0},
		{`unexport A env`, []string{"A=1", "A=2"}, "PATH=" + bin + ":/usr/bin:/bin\n", 0},
		{`export PATH /nowhere s6-echo still found`, nil, "still found\n", 0},
		{`exec -c env`, []string{"A=1"}, "", 0},
		{`exec -a zz sh -c "echo $0"`, nil, "zz\n", 0},
		{`exec -l sh -c "echo $0"`, nil, "-sh\n", 0},
		{`exec -l -a zz sh -c "echo $0"`, nil, "-zz\n", 0},
		{`cd / pwd`, nil, "/\n", 0},
		{`umask 027 sh -c umask`, nil, "0027\n", 0},
		{`exit 3`, nil, "", 3},
		{`exit 256`, nil, "", 0},
		{`exit`, nil, "", 0},
		{`exit 1 2`, nil, "", 1},
		{`exit x`, nil, "", 100},
		{`s6-echo -n -s : a b c`, nil, "a:b:c", 0},
		{`s6-echo -s "" a b`, nil, "a\x00b\n", 0},
		{`s6-echo`, nil, "\n", 0},
		{`s6-sleep -m 1 s6-echo slept`, nil, "slept\n", 0},
		{`s6-sleep 0`, nil, "", 0},
		{`export A=B x true`, nil, "", 100},
		{`cd /no/such/dir true`, nil, "", 111},
	}
	for _, tt := range tests {
		r := script(t, tt.script, tt.env...)
		if r.stdout != tt.stdout || r.code != tt.code {
			t.Errorf("%s: stdout %q, exit %d (%s); want %q, %d", tt.script, r.stdout, r.code, r.stderr, tt.stdout, tt.code)
		}
	}
}

func TestFds(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	tests := []struct {
		script string
		stdout string
		code   int
		stderr string
	}{
		{`fdmove -c 2 1 sh -c "echo to2 >&2"`, "to2\n", 0, ""},
		{`fdmove 3 1 fdmove 1 3 s6-echo moved`, "moved\n", 0, ""},
		{`fdmove 3 1 sh -c "test -e /proc/self/fd/1 || echo closed >&3"`, "closed\n", 0, ""},
		{`fdmove 1 99 true`, "", 111, "unable to move fd 99 to fd 1"},
		{`fdclose 1 sh -c "test -e /proc/self/fd/1 || echo closed >&2"`, "", 0, "closed"},
		{`fdswap 1 2 sh -c "echo to2; echo to1 >&2"`, "to1\n", 0, "to2"},
		{`redirfd -w 1 ` + file + ` s6-echo one`, "", 0, ""},
		{`redirfd -a 1 ` + file + ` s6-echo two`, "", 0, ""},
		{`redirfd -r 0 ` + file + ` cat`, "one\ntwo\n", 0, ""},
		{`redirfd -w 1 ` + file + ` s6-echo three`, "", 0, ""},
		{`redirfd -r 0 ` + file + ` cat`, "three\n", 0, ""},
		{`redirfd -x 1 ` + file + ` s6-echo no`, "", 111, "unable to open"},
		{`redirfd -c 1 ` + file + `.none s6-echo no`, "", 111, "unable to open"},
		{`redirfd -u 5 ` + file + ` sh -c "cat <&5"`, "three\n", 0, ""},
		{`redirfd -r -w 1 /dev/null s6-echo last mode wins`, "", 0, ""},
		{`redirfd 1 /dev/null true`, "", 100, "one of"},
		{`fdmove x 1 true`, "", 100, "numbers"},
	}
	for _, tt := range tests {
		script(t, tt.script).want(t, tt.script, tt.stdout, tt.code, tt.stderr)
	}
}

// TestRedirfdFifo: redirfd -w -nb opens a fifo with no reader (redirfd.html).
func TestRedirfdFifo(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	script(t, `if { sh -c "mkfifo `+fifo+`" } redirfd -w -nb 1 `+fifo+` s6-echo -n`).
		want(t, "writer without reader", "", 0, "")
}

func TestExeclineb(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The README finish examples (s6-overlay), with a halt that tells.
	finish := write("finish", "#!"+filepath.Join(bin, "execlineb")+" -S1\n"+
		"if { eltest ${1} -ne 0 -a ${1} -ne 256 }\ns6-echo halt\n")
	exitcode := filepath.Join(dir, "exitcode")
	finish0 := write("finish0", "#!"+filepath.Join(bin, "execlineb")+" -S0\n"+
		"foreground { redirfd -w 1 "+exitcode+" s6-echo 0 }\ns6-echo halt\n")
	run(t, dir, []string{"sh", "-c", finish + " 3 0"}).want(t, "finish 3", "halt\n", 0, "")
	run(t, dir, []string{"sh", "-c", finish + " 0 0"}).want(t, "finish 0", "", 1, "")
	run(t, dir, []string{"sh", "-c", finish + " 256 15"}).want(t, "finish 256", "", 1, "")
	run(t, dir, []string{"sh", "-c", finish}).want(t, "finish without args", "", 100, "too few arguments")
	run(t, dir, []string{"sh", "-c", finish0 + " 256 15"}).want(t, "finish0", "halt\n", 0, "")
	if b, err := os.ReadFile(exitcode); err != nil || string(b) != "0\n" {
		t.Errorf("exitcode file = %q, %v; want 0", b, err)
	}

	pos := write("pos", `s6-echo -s , $0 $1 $2 $3 $# $@`)
	run(t, dir, []string{"execlineb", "-S2", pos, "a"}).want(t, "-S2", pos+",a,,$3,1,a\n", 0, "too few")
	run(t, dir, []string{"execlineb", "-q", "-S2", pos, "a"}).want(t, "-q -S2", pos+",a,,$3,1,a\n", 0, "")
	run(t, dir, []string{"execlineb", "-W", "-S2", pos, "a"}).want(t, "-W -S2", "", 100, "too few")
	run(t, dir, []string{"execlineb", "-s1", pos, "a", "b", "c"}).want(t, "-s1", pos+",a,b,c,3,b,c\n", 0, "")
	run(t, dir, []string{"execlineb", "-P", pos, "a"}).want(t, "-P", "$0,$1,$2,$3,$#,$@\n", 0, "")
	run(t, dir, []string{"execlineb", "-S0", "-c", `s6-echo $0 $1`, "x"}).want(t, "-c $0", "execlineb x\n", 0, "")

	envScript := write("env", "env")
	got := run(t, dir, []string{"execlineb", envScript, "a", "b"}, "#=7", "1=old", "0=zero", "1:1=older")
	want := "PATH=" + bin + ":/usr/bin:/bin\n#:1=7\n1:1=old\n0:1=zero\n1:2=older\n#=2\n0=" + envScript + "\n1=a\n2=b\n"
	got.want(t, "push", want, 0, "")
	got = run(t, dir, []string{"execlineb", "-p", envScript, "a"}, "#=7", "1=old", "2=old2")
	got.want(t, "-p", "PATH="+bin+":/usr/bin:/bin\n#=1\n1=a\n2=old2\n0="+envScript+"\n", 0, "")
	run(t, dir, []string{"execlineb", "-w", "-P", envScript}).want(t, "-w", "PATH="+bin+":/usr/bin:/bin\nEXECLINE_STRICT=1\n", 0, "")
	run(t, dir, []string{"execlineb", "-q", "-P", envScript}, "EXECLINE_STRICT=2").want(t, "-q", "PATH="+bin+":/usr/bin:/bin\n", 0, "")

	bad := write("bad", "s6-echo ok\nforeground {\n s6-echo \"unterminated\n}\n")
	run(t, dir, []string{"execlineb", "-P", bad}).want(t, "syntax error", "", 100, bad+": line 3: unterminated")
	run(t, dir, []string{"execlineb", "-P", write("comments", "#!/command/execlineb -P\n# nothing\n")}).want(t, "no-op", "", 0, "")
	run(t, dir, []string{"execlineb", "-P", filepath.Join(dir, "none")}).want(t, "missing", "", 111, "unable to open")
	run(t, dir, []string{"execlineb", "-P"}).want(t, "no script", "", 100, "no script")
	run(t, dir, []string{"execlineb", "-Pc", `no-such-program`}).want(t, "not found", "", 127, "unable to exec no-such-program")
	run(t, dir, []string{"execlineb", "-Pc", write("plain", "")}).want(t, "not executable", "", 126, "unable to exec")
}

// TestSelfFallback: with no links in PATH, the builtins of a chain run as
// /proc/self/exe, under their own names.
func TestSelfFallback(t *testing.T) {
	r := runPath(t, "", "/usr/bin:/bin", []string{"execlineb", "-Pc",
		`foreground { exec sh -c "echo in block" } if { true } cd / importas -D d X NONE s6-echo $X`})
	r.want(t, "chain without links", "in block\nd\n", 0, "")
	r = runPath(t, "", "/usr/bin:/bin", []string{"foreground", " no-such-program", "", "true"})
	r.want(t, "not a builtin either", "", 0, "unable to spawn no-such-program")
}

// TestMainRefuses: Main under a name that is no builtin exits 100.
func TestMainRefuses(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	stderr := os.Stderr
	os.Stderr = null
	code := Main("/x/vigil", nil)
	os.Stderr = stderr
	if code != 100 {
		t.Errorf("Main(/x/vigil) = %d; want 100", code)
	}
}
