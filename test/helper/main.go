// Command helper is the program the black-box tests run as vigil's CMD (and as
// the CMD's children, daemons and orphans). It reports what it sees on stdout,
// one line per event, each line written with a single write(2) so lines from
// several processes sharing the pipe never mix.
//
// Its arguments are actions, run in order:
//
//	tag NAME          prefix every later line with "NAME "
//	record FILE       also append every later line to FILE (read after vigil exits)
//	touch FILE        create FILE (proves the CMD ran)
//	fds               print "fds=0,1,2": the fds open when this helper was exec'd (those
//	                  without close-on-exec: the Go runtime opens its own, such as its
//	                  cgroup files, with it), then "fd=N target=T cloexec=B" for each fd above 2
//	signals           catch and report every catchable signal as "signal=SIGHUP num=1"
//	                  (not SIGURG or SIGCHLD: the Go runtime and our own children
//	                  send those); caught signals do nothing else unless an "on" rule says so
//	on SIG CODE       when SIG arrives: report it, then exit with CODE
//	on SIG die        when SIG arrives: report it, then die by it (default action)
//	ready             print "ready pid=N pgid=N ppid=N" and tell the spawning helper
//	info              print "info pid=N pgid=N ppid=N sid=N tpgid=N" (tpgid: tcgetpgrp(0),
//	                  -1 and "tperr=ENOTTY" on error)
//	orphaned          wait until the parent changed (we were reparented), print "orphaned ppid=N"
//	child "ARGS"      start this helper with ARGS (split on blanks) in our process group,
//	                  wait until it is ready
//	daemon "ARGS"     start this helper with ARGS as a daemon: through a middle process
//	                  that exits at once (so it is orphaned), in a new session; wait until
//	                  it is ready
//	orphans N "ARGS"  start N helpers with ARGS (stdio /dev/null) through a middle
//	                  process that exits without waiting for them; print "orphans n=N"
//	exit CODE         print "exiting code=CODE mono=NS" and exit with CODE
//	raise SIG         print "dying signal=NAME mono=NS" and die by SIG
//	listen ADDR       listen on TCP ADDR (127.0.0.1:PORT) with a socket every child
//	                  started later inherits; print "listening addr=ADDR", or fail
//	wait              block forever (an "on" rule or a fatal signal ends the process)
//
// SIG is a name (TERM, SIGTERM) or a number. mono is CLOCK_MONOTONIC in
// nanoseconds, so the tests can time vigil against the moment the CMD ended.
// After the last action the helper exits 0 silently.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// notifyEnv names the env variable telling a spawned helper which fd to write
// "ready" to; the spawner waits for that line.
const notifyEnv = "HELPER_NOTIFY_FD"

// parentEnv names the env variable giving a daemon the pid of the middle
// process that started it: it may be gone before our own startup could
// look at our parent.
const parentEnv = "HELPER_PARENT"

var (
	prefix     string
	recordFile *os.File
	outMu      sync.Mutex
	notify     *os.File // write end of the spawner's readiness pipe, if any
	startPpid  int      // our parent when we started (see parentEnv)

	rulesMu sync.Mutex
	rules   = map[syscall.Signal]string{} // signal → exit code or "die"
	sigCh   chan os.Signal
)

func main() {
	takeNotify()
	args := os.Args[1:]
	for len(args) > 0 {
		n, err := act(args)
		if err != nil {
			fail(err)
		}
		args = args[n:]
	}
	os.Exit(0)
}

// takeNotify picks up what the spawner passed: our original parent and the
// readiness fd, which it keeps out of our own children (it is inherited
// without close-on-exec).
func takeNotify() {
	startPpid = os.Getppid()
	if v := os.Getenv(parentEnv); v != "" {
		os.Unsetenv(parentEnv)
		startPpid, _ = strconv.Atoi(v)
	}
	v := os.Getenv(notifyEnv)
	if v == "" {
		return
	}
	os.Unsetenv(notifyEnv)
	fd, err := strconv.Atoi(v)
	if err != nil {
		fail(fmt.Errorf("%s=%q: %w", notifyEnv, v, err))
	}
	unix.CloseOnExec(fd)
	notify = os.NewFile(uintptr(fd), "notify")
}

// act runs the action at args[0] and returns how many arguments it used.
func act(args []string) (int, error) {
	need := func(n int) error {
		if len(args) < n+1 {
			return fmt.Errorf("%s: want %d argument(s)", args[0], n)
		}
		return nil
	}
	switch args[0] {
	case "tag":
		if err := need(1); err != nil {
			return 0, err
		}
		prefix = args[1] + " "
		return 2, nil
	case "record":
		if err := need(1); err != nil {
			return 0, err
		}
		f, err := os.OpenFile(args[1], os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return 0, err
		}
		recordFile = f
		return 2, nil
	case "touch":
		if err := need(1); err != nil {
			return 0, err
		}
		return 2, os.WriteFile(args[1], []byte("ran\n"), 0o644)
	case "fds":
		return 1, listFds()
	case "signals":
		catch(catchable()...)
		return 1, nil
	case "on":
		if err := need(2); err != nil {
			return 0, err
		}
		return 3, addRule(args[1], args[2])
	case "ready":
		ready()
		return 1, nil
	case "info":
		info()
		return 1, nil
	case "orphaned":
		return 1, orphaned()
	case "child":
		if err := need(1); err != nil {
			return 0, err
		}
		return 2, spawnReady(strings.Fields(args[1]))
	case "daemon":
		if err := need(1); err != nil {
			return 0, err
		}
		return 2, spawnReady(append([]string{"_middle"}, strings.Fields(args[1])...))
	case "_middle":
		// Start the daemon in its own session, hand it our readiness fd, and
		// exit at once so it is orphaned.
		return 0, startDaemon(args[1:])
	case "orphans":
		if err := need(2); err != nil {
			return 0, err
		}
		return 3, orphans(args[1], strings.Fields(args[2]))
	case "_spawn":
		return 0, spawnOrphans(args[1], args[2:])
	case "exit":
		if err := need(1); err != nil {
			return 0, err
		}
		code, err := strconv.Atoi(args[1])
		if err != nil {
			return 0, err
		}
		exit(code)
		return 2, nil
	case "raise":
		if err := need(1); err != nil {
			return 0, err
		}
		sig, err := parseSignal(args[1])
		if err != nil {
			return 0, err
		}
		die(sig)
		return 2, nil
	case "listen":
		if err := need(1); err != nil {
			return 0, err
		}
		return 2, listen(args[1])
	case "wait":
		for {
			time.Sleep(time.Hour)
		}
	}
	return 0, fmt.Errorf("unknown action %q", args[0])
}

// say writes one line to stdout (and the record file) in one write.
func say(format string, a ...any) {
	line := prefix + fmt.Sprintf(format, a...) + "\n"
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.WriteString(line)
	if recordFile != nil {
		recordFile.WriteString(line)
	}
}

func fail(err error) {
	say("error=%q", err.Error())
	os.Exit(99)
}

// self is this helper's binary, whatever argv[0] the spawner gave us.
func self() string {
	p, err := os.Executable()
	if err != nil {
		fail(err)
	}
	return p
}

func mono() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

func exit(code int) {
	say("exiting code=%d mono=%d", code, mono())
	os.Exit(code)
}

// die ends the process by sig with the default action, as a C program would.
// The Go runtime's own handler ignores most signals (SIGUSR1) or turns
// others into a panic (SIGSEGV, SIGQUIT), so reset the disposition first.
func die(sig syscall.Signal) {
	say("dying signal=%s mono=%d", sigName(sig), mono())
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	if sig != unix.SIGKILL && sig != unix.SIGSTOP {
		var act [4]uint64 // struct sigaction, all zero: SIG_DFL, no flags, empty mask
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
		var set unix.Sigset_t // unblock it on this thread, in case
		n := uint(sig) - 1
		set.Val[n/64] |= 1 << (n % 64)
		unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
	}
	unix.Kill(os.Getpid(), sig)
	time.Sleep(10 * time.Second)
	fail(fmt.Errorf("still alive after raising %s", sigName(sig)))
}

func ready() {
	pgid, _ := unix.Getpgid(0)
	say("ready pid=%d pgid=%d ppid=%d", os.Getpid(), pgid, os.Getppid())
	if notify != nil {
		notify.WriteString("ready\n")
		notify.Close()
		notify = nil
	}
}

func info() {
	pgid, _ := unix.Getpgid(0)
	sid, _ := unix.Getsid(0)
	tp, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	tperr := "none"
	if err != nil {
		tp = -1
		tperr = err.Error()
		if errno, ok := err.(syscall.Errno); ok {
			tperr = unix.ErrnoName(errno)
		}
	}
	say("info pid=%d pgid=%d ppid=%d sid=%d tpgid=%d tperr=%s", os.Getpid(), pgid, os.Getppid(), sid, tp, tperr)
}

// listFds lists /proc/self/fd with raw syscalls: os.Open could start the Go
// runtime's netpoller, whose epoll fd would then show up in the list.
func listFds() error {
	dir, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /proc/self/fd: %w", err)
	}
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := unix.Getdents(dir, buf)
		if err != nil {
			return fmt.Errorf("getdents /proc/self/fd: %w", err)
		}
		if n <= 0 {
			break
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
	var all []int
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err == nil && fd != dir {
			all = append(all, fd)
		}
	}
	unix.Close(dir)
	sort.Ints(all)
	var inherited []string
	var details []string
	for _, fd := range all {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		cloexec := err == nil && flags&unix.FD_CLOEXEC != 0
		if !cloexec {
			inherited = append(inherited, strconv.Itoa(fd))
		}
		if fd > 2 {
			t, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
			details = append(details, fmt.Sprintf("fd=%d target=%s cloexec=%t", fd, t, cloexec))
		}
	}
	say("fds=%s", strings.Join(inherited, ","))
	for _, d := range details {
		say("%s", d)
	}
	return nil
}

func orphaned() error {
	deadline := time.Now().Add(20 * time.Second)
	for os.Getppid() == startPpid {
		if time.Now().After(deadline) {
			return fmt.Errorf("still a child of %d after 20s", startPpid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	say("orphaned ppid=%d", os.Getppid())
	return nil
}

// spawnReady starts this helper with args, passing it the write end of a
// pipe, and waits until it writes "ready" there (or every copy is closed).
func spawnReady(args []string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command(self(), args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.Env = append(os.Environ(), notifyEnv+"=3")
	err = cmd.Start()
	w.Close()
	if err != nil {
		return err
	}
	go cmd.Wait() // reap it whenever it ends: no zombie of ours
	r.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(r).ReadString('\n')
	if line != "ready\n" {
		return fmt.Errorf("%v: not ready: %q %v", args, line, err)
	}
	return nil
}

func startDaemon(args []string) error {
	cmd := exec.Command(self(), args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = append(os.Environ(), parentEnv+"="+strconv.Itoa(os.Getpid()))
	if notify != nil {
		cmd.ExtraFiles = []*os.File{notify}
		cmd.Env = append(cmd.Env, notifyEnv+"=3")
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	os.Exit(0)
	return nil
}

func orphans(count string, args []string) error {
	n, err := strconv.Atoi(count)
	if err != nil {
		return err
	}
	cmd := exec.Command(self(), append([]string{"_spawn", count}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("spawn %d orphans: %w", n, err)
	}
	say("orphans n=%d", n)
	return nil
}

// spawnOrphans starts n helpers and exits without waiting for any of them.
func spawnOrphans(count string, args []string) error {
	n, err := strconv.Atoi(count)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		cmd := exec.Command(self(), args...)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("orphan %d: %w", i, err)
		}
	}
	os.Exit(0)
	return nil
}

// listen opens a listening TCP socket on addr without close-on-exec, so
// that the helpers started after it hold it too (as workers of a daemon
// do), and prints "listening addr=ADDR".
func listen(addr string) error {
	host, port, ok := strings.Cut(addr, ":")
	n, err := strconv.Atoi(port)
	if !ok || err != nil || host != "127.0.0.1" {
		return fmt.Errorf("listen %q: want 127.0.0.1:PORT", addr)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	sa := &unix.SockaddrInet4{Port: n, Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("bind %s: %w", addr, err)
	}
	if err := unix.Listen(fd, 16); err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	say("listening addr=%s", addr)
	return nil
}
