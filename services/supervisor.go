package services

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/reaper"
	"golang.org/x/sys/unix"
)

// Options are what the Supervisor takes from vigil.
type Options struct {
	Log     *slog.Logger
	DevNull *os.File // open /dev/null: stdin of every service process, stdio of checks
	Output  *Output  // prefixes service output; nil: services write to vigil's stdout and stderr directly
	// OneshotFailure stops the container when a oneshot fails (an init
	// script, an s6-rc oneshot: VIGIL_INIT_FAILURE=stop); otherwise the
	// failure is logged and counts as done.
	OneshotFailure bool
	// EnvChanged is called after each oneshot ends and returns the
	// environment for what starts from then on (the env snapshot read back).
	EnvChanged func() []string
	// KillGrace is how long a oneshot still running at a stop has between
	// SIGTERM and SIGKILL (VIGIL_SERVICES_GRACETIME).
	KillGrace time.Duration
}

// Supervisor runs the services. It is owned by one loop: every method is
// called from that loop's goroutine, which also receives Events and hands
// them back to Handle.
type Supervisor struct {
	log      *slog.Logger
	env      []string
	devNull  *os.File
	output   *Output
	services []*service // in name order, each logger right after its producer
	byName   map[string]*service
	children map[int]child // every process started and not yet reaped
	events   chan Event
	halt     *Halt
	closing  bool // the shutdown has begun: nothing restarts, loggers drain
	opts     Options
	bundles  map[string][]string // bundle name → its services
	boot     []string            // the services Boot starts

	// start and kill are process.Start and process.SignalGroup; the state
	// table's test puts fakes in their place.
	start func(argv []string, a process.Attr) (int, error)
	kill  func(pgid int, sig unix.Signal)
	alive func(pgid int) bool // process.GroupAlive
}

// Halt is an essential service down for good: the container stops with
// its code.
type Halt struct {
	Service string
	Code    int
	Oneshot bool // a oneshot (an init script) failed, under VIGIL_INIT_FAILURE=stop
}

// Event is something that happened to a service outside the loop: a
// readiness notification or a timer. The loop receives it from Events and
// gives it to Handle.
type Event struct {
	svc  *service
	kind input
	seq  int // the service's generation (readiness) or timer number
}

// New prepares the services of tree, with the pipe between each producer
// and its consumer (a log/, or producer-for), held by vigil for as long as
// it runs. Nothing starts before Boot.
func New(tree *Tree, env []string, opts Options) (*Supervisor, error) {
	s := &Supervisor{
		log: opts.Log, env: env, devNull: opts.DevNull, output: opts.Output, opts: opts,
		byName:   make(map[string]*service),
		children: make(map[int]child),
		events:   make(chan Event, 64),
		start:    process.Start,
		kill:     func(pgid int, sig unix.Signal) { process.SignalGroup(opts.Log, pgid, sig) },
		alive:    process.GroupAlive,
	}
	if tree == nil {
		tree = &Tree{}
	}
	s.bundles, s.boot = tree.Bundles, tree.Boot
	for _, def := range tree.Defs {
		s.add(def)
	}
	if err := s.connect(); err != nil {
		return nil, err
	}
	s.link()
	return s, nil
}

// add creates the service of def.
func (s *Supervisor) add(def *Definition) *service {
	now := time.Now()
	svc := &service{def: def, changed: now, readySince: now}
	s.services = append(s.services, svc)
	s.byName[def.Name] = svc
	return svc
}

// connect gives each consumer its pipe and each producer its consumer: a
// logger of log/ follows its producer's down file and VIGIL_DISABLE.
func (s *Supervisor) connect() error {
	for _, svc := range s.services {
		if svc.def.Consumer == "" || svc.logger != nil {
			continue
		}
		c := s.byName[svc.def.Consumer]
		if c == nil {
			continue // a log/ added by reload: it takes effect at the next container start
		}
		if c.feed == nil {
			r, w, err := os.Pipe()
			if err != nil {
				return fmt.Errorf("service %s: create log pipe: %w", c.def.Name, err)
			}
			c.stdin, c.feed = r, w
		}
		svc.logger = c
		if svc.def.Log == c.def {
			c.producer = svc
		}
	}
	return nil
}

// link resolves dependencies to services. A producer depends on its
// consumer: the logger starts first and stops last.
func (s *Supervisor) link() {
	for _, svc := range s.services {
		svc.deps, svc.dependents = nil, nil
	}
	for _, svc := range s.services {
		for _, name := range svc.def.Dependencies {
			if dep := s.byName[name]; dep != nil {
				svc.deps = append(svc.deps, dep)
			}
		}
		if svc.logger != nil && !slices.Contains(svc.deps, svc.logger) {
			svc.deps = append(svc.deps, svc.logger)
		}
		for _, dep := range svc.deps {
			dep.dependents = append(dep.dependents, svc)
		}
	}
}

// SetEnv sets the environment every service process starts with (before
// its user's and its env/'s): the container's, as init scripts left it.
func (s *Supervisor) SetEnv(env []string) { s.env = env }

// Events delivers what Handle must be given.
func (s *Supervisor) Events() <-chan Event { return s.events }

// Handle applies an event from Events.
func (s *Supervisor) Handle(ev Event) {
	svc := ev.svc
	switch ev.kind {
	case inReady:
		if ev.seq != svc.gen {
			return // from an earlier run
		}
	case inTimer:
		if ev.seq != svc.timerSeq || svc.timer == nil {
			return // cancelled or replaced
		}
		svc.timer = nil
	}
	s.transition(svc, ev.kind, reaper.Exit{})
	s.reconcile()
}

// Exited takes an exit from the reaper. It reports whether the pid was one
// of the Supervisor's processes.
func (s *Supervisor) Exited(e reaper.Exit) bool {
	ch, ok := s.children[e.Pid]
	if !ok {
		return false
	}
	delete(s.children, e.Pid)
	svc := ch.svc
	switch ch.role {
	case roleRun:
		s.transition(svc, inRunExit, e)
	case roleFinish:
		svc.finishPid = 0
		s.transition(svc, inFinishExit, e)
	case roleCheck:
		svc.checkPid = 0
		if ch.gen == svc.gen {
			s.transition(svc, inCheckExit, e)
		}
	}
	s.reconcile()
	return true
}

// Boot starts what the tree starts at boot, in dependency order: every
// service not marked down and not in disabled, with what it depends on. A
// dependency marked down or disabled does not start, and its dependents
// wait for it, with a warning.
func (s *Supervisor) Boot(disabled []string) {
	off := s.disabledSet(disabled)
	for _, name := range disabled {
		if s.byName[name] == nil && s.bundles[name] == nil {
			s.log.Warn("VIGIL_DISABLE names no service", "service", name)
		}
	}
	held := func(svc *service) bool { o := owner(svc); return o.def.Down || off[o.def.Name] }
	var want func(svc *service)
	want = func(svc *service) {
		if svc.want {
			return
		}
		svc.want = true
		for _, dep := range svc.deps {
			if held(dep) {
				s.log.Warn("service waits for a dependency that does not start", "service", svc.def.Name, "dependency", dep.def.Name)
				continue
			}
			want(dep)
		}
	}
	for _, name := range s.boot {
		if svc := s.byName[name]; svc != nil && !held(svc) {
			want(svc)
		}
	}
	s.reconcile()
}

// disabledSet is VIGIL_DISABLE's names as a set, a bundle standing for
// its members.
func (s *Supervisor) disabledSet(disabled []string) map[string]bool {
	off := make(map[string]bool)
	for _, name := range disabled {
		off[name] = true
		for _, m := range s.bundles[name] {
			off[m] = true
		}
	}
	return off
}

// Ready reports whether every service meant to be up is ready. The loop
// asks after every event: it stops at the first that is not.
func (s *Supervisor) Ready() bool {
	for _, svc := range s.services {
		if s.meantUp(svc) && svc.state != StateUp {
			return false
		}
	}
	return true
}

// NotReady names the services meant to be up that are not ready.
func (s *Supervisor) NotReady() []string {
	var names []string
	for _, svc := range s.services {
		if s.meantUp(svc) && svc.state != StateUp {
			names = append(names, svc.def.Name)
		}
	}
	return names
}

// meantUp reports whether svc is wanted and can start: wanted, not down
// for good, and every dependency meant to be up too.
func (s *Supervisor) meantUp(svc *service) bool {
	if !svc.want || svc.failed {
		return false
	}
	for _, dep := range svc.deps {
		if !s.meantUp(dep) {
			return false
		}
	}
	return true
}

// Closing says the shutdown has begun (its first stage stops the CMD):
// nothing starts or restarts from now on, even before Shutdown.
func (s *Supervisor) Closing() { s.closing = true }

// Shutdown stops every service in reverse dependency order, independent
// ones together; nothing restarts from now on.
func (s *Supervisor) Shutdown() {
	s.closing = true
	for _, svc := range s.services {
		svc.want = false
	}
	s.reconcile()
}

// Reaped is told after each batch of exits: the processes a run left in
// its group are vigil's to reap once their leader is gone (it is PID 1 or
// a subreaper), so a batch is when such a group may have emptied.
func (s *Supervisor) Reaped() {
	for _, svc := range s.services {
		if svc.state == StateOrphaned && !s.alive(svc.group) {
			s.transition(svc, inGroupGone, reaper.Exit{})
		}
	}
	s.reconcile()
}

// Down reports whether no service process is left: every run, finish and
// check has exited, and what runs left in their groups too.
func (s *Supervisor) Down() bool {
	if len(s.children) > 0 {
		return false
	}
	for _, svc := range s.services {
		if svc.state == StateOrphaned {
			return false
		}
	}
	return true
}

// Halted returns the essential service that is down for good, if any.
func (s *Supervisor) Halted() (Halt, bool) {
	if s.halt == nil {
		return Halt{}, false
	}
	return *s.halt, true
}

// KillAll sends SIGKILL to the process group of every service process:
// the shutdown's time is up.
func (s *Supervisor) KillAll() {
	for pid := range s.children {
		s.signal(pid, unix.SIGKILL)
	}
}
