package boot

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// proc is a live process seen in /proc.
type proc struct {
	pid, ppid int
	name      string
}

// liveProcesses lists the processes /proc shows, without vigil itself and
// without zombies (they are dead; their parent reaps them), in one pass:
// /proc listed once, each /proc/PID/stat read once. (go-ps lists /proc
// too, but parses stat only up to the first ')', so it silently drops any
// process whose name holds one, and it does not say which are zombies:
// every pid it listed had to be read again.)
func liveProcesses() ([]proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	self := os.Getpid()
	var procs []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		p, state, err := readStat(pid)
		if err != nil || state == 'Z' || state == 'X' {
			continue // gone since the listing, or dead
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// readStat reads pid, name, state and parent from /proc/PID/stat. The name
// is in parentheses and may itself hold ')' or spaces: the fields after it
// start after the last ')'.
func readStat(pid int) (proc, byte, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, 0, err
	}
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return proc{}, 0, fmt.Errorf("parse /proc/%d/stat: no name", pid)
	}
	fields := bytes.Fields(b[end+1:])
	if len(fields) < 2 || len(fields[0]) != 1 {
		return proc{}, 0, fmt.Errorf("parse /proc/%d/stat: short", pid)
	}
	ppid, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		return proc{}, 0, fmt.Errorf("parse /proc/%d/stat: ppid: %w", pid, err)
	}
	return proc{pid: pid, ppid: ppid, name: string(b[open+1 : end])}, fields[0][0], nil
}

// descendants keeps the processes of procs that descend from pid.
func descendants(procs []proc, pid int) []proc {
	children := make(map[int][]proc)
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p)
	}
	var out []proc
	queue := []int{pid}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		for _, c := range children[parent] {
			out = append(out, c)
			queue = append(queue, c.pid)
		}
	}
	return out
}

// procMatchesSelf reports whether /proc belongs to vigil's PID namespace:
// /proc/self names the pid of the reader in the namespace of the mount. A
// /proc mounted for another namespace (unshare --pid without --mount-proc)
// would show processes vigil must not signal or wait for.
func procMatchesSelf() bool {
	self, err := os.Readlink("/proc/self")
	return err == nil && self == strconv.Itoa(os.Getpid())
}

// watchExits reports on done (buffered) once any of pids has exited. It
// waits on pidfds, which work for processes that are not vigil's children
// (a shell left by docker exec) and need no polling. A pid already gone
// counts as exited at once.
func watchExits(pids []int, done chan<- struct{}) {
	var fds []unix.PollFd
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			closePollFds(fds)
			notify(done)
			return
		}
		fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	go func() {
		defer closePollFds(fds)
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				break
			}
		}
		notify(done)
	}()
}

// notify sends on a buffered channel without blocking: one pending
// notification says all there is to say.
func notify(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func closePollFds(fds []unix.PollFd) {
	for _, f := range fds {
		unix.Close(int(f.Fd))
	}
}
