package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A supervisor is a contender of the supervision trees: how to lay out N
// trivial services for it and how to start it as PID 1.
type supervisor struct {
	name   string
	notify bool // reads a service's notification-fd file: "all ready" is measured
	layout func(b *bench, dir string, n int) error
	argv   func(b *bench, dir string, n int) []string
}

// supervisors are the contenders, in table order. The supervisor processes
// whose memory and wakeups count are the namespace's processes that are not
// services: vigil; s6-svscan and one s6-supervise per service; runsvdir and
// one runsv per service; supervisord.
func (b *bench) supervisors() []supervisor {
	return []supervisor{
		{"vigil", true, layoutServiceDirs(true), func(b *bench, dir string, n int) []string {
			return []string{b.initLink}
		}},
		{"s6", true, layoutServiceDirs(true), func(b *bench, dir string, n int) []string {
			// -c: how many services s6-svscan makes room for (its tables are
			// sized by it); exactly N, the least that fits.
			return []string{b.tools["s6-svscan"], "-c", strconv.Itoa(n), dir}
		}},
		{"runit", false, layoutServiceDirs(false), func(b *bench, dir string, n int) []string {
			// -P: each runsv in a session of its own, as vigil's services
			// lead their own process groups.
			return []string{b.tools["runsvdir"], "-P", dir}
		}},
		{"supervisord", false, layoutSupervisord, func(b *bench, dir string, n int) []string {
			return []string{b.tools["supervisord"], "-n", "-c", dir + "/.supervisord.conf"}
		}},
	}
}

// serviceName is the i-th service's name (and directory).
func serviceName(i int) string { return fmt.Sprintf("svc%04d", i) }

// layoutServiceDirs writes N service directories in the s6/runit format
// (vigil's too): run, a symlink to the service helper, and with notify a
// notification-fd file naming fd 3.
func layoutServiceDirs(notify bool) func(b *bench, dir string, n int) error {
	return func(b *bench, dir string, n int) error {
		for i := 1; i <= n; i++ {
			d := filepath.Join(dir, serviceName(i))
			if err := os.Mkdir(d, 0o755); err != nil {
				return err
			}
			if err := os.Symlink(b.service, d+"/run"); err != nil {
				return err
			}
			if notify {
				if err := os.WriteFile(d+"/notification-fd", []byte("3\n"), 0o644); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// layoutSupervisord writes one [program:x] per service, each run in its own
// directory (the service helper finds the bench's FIFO from there). Output
// is discarded (NONE), not logged to files, as the other supervisors pass it
// through; everything else is supervisord's default.
func layoutSupervisord(b *bench, dir string, n int) error {
	if err := os.Mkdir(dir+"/.supervisord", 0o755); err != nil {
		return err
	}
	var c strings.Builder
	fmt.Fprintf(&c, "[supervisord]\nnodaemon=true\nlogfile=%[1]s/.supervisord/log\npidfile=%[1]s/.supervisord/pid\n"+
		"childlogdir=%[1]s/.supervisord\nminfds=%[2]d\n", dir, 4*n+256)
	for i := 1; i <= n; i++ {
		name := serviceName(i)
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			return err
		}
		fmt.Fprintf(&c, "\n[program:%s]\ncommand=%s\ndirectory=%s/%s\nautorestart=true\n"+
			"stdout_logfile=NONE\nstderr_logfile=NONE\n", name, b.service, dir, name)
	}
	return os.WriteFile(dir+"/.supervisord.conf", []byte(c.String()), 0o644)
}

// A tree is one supervisor running N services as PID 1 of its namespace.
type tree struct {
	sup     supervisor
	n       int
	dir     string   // the services directory (scan directory)
	log     string   // the supervisor's stdout and stderr
	fifo    *os.File // one byte per service start, written by the service helper
	starts  int      // bytes read from fifo
	unshare int      // our child
	init    int      // host pid of the namespace's PID 1
	ns      pidNS
	t0      time.Time // just before unshare was forked
}

// bootTree lays out a fresh tree (outside the timings) and starts its
// supervisor.
func (b *bench) bootTree(sup supervisor, n int) (*tree, error) {
	t := &tree{sup: sup, n: n, dir: fmt.Sprintf("%s/trees/%s-%d", b.work, sup.name, n)}
	t.log = t.dir + ".log"
	if err := os.RemoveAll(t.dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return nil, err
	}
	if err := sup.layout(b, t.dir, n); err != nil {
		return nil, fmt.Errorf("lay out %s: %w", t.dir, err)
	}
	if err := syscall.Mkfifo(t.dir+"/.started", 0o600); err != nil {
		return nil, err
	}
	// runsvdir scans at start, then at most once a second, and only when the
	// directory's mtime changed; an mtime in the current second also makes
	// it scan again a second later (a change within that second would not
	// show). The tree is complete before it starts, so its first scan sees
	// every service; an mtime in the past spares it the extra scan, as for a
	// tree made at image build time. Harmless for the others.
	past := time.Now().Add(-time.Minute)
	if err := os.Chtimes(t.dir, past, past); err != nil {
		return nil, err
	}
	// O_RDWR: opening a FIFO for reading alone would block until a writer
	// comes, and would read EOF between writers.
	fifo, err := os.OpenFile(t.dir+"/.started", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	t.fifo = fifo
	out, err := os.Create(t.log)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	env := b.treeEnv(t.dir)
	t.t0 = time.Now()
	t.unshare, err = spawn(append(append([]string{}, unshareArgv...), sup.argv(b, t.dir, n)...), env, out)
	if err != nil {
		return nil, err
	}
	if t.init, err = nsInit(t.unshare, time.Now().Add(10*time.Second)); err == nil {
		t.ns, err = nsOf(t.init)
	}
	if err != nil {
		t.abort()
		return nil, err
	}
	return t, nil
}

// treeEnv is the 6-variable environment with vigil's directories those of
// the tree (given to every supervisor: the others ignore them).
func (b *bench) treeEnv(dir string) []string {
	env := withRunDir(b.env(6), dir+"/.run")
	for i, kv := range env {
		if strings.HasPrefix(kv, "VIGIL_SERVICES_DIR=") {
			env[i] = "VIGIL_SERVICES_DIR=" + dir
		}
	}
	return env
}

// waitStarted returns once all N services have started: each service
// process writes one byte to the FIFO as the first thing it does.
func (t *tree) waitStarted(deadline time.Time) (time.Duration, error) {
	buf := make([]byte, 4096)
	for t.starts < t.n {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%d of %d services started", t.starts, t.n)
		}
		if done, ws := exited(t.unshare); done {
			t.unshare = 0
			return 0, fmt.Errorf("%s ended (%s) after %d of %d services: %s", t.sup.name, describe(ws), t.starts, t.n, tail(t.log))
		}
		t.fifo.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		k, _ := t.fifo.Read(buf)
		t.starts += k
	}
	return time.Since(t.t0), nil
}

// extraStarts counts service starts beyond the first N: restarts, which a
// service that never exits should not have.
func (t *tree) extraStarts() int {
	buf := make([]byte, 4096)
	t.fifo.SetReadDeadline(time.Now().Add(time.Millisecond))
	k, _ := t.fifo.Read(buf)
	t.starts += k
	return t.starts - t.n
}

// waitReady returns once the supervisor knows that all N services are ready,
// asked its own way once all have started: vigil by its control socket
// ("wait until ready", protocol 1, README "The control socket's protocol"),
// s6 by s6-svwait -U (up and ready).
func (b *bench) waitReady(t *tree, deadline time.Time) (time.Duration, error) {
	names := make([]string, t.n)
	for i := range names {
		names[i] = serviceName(i + 1)
	}
	switch t.sup.name {
	case "vigil":
		if err := vigilWaitReady(t.dir+"/.run/control.sock", names, deadline); err != nil {
			return 0, err
		}
	case "s6":
		argv := []string{b.tools["s6-svwait"], "-U", "-a", "-t", strconv.FormatInt(time.Until(deadline).Milliseconds(), 10)}
		for _, n := range names {
			argv = append(argv, filepath.Join(t.dir, n))
		}
		pid, err := spawn(argv, b.env(6), b.devnull)
		if err != nil {
			return 0, err
		}
		ws, _, err := reap(pid)
		if err == nil && (ws.Signaled() || ws.ExitStatus() != 0) {
			err = fmt.Errorf("s6-svwait: %s", describe(ws))
		}
		if err != nil {
			return 0, err
		}
	default:
		return 0, errors.New("no readiness")
	}
	return time.Since(t.t0), nil
}

// vigilWaitReady asks the vigil listening at sock to answer once every one
// of names is ready.
func vigilWaitReady(sock string, names []string, deadline time.Time) error {
	var conn net.Conn
	var err error
	for conn == nil {
		if conn, err = net.Dial("unix", sock); err != nil {
			if time.Now().After(deadline) {
				return fmt.Errorf("control socket: %w", err)
			}
			conn = nil
			time.Sleep(time.Millisecond)
		}
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	req, _ := json.Marshal(map[string]any{"v": 1, "cmd": "wait", "until": "ready", "names": names,
		"timeout_ms": time.Until(deadline).Milliseconds()})
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	var resp struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(line, &resp); err != nil || !resp.OK {
		return fmt.Errorf("vigil wait --ready: %s %s", resp.Error, line)
	}
	return nil
}

// census is the tree's processes now: the supervisor processes, and how many
// services run.
func (b *bench) census(t *tree) (sups []int, services int) {
	for _, pid := range descendants(t.init) {
		if exe(pid) == b.service {
			services++
		} else {
			sups = append(sups, pid)
		}
	}
	return sups, services
}

// stop sends SIGTERM to the namespace's init and returns how long until our
// own child, unshare, was reaped: unshare exits when the init does, and the
// kernel ends the init only once every other process of the namespace is
// gone. Then nothing may be left in the namespace.
func (t *tree) stop(limit time.Duration) (time.Duration, string, error) {
	watchdog := time.AfterFunc(limit, func() { syscall.Kill(t.init, syscall.SIGKILL) })
	t0 := time.Now()
	syscall.Kill(t.init, syscall.SIGTERM)
	ws, _, err := reap(t.unshare)
	d := time.Since(t0)
	t.unshare = 0
	killed := !watchdog.Stop()
	t.fifo.Close()
	switch left := t.ns.members(); {
	case err != nil:
	case killed:
		err = fmt.Errorf("not stopped after %v: SIGKILLed", limit)
	case len(left) > 0:
		err = fmt.Errorf("%d processes left in the namespace", len(left))
	}
	return d, describe(ws), err
}

// abort ends a failed tree at once.
func (t *tree) abort() {
	if t.unshare != 0 {
		if t.init != 0 {
			syscall.Kill(t.init, syscall.SIGKILL)
		} else {
			syscall.Kill(t.unshare, syscall.SIGKILL)
		}
		reap(t.unshare)
		t.unshare = 0
	}
	if t.fifo != nil {
		t.fifo.Close()
	}
}

// treeRun is one run of a supervision tree.
type treeRun struct {
	started, ready, stop time.Duration // ready: 0 without notification support
	pssKB, threads       int           // of the supervisor processes
	procs                int           // supervisor processes
	status               string        // the init's exit status
	err                  error
}

// runTree boots a tree, times it until all services started and are ready,
// takes the supervisors' memory and threads, and stops it.
func (b *bench) runTree(sup supervisor, n int) (run treeRun) {
	t, err := b.bootTree(sup, n)
	if err != nil {
		return treeRun{err: err}
	}
	defer func() {
		if run.err != nil {
			t.abort()
		}
	}()
	deadline := time.Now().Add(b.treeLimit)
	if run.started, run.err = t.waitStarted(deadline); run.err != nil {
		return run
	}
	if sup.notify {
		if run.ready, run.err = b.waitReady(t, deadline); run.err != nil {
			return run
		}
	}
	time.Sleep(b.settle)
	sups, services := b.census(t)
	if services != n {
		run.err = fmt.Errorf("%d of %d services running", services, n)
		return run
	}
	for _, pid := range sups {
		kb, err1 := pssKB(pid)
		th, err2 := threads(pid)
		if err := errors.Join(err1, err2); err != nil {
			run.err = err
			return run
		}
		run.pssKB += kb
		run.threads += th
	}
	run.procs = len(sups)
	if k := t.extraStarts(); k != 0 {
		run.err = fmt.Errorf("%d service restarts", k)
		return run
	}
	run.stop, run.status, run.err = t.stop(b.treeLimit)
	return run
}

// measureTrees runs every supervisor with every N, round after round, each
// round running each (N, supervisor) once, supervisors in a rotating order.
func (b *bench) measureTrees() map[string]map[int][]treeRun {
	sups := b.supervisors()
	res := map[string]map[int][]treeRun{}
	for _, s := range sups {
		res[s.name] = map[int][]treeRun{}
	}
	for r := 0; r < b.treeRounds; r++ {
		for _, n := range b.treeNs {
			for i := range sups {
				s := sups[(i+r)%len(sups)]
				run := b.runTree(s, n)
				if run.err != nil {
					b.logf("tree: %s, N=%d: %v", s.name, n, run.err)
				}
				res[s.name][n] = append(res[s.name][n], run)
			}
		}
		b.logf("trees: round %d of %d done", r+1, b.treeRounds)
	}
	return res
}

// idleRun is the wakeups of one tree left idle.
type idleRun struct {
	switches int // context switches of all supervisor threads in the window
	err      error
}

// measureIdle, for each N, starts every supervisor's tree side by side,
// waits until all are started (and ready), lets them settle, and counts the
// context switches of their supervisor processes over the idle window. Idle
// trees do not disturb one another, and one window for all saves minutes.
func (b *bench) measureIdle() map[string]map[int]idleRun {
	res := map[string]map[int]idleRun{}
	sups := b.supervisors()
	for _, s := range sups {
		res[s.name] = map[int]idleRun{}
	}
	for _, n := range b.treeNs {
		var trees []*tree
		for _, s := range sups {
			t, err := b.bootTree(s, n)
			if err == nil {
				deadline := time.Now().Add(b.treeLimit)
				if _, err = t.waitStarted(deadline); err == nil && s.notify {
					_, err = b.waitReady(t, deadline)
				}
				if err != nil {
					t.abort()
				}
			}
			if err != nil {
				res[s.name][n] = idleRun{err: err}
				b.logf("idle: %s, N=%d: %v", s.name, n, err)
				continue
			}
			trees = append(trees, t)
		}
		time.Sleep(2 * time.Second)
		before := map[*tree]map[int]int{}
		for _, t := range trees {
			before[t] = b.switches(t)
		}
		time.Sleep(b.idle)
		for _, t := range trees {
			run := idleRun{}
			after := b.switches(t)
			for pid, c := range after {
				c0, ok := before[t][pid]
				if !ok {
					run.err = fmt.Errorf("supervisor process %d new in the window", pid)
				}
				run.switches += c - c0
			}
			if len(after) != len(before[t]) {
				run.err = fmt.Errorf("%d supervisor processes, were %d", len(after), len(before[t]))
			}
			if _, services := b.census(t); services != n {
				run.err = fmt.Errorf("%d of %d services running", services, n)
			}
			if k := t.extraStarts(); k != 0 {
				run.err = fmt.Errorf("%d service restarts", k)
			}
			if _, _, err := t.stop(b.treeLimit); err != nil && run.err == nil {
				run.err = err
			}
			if run.err != nil {
				b.logf("idle: %s, N=%d: %v", t.sup.name, n, run.err)
			}
			res[t.sup.name][n] = run
		}
	}
	return res
}

// switches is the context switch count of each supervisor process of t.
func (b *bench) switches(t *tree) map[int]int {
	sups, _ := b.census(t)
	out := map[int]int{}
	for _, pid := range sups {
		if c, err := ctxSwitches(pid); err == nil {
			out[pid] = c
		}
	}
	return out
}
