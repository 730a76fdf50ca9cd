package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// unshareArgv is how every contender is started: PID 1 of a new PID
// namespace, with a /proc of its own (so it sees only its namespace, as in a
// container). unshare forks the init and exits when it does, with its status.
var unshareArgv = []string{"/usr/bin/unshare", "--pid", "--fork", "--mount-proc"}

// spawn starts argv (argv[0] an absolute path) with env, stdin /dev/null and
// stdout, stderr to out. Only this program waits for it, by pid (wait4 of
// that pid, never -1), so no one else's reaping is ever measured.
func spawn(argv, env []string, out *os.File) (int, error) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{null.Fd(), out.Fd(), out.Fd()},
	})
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", argv[0], err)
	}
	return pid, nil
}

// reap waits for our child pid and returns its status and resource usage
// (which includes every descendant it waited for).
func reap(pid int) (syscall.WaitStatus, syscall.Rusage, error) {
	var ws syscall.WaitStatus
	var ru syscall.Rusage
	for {
		_, err := syscall.Wait4(pid, &ws, 0, &ru)
		if err != syscall.EINTR {
			return ws, ru, err
		}
	}
}

// exited reports whether our child pid has ended, reaping it if so.
func exited(pid int) (bool, syscall.WaitStatus) {
	var ws syscall.WaitStatus
	got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	return got == pid || err == syscall.ECHILD, ws
}

// describe is a wait status in words: "exit 0", "signal 9".
func describe(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "signal " + strconv.Itoa(int(ws.Signal()))
	}
	return "exit " + strconv.Itoa(ws.ExitStatus())
}

// nsInit is the host pid of the namespace's PID 1: unshare's only child.
func nsInit(unshare int, deadline time.Time) (int, error) {
	path := fmt.Sprintf("/proc/%d/task/%d/children", unshare, unshare)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(path)
		if err != nil {
			return 0, fmt.Errorf("unshare exited early: %w", err)
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			return strconv.Atoi(f[0])
		}
		time.Sleep(100 * time.Microsecond)
	}
	return 0, errors.New("unshare started no child")
}

// descendants is pid and every process below it, parents first. A process's
// children are listed per thread (the one that forked them), so every
// thread's children file is read.
func descendants(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", out[i]))
		for _, t := range tasks {
			b, _ := os.ReadFile(t)
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// exe is the executable pid runs (symlinks resolved), "" if it is gone.
func exe(pid int) string {
	p, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return p
}

// statusField is a number from /proc/PATH/status ("Threads", "VmRSS", ...).
func statusField(path, field string) (int, error) {
	b, err := os.ReadFile(path + "/status")
	if err != nil {
		return 0, err
	}
	return field64(b, field+":")
}

// field64 is the first number after the line prefix key in b.
func field64(b []byte, key string) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				return strconv.Atoi(f[0])
			}
		}
	}
	return 0, fmt.Errorf("no %s", key)
}

// pssKB is the proportional set size of pid: its private pages plus its
// share of every shared page (a page shared by k processes counts 1/k).
func pssKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	return field64(b, "Pss:")
}

// threads is pid's number of threads.
func threads(pid int) (int, error) {
	return statusField(fmt.Sprintf("/proc/%d", pid), "Threads")
}

// ctxSwitches is the sum of voluntary and involuntary context switches of
// every thread of pid: how often it was scheduled off a CPU, that is, how
// often it woke up.
func ctxSwitches(pid int) (int, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("process %d is gone", pid)
	}
	sum := 0
	for _, t := range tasks {
		for _, f := range []string{"voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"} {
			n, err := statusField(t, f)
			if err != nil {
				return 0, err
			}
			sum += n
		}
	}
	return sum, nil
}

// pidNS identifies a PID namespace: the device and inode of /proc/PID/ns/pid.
type pidNS struct{ dev, ino uint64 }

// nsOf is the PID namespace of pid.
func nsOf(pid int) (pidNS, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/pid", pid), &st); err != nil {
		return pidNS{}, err
	}
	return pidNS{uint64(st.Dev), st.Ino}, nil
}

// members are the host pids of the processes still in ns: none once the
// namespace is gone.
func (ns pidNS) members() []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if got, err := nsOf(pid); err == nil && got == ns {
			out = append(out, pid)
		}
	}
	return out
}

// tail is the end of the log file at path, for a failure's message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return strings.TrimSpace(string(b))
}
