package services

import (
	"os"
	"time"

	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/reaper"
	"golang.org/x/sys/unix"
)

// noFinish is finished's code when there was no finish to run.
const noFinish = -1

// finishNoRestart is finish's exit code for "stay down" (s6's convention).
const finishNoRestart = 125

// startRun starts run with the service name as $1 (Down → Starting, or Up
// when nothing tells readiness).
func (s *Supervisor) startRun(svc *service, _ reaper.Exit) {
	def := svc.def
	u, err := s.resolveUser(svc)
	if err != nil {
		// Not a fast death to retry: no restart makes the user exist or
		// vigil root. The service fails alone (README "Services", user).
		s.log.Error("service cannot start", "service", def.Name, "err", err)
		svc.fault = err.Error()
		svc.last = &reaper.Exit{Status: unix.WaitStatus(process.ExitNotExecutable << 8)}
		s.downForGood(svc, "its user cannot be assumed")
		return
	}
	svc.user, svc.fault = u, ""
	svc.gen++
	// Started now even if the exec fails: a run that cannot start is a
	// fast death, and backs off like one.
	svc.checks, svc.started = 0, time.Now()
	svc.changed = svc.started
	files, opened, err := s.stdio(svc)
	if err != nil {
		s.log.Error("service cannot start: output pipe", "service", def.Name, "err", err)
		s.afterExit(svc, spawnFailure(err))
		return
	}
	defer closeAll(opened) // the child has them, or did not start
	var notifyR, notifyW *os.File
	if def.NotificationFD > 0 {
		var err error
		if notifyR, notifyW, err = os.Pipe(); err != nil {
			s.log.Error("service cannot start: notification pipe", "service", def.Name, "err", err)
			s.afterExit(svc, spawnFailure(err))
			return
		}
		// Fd makes the write end blocking, as the service expects it.
		files = withFD(files, def.NotificationFD, notifyW.Fd())
	}
	pid, err := s.spawn(svc, roleRun, def.Run, []string{def.Name}, files)
	if notifyW != nil {
		notifyW.Close() // the service holds the only write end now
	}
	if err != nil {
		if notifyR != nil {
			notifyR.Close()
		}
		s.log.Error("service cannot start", "service", def.Name, "run", def.Run, "err", err)
		s.afterExit(svc, spawnFailure(err))
		return
	}
	svc.pid = pid
	switch {
	case notifyR != nil:
		svc.state, svc.notify = StateStarting, notifyR
		go watchNotification(notifyR, s.events, Event{svc: svc, kind: inReady, seq: svc.gen})
	case def.Check != "":
		svc.state = StateStarting
		s.startCheck(svc, reaper.Exit{})
	default:
		svc.state = StateUp
	}
	s.log.Info("service started", "service", def.Name, "pid", pid, "ready", svc.state == StateUp)
}

// spawnFailure is the exit a run that could not be executed stands for,
// as a shell would report it: 127 not found, 126 not executable.
func spawnFailure(err error) reaper.Exit {
	return reaper.Exit{Status: unix.WaitStatus(process.FailureCode(err) << 8)}
}

// becomeReady marks the service ready (Starting → Up).
func (s *Supervisor) becomeReady(svc *service, _ reaper.Exit) {
	s.stopTimer(svc)
	s.stopProbes(svc)
	svc.state, svc.readySince = StateUp, time.Now()
	s.log.Info("service ready", "service", svc.def.Name, "pid", svc.pid, "after", time.Since(svc.started).Round(time.Millisecond))
}

// stopRun stops run: down-signal and SIGCONT to its group, SIGKILL after
// timeout-kill (→ Stopping). A consumer being shut down (its producers are
// down) first reads its pipe to the end, so that it writes everything out.
func (s *Supervisor) stopRun(svc *service, _ reaper.Exit) {
	s.stopTimer(svc)
	s.stopProbes(svc)
	svc.state = StateStopping
	if svc.feed != nil && s.closing {
		svc.feed.Close() // vigil's write end: the logger reads to EOF and exits
		svc.feed = nil
		svc.draining = true
		s.setDeadline(svc, svc.def.TimeoutKill)
		return
	}
	s.sendDownSignal(svc)
}

func (s *Supervisor) sendDownSignal(svc *service) {
	sig := svc.def.DownSignal
	if sig == 0 {
		sig = unix.SIGTERM
	}
	s.log.Info("service stopping", "service", svc.def.Name, "pid", svc.pid, "signal", process.SignalName(sig))
	s.signal(svc.pid, sig)
	s.signal(svc.pid, unix.SIGCONT)
	s.setDeadline(svc, svc.def.TimeoutKill)
}

// escalate is timeout-kill running out in Stopping: a draining logger gets
// its down-signal, anything else SIGKILL.
func (s *Supervisor) escalate(svc *service, _ reaper.Exit) {
	if svc.draining {
		svc.draining = false
		s.sendDownSignal(svc)
		return
	}
	s.log.Warn("service did not stop in time: SIGKILL", "service", svc.def.Name, "pid", svc.pid)
	s.signal(svc.pid, unix.SIGKILL)
}

// runExited handles an exit of run. What run leaves in its process group
// (workers of a killed master, say) is stopped first, unless the service
// keeps orphans; then finish, if there is one.
func (s *Supervisor) runExited(svc *service, e reaper.Exit) {
	s.stopProbes(svc)
	pgid, stopping := svc.pid, svc.state == StateStopping && !svc.draining
	svc.pid, svc.draining, svc.changed = 0, false, time.Now()
	attrs := []any{"service", svc.def.Name, "pid", e.Pid, "code", e.Code()}
	if e.Status.Signaled() {
		attrs = append(attrs, "signal", process.SignalName(e.Status.Signal()))
	}
	s.log.Info("service exited", attrs...)
	svc.last = &e
	if svc.def.KeepOrphans || !s.alive(pgid) {
		s.stopTimer(svc)
		s.afterExit(svc, e)
		return
	}
	svc.state, svc.group, svc.groupKill = StateOrphaned, pgid, false
	if stopping {
		// The group has its down-signal: timeout-kill runs on, or has run
		// out already, and then the group has its SIGKILL too.
		if _, limited := svc.def.TimeoutKill.Duration(); limited && svc.timer == nil {
			svc.groupKill = true
			s.setTimer(svc, orphanGrace)
		}
		return
	}
	s.log.Info("service stopping what run left", "service", svc.def.Name, "pgid", pgid, "signal", process.SignalName(svc.def.DownSignal))
	s.signal(pgid, svc.def.DownSignal)
	s.signal(pgid, unix.SIGCONT)
	s.setDeadline(svc, svc.def.TimeoutKill)
}

// orphanGrace bounds the wait for a group after its SIGKILL: a process
// the kernel cannot kill at once (uninterruptible sleep), or whose parent
// outside the group does not reap it, must not keep the service stopping.
const orphanGrace = time.Second

// killOrphans is timeout-kill running out with the group still there:
// SIGKILL; and when even that did not end it, go on without it.
func (s *Supervisor) killOrphans(svc *service, _ reaper.Exit) {
	if svc.groupKill {
		s.log.Warn("processes left in the group after SIGKILL; going on", "service", svc.def.Name, "pgid", svc.group)
		s.orphansGone(svc, reaper.Exit{})
		return
	}
	s.log.Warn("what run left did not stop in time: SIGKILL", "service", svc.def.Name, "pgid", svc.group)
	svc.groupKill = true
	s.signal(svc.group, unix.SIGKILL)
	s.setTimer(svc, orphanGrace)
}

// orphansGone: nothing is left of run's group; on to finish.
func (s *Supervisor) orphansGone(svc *service, _ reaper.Exit) {
	s.stopTimer(svc)
	svc.group, svc.groupKill = 0, false
	s.afterExit(svc, *svc.last)
}

// afterExit runs finish for exit e, or goes straight to the restart
// decision.
func (s *Supervisor) afterExit(svc *service, e reaper.Exit) {
	svc.last = &e
	def := svc.def
	if def.Finish == "" {
		s.decide(svc, noFinish)
		return
	}
	files, opened, err := s.stdio(svc)
	var pid int
	if err == nil {
		files[0] = s.devNull.Fd() // a logger's finish does not read its pipe
		pid, err = s.spawn(svc, roleFinish, def.Finish, exitArgs(e.Status, def.Name), files)
		closeAll(opened)
	}
	if err != nil {
		s.log.Error("finish cannot start", "service", def.Name, "err", err)
		s.decide(svc, noFinish)
		return
	}
	svc.finishPid, svc.state = pid, StateFinishing
	s.setDeadline(svc, def.TimeoutFinish)
}

// killFinish is timeout-finish running out.
func (s *Supervisor) killFinish(svc *service, _ reaper.Exit) {
	s.log.Warn("finish did not end in time: SIGKILL", "service", svc.def.Name, "pid", svc.finishPid)
	s.signal(svc.finishPid, unix.SIGKILL)
}

// finished handles finish's exit.
func (s *Supervisor) finished(svc *service, e reaper.Exit) {
	s.stopTimer(svc)
	s.log.Info("finish exited", "service", svc.def.Name, "code", e.Code())
	s.decide(svc, e.Code())
}

// decide is the restart decision after run (and finish) ended: restart,
// after a delay if it keeps dying fast, or stay down.
func (s *Supervisor) decide(svc *service, finishCode int) {
	svc.state, svc.readySince = StateDown, time.Now()
	last := svc.last
	switch {
	case s.closing:
		return
	case svc.restart:
		svc.restart = false // a restart asked for: Down now, reconcile starts it
		return
	case !svc.want:
		return
	case finishCode == finishNoRestart:
		s.downForGood(svc, "finish exited 125")
		return
	case svc.def.Restart == RestartNever:
		s.downForGood(svc, "restart is never")
		return
	case svc.def.Restart == RestartOnFailure && last.Code() == 0:
		s.downForGood(svc, "restart is on-failure and it succeeded")
		return
	}
	delay, fast := restartDelay(time.Since(svc.started), svc.fast)
	svc.fast = fast
	svc.restarts++
	s.log.Info("service restart", "service", svc.def.Name, "restart_in", delay, "restarts", svc.restarts)
	if delay > 0 {
		svc.state = StateBackoff
		s.setTimer(svc, delay)
	}
}

// downForGood leaves the service down until it is started again; an
// essential one stops the container with its exit status.
func (s *Supervisor) downForGood(svc *service, why string) {
	svc.failed, svc.want, svc.state = true, false, StateDown
	s.log.Info("service down for good", "service", svc.def.Name, "why", why, "code", svc.last.Code())
	if svc.def.Essential && s.halt == nil {
		s.halt = &Halt{Service: svc.def.Name, Code: svc.last.Code()}
	}
}

// cancelRestart leaves Backoff for Down: the delay is over (reconcile
// starts the service) or the service is no longer wanted.
func (s *Supervisor) cancelRestart(svc *service, _ reaper.Exit) {
	s.stopTimer(svc)
	svc.state = StateDown
}
