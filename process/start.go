package process

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Closed in an Attr.Files slot leaves that descriptor closed in the child:
// the gaps below a notification fd stay closed.
const Closed = ^uintptr(0)

// Exit codes that stand for a program that could not be started, as a
// shell reports them.
const (
	ExitNotExecutable = 126
	ExitNotFound      = 127
)

// Attr says how Start starts a process.
type Attr struct {
	Path  string    // the program to execute; "" for argv[0] found in Env's PATH
	Dir   string    // working directory; "" keeps the caller's
	Env   []string  // the whole environment; argv[0] is looked up in its PATH
	Files []uintptr // the child's descriptors: index = number, Closed for a gap
	User  *User     // run as this user (uid, gid, groups); nil runs as the caller
	// KeepGroup leaves the process in the caller's process group instead
	// of leading a new one: a block of an execline program, a readiness
	// checker, which stopping the caller's service must stop too.
	KeepGroup bool
	// Foreground makes the new process group the terminal's foreground
	// group, when fd 0 is the caller's controlling terminal.
	Foreground bool
}

// Start starts argv as the leader of a new process group (unless
// KeepGroup) and returns its pid. argv[0] is found as execvp finds it, in a.Env's PATH. The caller
// must record the pid before it reads the reaper's next batch.
//
// A process started as another user changes its credentials only after
// its own exec, in the trampoline RunAs: see startAs. A failure to start
// is an error for which FailureCode gives the exit code it stands for.
func Start(argv []string, a Attr) (int, error) {
	path := a.Path
	if path == "" {
		var err error
		if path, err = LookPath(argv[0], LookupEnv(a.Env, "PATH")); err != nil {
			return 0, fmt.Errorf("start %s: %w", argv[0], err)
		}
	}
	attr := &syscall.ProcAttr{
		Dir:   a.Dir,
		Env:   a.Env,
		Files: a.Files,
		Sys:   &syscall.SysProcAttr{Setpgid: !a.KeepGroup},
	}
	if a.Foreground && isControllingTerminal(0) {
		// Foreground makes the child call tcsetpgrp on fd 0 before exec,
		// with signals still blocked so SIGTTOU cannot stop it. Without a
		// controlling terminal that ioctl fails with ENOTTY and the start
		// with it: hence the check.
		attr.Sys.Foreground = true
		attr.Sys.Ctty = 0
	}
	if a.User != nil && os.Geteuid() == 0 {
		// Without root, a.User can only be the caller itself (CanAssume):
		// there is nothing to switch.
		return startAs(path, argv, a.User, attr)
	}
	pid, err := syscall.ForkExec(path, argv, attr)
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", path, err)
	}
	return pid, nil
}

// Stdio is the caller's descriptors 0, 1 and 2 for a child (Inherit(3)).
func Stdio() []uintptr { return Inherit(3) }

// Inherit is the caller's descriptors 0 to n-1 for a child, a closed one
// left closed (ForkExec would fail clearing close-on-exec on it).
func Inherit(n int) []uintptr {
	files := make([]uintptr, n)
	for fd := range files {
		files[fd] = uintptr(fd)
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			files[fd] = Closed
		}
	}
	return files
}

// FailureCode is the exit code that stands for err, a failure of Start or
// Exec: 127 when the program was not found, 126 when it could not be
// executed.
func FailureCode(err error) int {
	if errors.Is(err, unix.ENOENT) {
		return ExitNotFound
	}
	return ExitNotExecutable
}

// ExecPath replaces the calling process with the program at path, run with
// argv and env. It returns only on failure.
func ExecPath(path string, argv, env []string) error {
	err := syscall.Exec(path, argv, env)
	return fmt.Errorf("exec %s: %w", argv[0], err)
}

// isControllingTerminal reports whether fd is the calling process's
// controlling terminal: TIOCGPGRP succeeds only then.
func isControllingTerminal(fd int) bool {
	_, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil
}

// RunAsName is the argv[0] under which the vigil binary is RunAs, the
// trampoline that switches credentials.
const RunAsName = "vigil-runas"

// startAs starts path as u, vigil being root, through the trampoline: the
// child execs vigil's own binary as RunAsName, which switches to u and
// then execs path.
//
// Why: syscall.ForkExec creates the child with CLONE_VM|CLONE_VFORK, so
// until its exec the child runs in vigil's memory. A change of uid or gid
// there makes the kernel clear the dumpable flag of that memory
// (commit_creds → set_dumpable), which is vigil's own: /proc/1 then
// belongs to root under ptrace rules, and root in `docker exec` (without
// CAP_SYS_PTRACE) can no longer open /proc/1/fd/1 or read /proc/1/environ.
// The trampoline changes credentials after its own exec, in memory of its
// own.
//
// Root staying root changes only its groups, which leaves the flag alone,
// so it needs no trampoline; without /proc (no way to exec vigil again)
// the credentials are switched in the child and the flag restored after.
func startAs(path string, argv []string, u *User, attr *syscall.ProcAttr) (int, error) {
	if self := selfExe(); self != "" && (u.Uid != 0 || u.Gid != 0) {
		groups := make([]string, len(u.Groups))
		for i, g := range u.Groups {
			groups[i] = strconv.FormatUint(uint64(g), 10)
		}
		tramp := append([]string{RunAsName,
			strconv.FormatUint(uint64(u.Uid), 10), strconv.FormatUint(uint64(u.Gid), 10),
			strings.Join(groups, ","), path}, argv...)
		pid, err := syscall.ForkExec(self, tramp, attr)
		if err != nil {
			return 0, fmt.Errorf("start %s as %s: %w", path, u.Spec, err)
		}
		return pid, nil
	}
	attr.Sys.Credential = &syscall.Credential{Uid: u.Uid, Gid: u.Gid, Groups: u.Groups}
	pid, err := syscall.ForkExec(path, argv, attr)
	unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0)
	if err != nil {
		return 0, fmt.Errorf("start %s as %s: %w", path, u.Spec, err)
	}
	return pid, nil
}

// SelfExe is the path that execs vigil's own binary: /proc/self/exe
// (which a child resolves to the same binary), or "" without /proc.
func SelfExe() string { return selfExe() }

var selfExe = sync.OnceValue(func() string {
	if _, err := os.Readlink("/proc/self/exe"); err != nil {
		return ""
	}
	return "/proc/self/exe"
})

// RunAs is the trampoline's main: args are uid, gid, the comma-separated
// supplementary groups, the program's path, then its argv. It sets the
// groups, gid and uid (all threads), then execs the program with the
// environment it received. It returns only on failure, with 126 or 127.
func RunAs(args []string) int {
	if len(args) < 5 {
		fmt.Fprintf(os.Stderr, "%s: internal to vigil: want UID GID GROUPS PATH ARGV0 [ARG...]\n", RunAsName)
		return ExitNotExecutable
	}
	if err := setCredentials(args[0], args[1], args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "vigil: start %s: %v\n", args[3], err)
		return ExitNotExecutable
	}
	err := syscall.Exec(args[3], args[4:], os.Environ())
	fmt.Fprintf(os.Stderr, "vigil: start %s: %v\n", args[3], err)
	return FailureCode(err)
}

// IDs are credentials to switch the process (every thread) to; only
// those given change.
type IDs struct {
	Groups    []int
	SetGroups bool // set Groups, even when empty
	Gid, Uid  *uint32
}

// Apply switches to ids: groups, then gid, then uid (after setuid the
// others could not be set).
func (ids IDs) Apply() error {
	if ids.SetGroups {
		if err := syscall.Setgroups(ids.Groups); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
	}
	if ids.Gid != nil {
		if err := syscall.Setgid(int(*ids.Gid)); err != nil {
			return fmt.Errorf("setgid %d: %w", *ids.Gid, err)
		}
	}
	if ids.Uid != nil {
		if err := syscall.Setuid(int(*ids.Uid)); err != nil {
			return fmt.Errorf("setuid %d: %w", *ids.Uid, err)
		}
	}
	return nil
}

// setCredentials switches the process to uid, gid and groups (decimal,
// groups comma-separated).
func setCredentials(uid, gid, groups string) error {
	var gids []int
	for _, g := range strings.Split(groups, ",") {
		if g == "" {
			continue
		}
		n, err := strconv.Atoi(g)
		if err != nil {
			return fmt.Errorf("group %q: %w", g, err)
		}
		gids = append(gids, n)
	}
	u, err1 := strconv.ParseUint(uid, 10, 32)
	g, err2 := strconv.ParseUint(gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("ids %s:%s: %w", uid, gid, err)
	}
	u32, g32 := uint32(u), uint32(g)
	return IDs{Groups: gids, SetGroups: true, Gid: &g32, Uid: &u32}.Apply()
}
