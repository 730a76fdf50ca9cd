package services

import (
	"time"

	"github.com/vigil-init/vigil/execline"
	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/reaper"
	"golang.org/x/sys/unix"
)

// A oneshot (an init script, an s6-rc oneshot, a point of the boot) runs
// its up once when started and its down when stopped; Up means done. Its
// table is the longrun's vocabulary with a smaller life:
//
//	Down --start--> Starting (up runs) --exit 0--> Up --stop--> Stopping (down runs) --exit--> Down
//	Starting --stop--> Stopping (up stopped) --exit--> Down
var oneshotTable = map[State]map[input]cell{
	StateDown: {
		inStart:      do((*Supervisor).startUp),
		inStop:       stale("not run, or done and undone already"),
		inReady:      never("a oneshot has no readiness of its own"),
		inTimer:      never("no timer is armed while down"),
		inRunExit:    never("nothing runs"),
		inFinishExit: never("a oneshot has no finish"),
		inCheckExit:  never("a oneshot has no check"),
		inGroupGone:  never("only asked of orphaned services"),
	},
	StateStarting: {
		inStart:      never("reconcile starts only services that are down"),
		inStop:       do((*Supervisor).stopUp),
		inReady:      never("a oneshot has no readiness of its own"),
		inTimer:      do((*Supervisor).killCommand), // timeout-up
		inRunExit:    do((*Supervisor).upExited),
		inFinishExit: never("a oneshot has no finish"),
		inCheckExit:  never("a oneshot has no check"),
		inGroupGone:  never("only asked of orphaned services"),
	},
	StateUp: {
		inStart:      never("reconcile starts only services that are down"),
		inStop:       do((*Supervisor).startDown),
		inReady:      never("a oneshot has no readiness of its own"),
		inTimer:      never("no timer is armed when done"),
		inRunExit:    never("up has exited"),
		inFinishExit: never("a oneshot has no finish"),
		inCheckExit:  never("a oneshot has no check"),
		inGroupGone:  never("only asked of orphaned services"),
	},
	StateStopping: {
		inStart:      never("reconcile starts only services that are down"),
		inStop:       stale("down runs, or up is being stopped, already"),
		inReady:      never("a oneshot has no readiness of its own"),
		inTimer:      do((*Supervisor).killCommand), // timeout-down, or the stop's timeout-kill of up
		inRunExit:    do((*Supervisor).commandExited),
		inFinishExit: never("a oneshot has no finish"),
		inCheckExit:  never("a oneshot has no check"),
		inGroupGone:  never("only asked of orphaned services"),
	},
}

// oneshotStates are the states a oneshot can be in; the others are a
// longrun's only.
var oneshotStates = []State{StateDown, StateStarting, StateUp, StateStopping}

// startUp runs up (Down → Starting), or is done at once when up is empty.
func (s *Supervisor) startUp(svc *service, _ reaper.Exit) {
	svc.gen++
	svc.restart = false // a restart of a oneshot is its down, then its up
	svc.started, svc.changed = time.Now(), time.Now()
	if len(svc.def.Up) == 0 {
		s.done(svc)
		return
	}
	pid, err := s.runCommand(svc, svc.def.Up)
	if err != nil {
		s.log.Error("oneshot cannot start", "service", svc.def.Name, "up", svc.def.Up[0], "err", err)
		s.upFailed(svc, spawnFailure(err))
		return
	}
	svc.pid, svc.state, svc.command = pid, StateStarting, "up"
	s.setDeadline(svc, svc.def.TimeoutUp)
	s.log.Info("oneshot started", "service", svc.def.Name, "pid", pid)
}

// runCommand starts argv for svc, its output prefixed with its name.
// argv[0] is found in PATH; an execline program that is nowhere there is
// vigil's own (README "execline in vigil").
func (s *Supervisor) runCommand(svc *service, argv []string) (int, error) {
	path, err := execline.LookPath(argv[0], process.LookupEnv(s.env, "PATH"))
	if err != nil {
		return 0, err
	}
	files := []uintptr{s.devNull.Fd(), 1, 2}
	name := svc.def.Prefix
	if name == "" {
		name = svc.def.Name
	}
	opened, err := s.output.Prefix(name, files)
	if err != nil {
		return 0, err
	}
	defer closeAll(opened)
	pid, err := s.start(argv, process.Attr{Path: path, Dir: svc.def.Dir, Env: s.environ(svc), Files: files})
	if err != nil {
		return 0, err
	}
	s.children[pid] = child{svc: svc, role: roleRun, gen: svc.gen}
	return pid, nil
}

// upExited takes up's exit: done on 0, a failure otherwise.
func (s *Supervisor) upExited(svc *service, e reaper.Exit) {
	s.stopTimer(svc)
	svc.pid, svc.last = 0, &e
	s.reloadEnv()
	if e.Code() != 0 {
		s.upFailed(svc, e)
		return
	}
	s.log.Info("oneshot done", "service", svc.def.Name, "after", time.Since(svc.started).Round(time.Millisecond))
	s.done(svc)
}

// upFailed is an up that exited non-zero, was killed, or could not start:
// the container stops with its status (VIGIL_INIT_FAILURE=stop), or the
// failure is logged and counts as done.
func (s *Supervisor) upFailed(svc *service, e reaper.Exit) {
	svc.last = &e
	if !s.opts.OneshotFailure {
		s.log.Warn("oneshot failed; going on", "service", svc.def.Name, "code", e.Code())
		s.done(svc)
		return
	}
	s.log.Error("oneshot failed", "service", svc.def.Name, "code", e.Code())
	svc.failed, svc.want, svc.state = true, false, StateDown
	if s.halt == nil {
		s.halt = &Halt{Service: svc.def.Name, Code: e.Code(), Oneshot: true}
	}
}

// done marks the oneshot up: what depends on it may start.
func (s *Supervisor) done(svc *service) {
	svc.state, svc.readySince = StateUp, time.Now()
}

// stopUp stops an up still running (a shutdown during the boot): its
// group gets SIGTERM and SIGCONT, SIGKILL after vigil's timeout-kill
// (Starting → Stopping, where later stops are stale).
func (s *Supervisor) stopUp(svc *service, _ reaper.Exit) {
	s.log.Info("oneshot stopping", "service", svc.def.Name, "pid", svc.pid)
	s.signal(svc.pid, unix.SIGTERM)
	s.signal(svc.pid, unix.SIGCONT)
	svc.want, svc.state = false, StateStopping
	s.setTimer(svc, s.opts.KillGrace)
}

// killCommand is timeout-up, timeout-down or the stop's grace running
// out on up or down.
func (s *Supervisor) killCommand(svc *service, _ reaper.Exit) {
	s.log.Warn("oneshot ran out of time: SIGKILL", "service", svc.def.Name, "command", svc.command, "pid", svc.pid)
	s.signal(svc.pid, unix.SIGKILL)
}

// startDown runs down at the stop (Up → Stopping), or is down at once.
func (s *Supervisor) startDown(svc *service, _ reaper.Exit) {
	svc.changed = time.Now()
	if len(svc.def.DownCmd) == 0 {
		svc.state = StateDown
		return
	}
	pid, err := s.runCommand(svc, svc.def.DownCmd)
	if err != nil {
		s.log.Error("oneshot down cannot start", "service", svc.def.Name, "down", svc.def.DownCmd[0], "err", err)
		svc.state = StateDown
		return
	}
	svc.pid, svc.state, svc.command = pid, StateStopping, "down"
	s.setDeadline(svc, svc.def.TimeoutDown)
	s.log.Info("oneshot down started", "service", svc.def.Name, "pid", pid)
}

// commandExited: the oneshot is down, whatever the status of its down, or
// of its up that a stop ended (neither done nor failed: its down does not
// run).
func (s *Supervisor) commandExited(svc *service, e reaper.Exit) {
	s.stopTimer(svc)
	svc.pid, svc.state, svc.changed = 0, StateDown, time.Now()
	s.reloadEnv()
	if svc.command == "up" {
		s.log.Info("oneshot stopped", "service", svc.def.Name, "code", e.Code())
		return
	}
	s.log.Info("oneshot down exited", "service", svc.def.Name, "code", e.Code())
}

// reloadEnv takes what a oneshot left in the env snapshot for what starts
// after it.
func (s *Supervisor) reloadEnv() {
	if s.opts.EnvChanged != nil {
		s.env = s.opts.EnvChanged()
	}
}
