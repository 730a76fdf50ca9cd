package test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Deadlines: generous, the machine is shared and noisy. A passing test never
// waits for them.
const (
	lineTimeout = 20 * time.Second // a line from the CMD, a condition polled for
	exitTimeout = 30 * time.Second // vigil's exit
	eofTimeout  = 10 * time.Second // stdout/stderr closing after vigil exited
)

// opts says how to start vigil.
type opts struct {
	bin    string   // what runs as vigil (default initBin); its basename is vigil's argv[0]
	env    []string // added to the environment (after the defaults, so they win)
	direct bool     // run vigil directly (not PID 1, a subreaper) instead of in a new PID namespace
	stdin  *os.File // default /dev/null
	tty    *pty     // stdin, stdout and stderr on this pty's slave; lines are read from its master
	ctty   bool     // with tty: start in a new session with the slave as controlling terminal
	wrap   []string // a command that execs vigil (setpriv …), put before its binary
}

// vigil is one running vigil and what it wrote.
type vigil struct {
	t     *testing.T
	o     opts
	cmd   *exec.Cmd
	lines chan string // stdout lines, in order; closed at EOF
	// pending holds lines read but not yet matched by expect: owned by the
	// test goroutine.
	pending []string

	mu       sync.Mutex
	out      []string // every stdout line, for failure reports
	errLines []string // every stderr line
	errDone  chan struct{}

	done     chan struct{} // closed once the started process (unshare or vigil) exited
	exitMono int64         // CLOCK_MONOTONIC when it did
	pid      int           // vigil's pid in our namespace, once known
	mark     string        // markEnv=…: in the environment of vigil and everything it starts
}

// markEnv marks, in their environment, the processes of one run of vigil,
// so that whatever is left of a run of vigil that is not PID 1 is found.
const markEnv = "HELPER_TEST_MARK"

var runs atomic.Int64

var (
	unshareOnce sync.Once
	unshareErr  error
)

// needUnshare skips the test when a PID namespace cannot be made here.
func needUnshare(t *testing.T) {
	t.Helper()
	unshareOnce.Do(func() {
		out, err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "--", "true").CombinedOutput()
		if err != nil {
			unshareErr = fmt.Errorf("unshare --pid --fork --mount-proc: %v: %s", err, out)
		}
	})
	if unshareErr != nil {
		t.Skipf("cannot run vigil as PID 1 in a new PID namespace: %v", unshareErr)
	}
}

// testEnv is the environment vigil gets: the test's, without any VIGIL_
// variable, with vigil's directories pointed at empty ones of this test.
func testEnv(t *testing.T) []string {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIGIL_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"VIGIL_RUN_DIR="+filepath.Join(dir, "run"),
		"VIGIL_S6_RUN_DIR="+filepath.Join(dir, "s6run"), // not the host's /run
		"VIGIL_SERVICES_DIR="+empty,
		"VIGIL_INIT_DIR="+empty,
		"VIGIL_FINISH_DIR="+empty,
	)
}

var cloexecOnce sync.Once

// closeOnExecAll marks every fd above 2 of the test process close-on-exec:
// fds that our own parent leaked to us must not reach vigil, which passes
// on what it inherits (TestNoFdLeak starts it with exactly 0, 1, 2).
func closeOnExecAll() {
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}

// start starts vigil with args (what follows argv[0]).
func start(t *testing.T, o opts, args ...string) *vigil {
	t.Helper()
	cloexecOnce.Do(closeOnExecAll)
	if o.bin == "" {
		o.bin = initBin
	}
	v := &vigil{
		t:       t,
		o:       o,
		lines:   make(chan string, 4096),
		errDone: make(chan struct{}),
		done:    make(chan struct{}),
	}
	if o.direct {
		v.cmd = &exec.Cmd{Path: o.bin, Args: append([]string{o.bin}, args...)}
	} else {
		needUnshare(t)
		argv := append(append([]string{"--pid", "--fork", "--mount-proc", "--kill-child", "--"}, o.wrap...), o.bin)
		v.cmd = exec.Command("unshare", append(argv, args...)...)
	}
	v.mark = fmt.Sprintf("%s=%d.%d", markEnv, os.Getpid(), runs.Add(1))
	v.cmd.Env = append(append(testEnv(t), o.env...), v.mark)
	v.cmd.Stdin = o.stdin

	var outR, errR *os.File
	var closeAfterStart []*os.File
	if o.tty != nil {
		v.cmd.Stdin, v.cmd.Stdout, v.cmd.Stderr = o.tty.slave, o.tty.slave, o.tty.slave
		if o.ctty {
			v.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		}
		outR = o.tty.master
		closeAfterStart = append(closeAfterStart, o.tty.slave)
		close(v.errDone) // stderr is mixed into the tty's lines
	} else {
		var outW, errW *os.File
		var err error
		if outR, outW, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		if errR, errW, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		v.cmd.Stdout, v.cmd.Stderr = outW, errW
		closeAfterStart = append(closeAfterStart, outW, errW)
	}
	err := v.cmd.Start()
	for _, f := range closeAfterStart {
		f.Close() // only the children hold the write ends: EOF once they are all gone
	}
	if err != nil {
		t.Fatalf("start %v: %v", v.cmd.Args, err)
	}
	go v.readStdout(outR)
	if errR != nil {
		go v.readStderr(errR)
	}
	go func() {
		v.cmd.Wait()
		v.exitMono = monoNow()
		close(v.done)
	}()
	t.Cleanup(v.cleanup)
	return v
}

func (v *vigil) readStdout(r *os.File) {
	defer close(v.lines)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		v.mu.Lock()
		v.out = append(v.out, line)
		v.mu.Unlock()
		v.lines <- line
	}
}

func (v *vigil) readStderr(r *os.File) {
	defer close(v.errDone)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		v.mu.Lock()
		v.errLines = append(v.errLines, sc.Text())
		v.mu.Unlock()
	}
}

// cleanup kills whatever is left of a test that failed halfway and reports
// what vigil wrote when the test failed.
func (v *vigil) cleanup() {
	select {
	case <-v.done:
		if v.o.direct {
			// vigil exited by itself: stage 4 must have ended every
			// process it started.
			if left := marked(v.mark); len(left) > 0 {
				v.t.Errorf("processes of vigil's tree still alive after it exited: %s", describe(left))
			}
		}
	default:
		// Without direct, unshare's --kill-child takes vigil, and vigil as
		// PID 1 takes its namespace.
		v.cmd.Process.Kill()
		select {
		case <-v.done:
		case <-time.After(exitTimeout):
			v.t.Errorf("vigil (pid %d) did not die of SIGKILL", v.cmd.Process.Pid)
		}
	}
	if v.o.direct {
		for _, p := range marked(v.mark) {
			unix.Kill(p, unix.SIGKILL)
		}
	}
	if v.o.tty != nil {
		v.o.tty.master.Close()
	}
	if v.t.Failed() {
		v.mu.Lock()
		defer v.mu.Unlock()
		v.t.Logf("vigil %v\nstdout:\n\t%s\nstderr:\n\t%s", v.cmd.Args,
			strings.Join(v.out, "\n\t"), strings.Join(v.errLines, "\n\t"))
	}
}

// expect waits for a stdout line matching pattern, in any order relative to
// other lines, and returns its submatches. A line is matched once.
func (v *vigil) expect(pattern string) []string {
	v.t.Helper()
	return v.expectLine(pattern, false)
}

// expectRunning is expect for a line that must come while vigil runs: it
// fails as soon as vigil exits instead.
func (v *vigil) expectRunning(pattern string) []string {
	v.t.Helper()
	return v.expectLine(pattern, true)
}

func (v *vigil) expectLine(pattern string, running bool) []string {
	v.t.Helper()
	re := regexp.MustCompile(pattern)
	var done <-chan struct{}
	if running {
		done = v.done
	}
	for i, l := range v.pending {
		if m := re.FindStringSubmatch(l); m != nil {
			v.pending = append(v.pending[:i:i], v.pending[i+1:]...)
			return m
		}
	}
	timer := time.NewTimer(lineTimeout)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-v.lines:
			if !ok {
				v.t.Fatalf("stdout closed with no line matching %q", pattern)
			}
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
			v.pending = append(v.pending, l)
		case <-done:
			v.t.Fatalf("vigil exited (%v) before a line matching %q", v.cmd.ProcessState, pattern)
		case <-timer.C:
			v.t.Fatalf("no line matching %q on stdout within %v", pattern, lineTimeout)
		}
	}
}

// wait waits for vigil to exit and returns its exit code.
func (v *vigil) wait() int {
	v.t.Helper()
	select {
	case <-v.done:
	case <-time.After(exitTimeout):
		v.t.Fatalf("vigil still running after %v", exitTimeout)
	}
	ws := v.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		// unshare dies of the signal that killed its child.
		v.t.Fatalf("vigil was killed by signal %d (%v)", ws.Signal(), ws.Signal())
	}
	return ws.ExitStatus()
}

// exited reports whether vigil has exited.
func (v *vigil) exited() bool {
	select {
	case <-v.done:
		return true
	default:
		return false
	}
}

// stderr waits for vigil's stderr to close and returns its lines.
func (v *vigil) stderr() []string {
	v.t.Helper()
	select {
	case <-v.errDone:
	case <-time.After(eofTimeout):
		v.t.Errorf("stderr still open %v after vigil exited", eofTimeout)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.errLines...)
}

// vigilPid returns vigil's pid as the test sees it: with unshare, the one
// child of unshare.
func (v *vigil) vigilPid() int {
	v.t.Helper()
	if v.pid != 0 {
		return v.pid
	}
	if v.o.direct {
		v.pid = v.cmd.Process.Pid
		return v.pid
	}
	u := v.cmd.Process.Pid
	poll(v.t, "unshare's child (vigil) to appear", func() (bool, string) {
		kids := children(u)
		if len(kids) == 1 {
			v.pid = kids[0]
			return true, ""
		}
		return false, fmt.Sprintf("children of unshare %d: %v", u, kids)
	})
	return v.pid
}

// signal sends sig to vigil.
func (v *vigil) signal(sig syscall.Signal) {
	v.t.Helper()
	if err := unix.Kill(v.vigilPid(), sig); err != nil {
		v.t.Fatalf("kill(vigil %d, %v): %v", v.vigilPid(), sig, err)
	}
}

// waitNotifying waits until vigil's own signal handling is in place, not
// only the Go runtime's: before signal.Notify, the runtime's handler turns a
// SIGTERM into exit(2). vigil must run with VIGIL_LOG_LEVEL=debug and no
// CMD: it then logs each SIGWINCH it drops (README "Signals"), and a SIGWINCH before
// it is ready to log one is ignored, by the kernel or the runtime.
func (v *vigil) waitNotifying() {
	v.t.Helper()
	pid := v.vigilPid()
	poll(v.t, "vigil to log a dropped SIGWINCH", func() (bool, string) {
		v.mu.Lock()
		for _, l := range v.errLines {
			if strings.Contains(l, "SIGWINCH") {
				v.mu.Unlock()
				return true, ""
			}
		}
		v.mu.Unlock()
		if err := unix.Kill(pid, unix.SIGWINCH); err != nil {
			return false, fmt.Sprintf("kill(vigil %d, SIGWINCH): %v", pid, err)
		}
		return false, "no log line naming SIGWINCH"
	})
}

// sinceExit returns how long vigil took to exit after mono (CLOCK_MONOTONIC
// in nanoseconds, as the helper prints it).
func (v *vigil) sinceExit(mono int64) time.Duration {
	<-v.done
	return time.Duration(v.exitMono - mono)
}

// nsHostPid returns the pid, in our namespace, of the process that has pid
// nsPid in vigil's PID namespace.
func (v *vigil) nsHostPid(nsPid int) int {
	v.t.Helper()
	if v.o.direct {
		return nsPid
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", v.vigilPid()))
	if err != nil {
		v.t.Fatalf("pid namespace of vigil: %v", err)
	}
	var host int
	poll(v.t, fmt.Sprintf("pid %d of vigil's namespace", nsPid), func() (bool, string) {
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			p, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if l, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", p)); l != ns {
				continue
			}
			if ids := nsPids(p); len(ids) > 0 && ids[len(ids)-1] == nsPid {
				host = p
				return true, ""
			}
		}
		return false, "not found in /proc"
	})
	return host
}

// exitingLine matches the helper's last line and captures code and mono.
const exitingLine = `^exiting code=(\d+) mono=(\d+)$`

// signalLine matches the helper's report of signal num, with an optional
// tag before it ("" for the CMD itself).
func signalLine(tag string, num syscall.Signal) string {
	if tag != "" {
		tag = regexp.QuoteMeta(tag) + " "
	}
	return fmt.Sprintf(`^%ssignal=\S+ num=%d$`, tag, int(num))
}
