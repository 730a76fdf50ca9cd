package services

import (
	"os"
	"time"

	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/reaper"
	"golang.org/x/sys/unix"
)

// State is where a service is in its life.
type State int

// The states of a service. Only the Supervisor's loop changes them, through
// the table below.
const (
	StateDown      State = iota // not running (wanted or not)
	StateStarting               // run runs, not ready yet
	StateUp                     // run runs and is ready
	StateStopping               // down-signal sent; waiting for run to exit
	StateFinishing              // finish runs
	StateBackoff                // waiting out the restart delay
	StateOrphaned               // run exited; what it left in its process group is being stopped
)

// String is the state as `vigil status` shows it: orphans being stopped
// are part of stopping.
func (st State) String() string {
	return [...]string{"down", "starting", "up", "stopping", "finishing", "backoff", "stopping"}[st]
}

// input is what can happen to a service.
type input int

const (
	inStart      input = iota // wanted up and dependencies ready (from reconcile)
	inStop                    // not wanted and dependents down (from reconcile)
	inReady                   // a newline on the notification fd
	inTimer                   // the service's one timer fired
	inRunExit                 // run exited
	inFinishExit              // finish exited
	inCheckExit               // check exited
	inGroupGone               // no process is left in the group run led (from Reaped)
)

// action is what a service does on an input in a state.
type action func(s *Supervisor, svc *service, e reaper.Exit)

// cell is one (state, input) pair of the table: an action, or why there is
// none.
type cell struct {
	act  action
	none string // with act nil: "stale: …" (it happens, nothing to do) or "impossible: …"
}

func do(a action) cell        { return cell{act: a} }
func stale(why string) cell   { return cell{none: "stale: " + why} }
func never(why string) cell   { return cell{none: "impossible: " + why} }
func exitOf(what string) cell { return stale("the exit of a " + what + " killed earlier, of this run") }

// table is the state machine: every (state, input) pair, with its action
// or the reason it has none. TestTable checks that no pair is missing.
var table = map[State]map[input]cell{
	StateDown: {
		inStart:      do((*Supervisor).startRun),
		inStop:       stale("not running already"),
		inReady:      never("readiness is only read while starting"),
		inTimer:      never("no timer is armed while down"),
		inRunExit:    never("run does not run"),
		inFinishExit: never("finish ran before down"),
		inCheckExit:  exitOf("check"),
		inGroupGone:  never("only asked of orphaned services"),
	},
	StateStarting: {
		inStart:      never("reconcile starts only services that are down"),
		inStop:       do((*Supervisor).stopRun),
		inReady:      do((*Supervisor).becomeReady),
		inTimer:      do((*Supervisor).probeTimer), // the next probe, or a probe too slow
		inRunExit:    do((*Supervisor).runExited),
		inFinishExit: never("finish runs after run"),
		inCheckExit:  do((*Supervisor).checkExited),
		inGroupGone:  never("only asked of orphaned services"),
	},
	StateUp: {
		inStart:      never("reconcile starts only services that are down"),
		inStop:       do((*Supervisor).stopRun),
		inReady:      never("the notification pipe is closed once ready"),
		inTimer:      never("no timer is armed while up"),
		inRunExit:    do((*Supervisor).runExited),
		inFinishExit: never("finish runs after run"),
		inCheckExit:  never("the probe that made it ready has exited"),
		inGroupGone:  never("only asked of orphaned services"),
	},
	StateStopping: {
		inStart:      never("reconcile starts only services that are down"),
		inStop:       stale("stopping already"),
		inReady:      stale("a notification sent before the stop"),
		inTimer:      do((*Supervisor).escalate),
		inRunExit:    do((*Supervisor).runExited),
		inFinishExit: never("finish runs after run"),
		inCheckExit:  exitOf("check"),
		inGroupGone:  never("only asked of orphaned services"),
	},
	StateFinishing: {
		inStart:      never("reconcile starts only services that are down"),
		inStop:       stale("finish runs to its end; the decision after it sees the want"),
		inReady:      stale("a notification sent before run exited"),
		inTimer:      do((*Supervisor).killFinish),
		inRunExit:    never("run has exited"),
		inFinishExit: do((*Supervisor).finished),
		inCheckExit:  exitOf("check"),
		inGroupGone:  never("only asked of orphaned services"),
	},
	StateBackoff: {
		inStart:      never("reconcile starts only services that are down"),
		inStop:       do((*Supervisor).cancelRestart),
		inReady:      stale("a notification sent before run exited"),
		inTimer:      do((*Supervisor).cancelRestart), // delay over: down, and reconcile starts it
		inRunExit:    never("run has exited"),
		inFinishExit: never("finish has exited"),
		inCheckExit:  exitOf("check"),
		inGroupGone:  never("only asked of orphaned services"),
	},
	StateOrphaned: {
		inStart:      never("reconcile starts only services that are down"),
		inStop:       stale("run has exited; what it left is being stopped"),
		inReady:      stale("a notification sent before run exited"),
		inTimer:      do((*Supervisor).killOrphans),
		inRunExit:    never("run has exited"),
		inFinishExit: never("finish runs once the group is gone"),
		inCheckExit:  exitOf("check"),
		inGroupGone:  do((*Supervisor).orphansGone),
	},
}

// service is the Supervisor's state for one service. Owned by the loop.
type service struct {
	def   *Definition
	state State
	want  bool // meant to be up: set by Boot and start, cleared by stop and Shutdown
	// failed: down for good (restart policy, or finish exited 125) until a
	// start asks again.
	failed  bool
	restart bool // a restart was asked for: start again at once after this exit
	removed bool // gone from the service directory: forgotten once down

	gen       int           // starts so far; events of an earlier run carry an older one
	pid       int           // run's pid and process group; 0 when run is not running
	user      *process.User // who this run's processes run as, resolved when it started
	group     int           // the process group run left behind (StateOrphaned)
	groupKill bool          // that group got SIGKILL
	fault     string        // why the service cannot start (its user): shown by status and check
	finishPid int
	checkPid  int
	command   string // a oneshot's: "up" or "down", the one pid runs
	started   time.Time
	restarts  int          // automatic restarts so far
	fast      int          // fast deaths in a row (backoff)
	checks    int          // readiness probes of this run so far
	last      *reaper.Exit // run's last exit

	// For status (s6-svstat): when run last started or ended, and when the
	// service last became ready or was done stopping.
	changed, readySince time.Time

	timer    *time.Timer // the one pending timer; which one depends on the state
	timerSeq int
	draining bool // a logger waiting for EOF before its down-signal

	notify           *os.File // the read end of the notification pipe while not ready
	stdin            *os.File // a logger's: the read end of its producer's pipe
	feed             *os.File // a consumer's: the write end of its pipe, its producers' stdout
	logger           *service // a producer's consumer (its log/, or producer-for)
	producer         *service // a log/'s service: its down file and disabling are the logger's
	deps, dependents []*service
}

// transition applies the table.
func (s *Supervisor) transition(svc *service, in input, e reaper.Exit) {
	t := table
	if svc.def.Kind == Oneshot {
		t = oneshotTable
	}
	if c := t[svc.state][in]; c.act != nil {
		c.act(s, svc, e)
	}
}

// reconcile turns wants into inputs until nothing changes: a service
// starts once its dependencies are ready, and stops once its dependents
// are down.
func (s *Supervisor) reconcile() {
	for changed := true; changed; {
		changed = false
		for _, svc := range s.services {
			before := svc.state
			switch {
			case svc.want && !svc.failed && !s.closing && svc.state == StateDown && s.depsReady(svc):
				s.transition(svc, inStart, reaper.Exit{})
			case !svc.want && s.dependentsDown(svc):
				s.transition(svc, inStop, reaper.Exit{})
			}
			changed = changed || svc.state != before
		}
	}
	s.forget()
}

func (s *Supervisor) depsReady(svc *service) bool {
	for _, dep := range svc.deps {
		if dep.state != StateUp {
			return false
		}
	}
	return true
}

// dependentsDown reports whether what depends on svc is down: a point of
// the boot counts only at the shutdown (see unwant).
func (s *Supervisor) dependentsDown(svc *service) bool {
	for _, d := range svc.dependents {
		if d.def.Point && !s.closing {
			continue
		}
		if d.state != StateDown || d.finishPid != 0 {
			return false
		}
	}
	return true
}

// setTimer arms svc's one timer; its event carries a number so that a
// timer replaced or cancelled meanwhile is ignored.
func (s *Supervisor) setTimer(svc *service, d time.Duration) {
	s.stopTimer(svc)
	seq := svc.timerSeq
	svc.timer = time.AfterFunc(d, func() { s.events <- Event{svc: svc, kind: inTimer, seq: seq} })
}

// setDeadline arms svc's timer for t; with NoLimit it only cancels the
// timer pending, so that nothing fires.
func (s *Supervisor) setDeadline(svc *service, t Timeout) {
	if d, ok := t.Duration(); ok {
		s.setTimer(svc, d)
		return
	}
	s.stopTimer(svc)
}

func (s *Supervisor) stopTimer(svc *service) {
	if svc.timer != nil {
		svc.timer.Stop()
		svc.timer = nil
	}
	svc.timerSeq++
}

// signal sends sig to the process group pid leads.
func (s *Supervisor) signal(pid int, sig unix.Signal) {
	s.kill(pid, sig)
}
