package services

import (
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/reaper"
	"golang.org/x/sys/unix"
)

var allStates = []State{StateDown, StateStarting, StateUp, StateStopping, StateFinishing, StateBackoff, StateOrphaned}

var allInputs = []input{inStart, inStop, inReady, inTimer, inRunExit, inFinishExit, inCheckExit, inGroupGone}

// TestTableComplete: every (state, input) pair has an action, or says why
// it has none: stale (it happens; nothing to do) or impossible.
func TestTableComplete(t *testing.T) {
	checkTable(t, "table", table, allStates)
	checkTable(t, "oneshotTable", oneshotTable, oneshotStates)
	for st := range oneshotTable {
		if !slices.Contains(oneshotStates, st) {
			t.Errorf("oneshotTable has state %v; oneshotStates does not list it", st)
		}
	}
}

func checkTable(t *testing.T, name string, table map[State]map[input]cell, states []State) {
	for _, st := range states {
		for _, in := range allInputs {
			c, ok := table[st][in]
			switch {
			case !ok:
				t.Errorf("%s[%v][%d] missing; want an action or a reason", name, st, in)
			case c.act != nil && c.none != "":
				t.Errorf("%s[%v][%d] has an action and a reason %q; want one", name, st, in, c.none)
			case c.act == nil && !strings.HasPrefix(c.none, "stale: ") && !strings.HasPrefix(c.none, "impossible: "):
				t.Errorf("%s[%v][%d] = no action, reason %q; want a stale: or impossible: reason", name, st, in, c.none)
			}
		}
	}
}

// fakeProcs stands in for process.Start and process.SignalGroup.
type fakeProcs struct {
	group   bool // what run left in its group is alive
	next    int
	started []string // the base names of what was started: run, finish, check
	signals []unix.Signal
}

func newTableSupervisor(t *testing.T) (*Supervisor, *fakeProcs) {
	t.Helper()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devNull.Close() })
	s, err := New(nil, nil, Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DevNull: devNull})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeProcs{next: 1000}
	s.start = func(argv []string, _ process.Attr) (int, error) {
		f.next++
		f.started = append(f.started, argv[0][strings.LastIndexByte(argv[0], '/')+1:])
		return f.next, nil
	}
	s.kill = func(_ int, sig unix.Signal) { f.signals = append(f.signals, sig) }
	s.alive = func(int) bool { return f.group }
	return s, f
}

// transitionCase is one input given to a service in a state, and what
// must follow.
type transitionCase struct {
	name    string
	from    State
	in      input
	exit    reaper.Exit
	setup   func(*service)
	want    State
	started []string
	signals []unix.Signal
	timer   bool // a timer is armed afterwards
	orphans bool // run leaves processes in its group
}

// TestTransitions drives one service through each pair of the table with
// fake processes: the state it ends in, what it started, what it signalled.
func TestTransitions(t *testing.T) {
	exited := func(code int) reaper.Exit { return reaper.Exit{Pid: 1, Status: unix.WaitStatus(code << 8)} }
	killed := reaper.Exit{Pid: 1, Status: unix.WaitStatus(unix.SIGKILL)}
	tests := []transitionCase{
		{name: "start, ready at once", from: StateDown, in: inStart, want: StateUp, started: []string{"run"}},
		{name: "start, notification-fd", from: StateDown, in: inStart, setup: func(v *service) { v.def.NotificationFD = 3 },
			want: StateStarting, started: []string{"run"}},
		{name: "start, check", from: StateDown, in: inStart, setup: func(v *service) { v.def.Check = "/svc/check" },
			want: StateStarting, started: []string{"run", "check"}, timer: true},
		{name: "stop while starting", from: StateStarting, in: inStop, want: StateStopping,
			signals: []unix.Signal{unix.SIGTERM, unix.SIGCONT}, timer: true},
		{name: "stop with no limit", from: StateUp, in: inStop, setup: func(v *service) { v.def.TimeoutKill = NoLimit },
			want: StateStopping, signals: []unix.Signal{unix.SIGTERM, unix.SIGCONT}},
		{name: "stop, down-signal", from: StateUp, in: inStop, setup: func(v *service) { v.def.DownSignal = unix.SIGQUIT },
			want: StateStopping, signals: []unix.Signal{unix.SIGQUIT, unix.SIGCONT}, timer: true},
		{name: "ready", from: StateStarting, in: inReady, want: StateUp},
		{name: "probe too slow", from: StateStarting, in: inTimer, setup: func(v *service) { v.checkPid = 7 },
			want: StateStarting, signals: []unix.Signal{unix.SIGKILL}},
		{name: "next probe", from: StateStarting, in: inTimer, setup: func(v *service) { v.def.Check = "/svc/check" },
			want: StateStarting, started: []string{"check"}, timer: true},
		{name: "probe says ready", from: StateStarting, in: inCheckExit, exit: exited(0), want: StateUp},
		{name: "probe says not yet", from: StateStarting, in: inCheckExit, exit: exited(1), want: StateStarting, timer: true},
		{name: "dies while starting", from: StateStarting, in: inRunExit, exit: exited(1), want: StateBackoff, timer: true},
		{name: "dies, finish runs", from: StateUp, in: inRunExit, exit: exited(3), setup: func(v *service) { v.def.Finish = "/svc/finish" },
			want: StateFinishing, started: []string{"finish"}, timer: true},
		{name: "finish with no limit", from: StateUp, in: inRunExit, exit: killed, setup: func(v *service) {
			v.def.Finish, v.def.TimeoutFinish = "/svc/finish", NoLimit
		}, want: StateFinishing, started: []string{"finish"}},
		{name: "dies, restart never", from: StateUp, in: inRunExit, exit: exited(0), setup: func(v *service) { v.def.Restart = RestartNever },
			want: StateDown},
		{name: "did not stop in time", from: StateStopping, in: inTimer, want: StateStopping, signals: []unix.Signal{unix.SIGKILL}},
		{name: "drained logger gets its down-signal", from: StateStopping, in: inTimer, setup: func(v *service) { v.draining = true },
			want: StateStopping, signals: []unix.Signal{unix.SIGTERM, unix.SIGCONT}, timer: true},
		{name: "stopped", from: StateStopping, in: inRunExit, exit: killed, setup: func(v *service) { v.want = false }, want: StateDown},
		{name: "finish too slow", from: StateFinishing, in: inTimer, want: StateFinishing, signals: []unix.Signal{unix.SIGKILL}},
		{name: "finish says stay down", from: StateFinishing, in: inFinishExit, exit: exited(125), want: StateDown},
		{name: "finish done, restart", from: StateFinishing, in: inFinishExit, exit: exited(0), want: StateBackoff, timer: true},
		{name: "stop in backoff", from: StateBackoff, in: inStop, want: StateDown},
		{name: "dies, leaves its group", from: StateUp, in: inRunExit, exit: killed, orphans: true,
			want: StateOrphaned, signals: []unix.Signal{unix.SIGTERM, unix.SIGCONT}, timer: true},
		{name: "dies, keeps its orphans", from: StateUp, in: inRunExit, exit: killed, orphans: true,
			setup: func(v *service) { v.def.KeepOrphans = true }, want: StateBackoff, timer: true},
		{name: "stopped, group already killed", from: StateStopping, in: inRunExit, exit: killed, orphans: true,
			want: StateOrphaned, timer: true},
		{name: "stopped, group still in its grace", from: StateStopping, in: inRunExit, exit: killed, orphans: true,
			setup: func(v *service) { v.timer = time.NewTimer(time.Hour) }, want: StateOrphaned, timer: true},
		{name: "orphans did not stop in time", from: StateOrphaned, in: inTimer, want: StateOrphaned,
			signals: []unix.Signal{unix.SIGKILL}, timer: true},
		{name: "orphans outlive SIGKILL", from: StateOrphaned, in: inTimer, setup: func(v *service) { v.groupKill = true },
			want: StateBackoff, timer: true},
		{name: "orphans gone, finish runs", from: StateOrphaned, in: inGroupGone, setup: func(v *service) { v.def.Finish = "/svc/finish" },
			want: StateFinishing, started: []string{"finish"}, timer: true},
		{name: "backoff over", from: StateBackoff, in: inTimer, want: StateDown},
	}
	for _, st := range allStates {
		for _, in := range allInputs {
			if table[st][in].act == nil {
				tests = append(tests, transitionCase{name: table[st][in].none, from: st, in: in, want: st})
			}
		}
	}
	covered := map[[2]int]bool{}
	for _, tt := range tests {
		t.Run(tt.from.String()+"/"+tt.name, func(t *testing.T) {
			s, f := newTableSupervisor(t)
			f.group = tt.orphans
			def := &Definition{Name: "web", Dir: "/svc", Run: "/svc/run", DownSignal: unix.SIGTERM, Restart: RestartAlways,
				TimeoutKill: Limit(time.Hour), TimeoutFinish: Limit(time.Hour)}
			svc := &service{def: def, state: tt.from, want: true, pid: 42, started: time.Now(), last: &reaper.Exit{}}
			if tt.setup != nil {
				tt.setup(svc)
			}
			s.services, s.byName[def.Name] = []*service{svc}, svc
			s.transition(svc, tt.in, tt.exit)
			t.Cleanup(func() { s.stopTimer(svc); s.stopProbes(svc) })
			if svc.state != tt.want || !slices.Equal(f.started, tt.started) || !slices.Equal(f.signals, tt.signals) || (svc.timer != nil) != tt.timer {
				t.Errorf("(%v, %d) → %v, started %q, signals %v, timer %v; want %v, started %q, signals %v, timer %v",
					tt.from, tt.in, svc.state, f.started, f.signals, svc.timer != nil, tt.want, tt.started, tt.signals, tt.timer)
			}
		})
		covered[[2]int{int(tt.from), int(tt.in)}] = true
	}
	for _, st := range allStates {
		for _, in := range allInputs {
			if !covered[[2]int{int(st), int(in)}] {
				t.Errorf("(%v, %d): no case; want one for every pair", st, in)
			}
		}
	}
}
