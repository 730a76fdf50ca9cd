package boot

import (
	"os"
	"time"

	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

// checkHalt starts the shutdown when an essential service is down for good.
func (v *vigil) checkHalt() {
	h, ok := v.sup.Halted()
	switch {
	case !ok:
		return
	case h.Oneshot:
		v.log.Error("init failed", "service", h.Service, "code", h.Code)
		v.fixExitCode(h.Code)
		v.shutdown(unix.SIGTERM, h.Service+" failed")
	default:
		v.log.Error("essential service down", "service", h.Service, "code", h.Code)
		v.fixExitCode(h.Code)
		v.shutdown(unix.SIGTERM, "essential service "+h.Service+" down")
	}
}

// shutdown starts the shutdown with trigger, the signal the CMD gets
// first. Once begun, it is never restarted or hurried: a second stop signal
// is only logged.
func (v *vigil) shutdown(trigger unix.Signal, reason string) {
	if v.stage >= stageCmd {
		v.log.Debug("already shutting down", "reason", reason)
		return
	}
	v.log.Info("shutdown", "reason", reason)
	v.sup.Closing()
	v.deadline.set(v.cfg.ShutdownTimeout.D())
	v.shutdownEnd = time.Now().Add(v.cfg.ShutdownTimeout.D())
	v.readyWait.stop()
	v.scripts = nil
	v.stage = stageCmd
	if pid := v.cmd; pid != 0 {
		// CONT after the trigger: a stopped process cannot act on it otherwise.
		process.SignalGroup(v.log, pid, trigger)
		process.SignalGroup(v.log, pid, unix.SIGCONT)
		v.cmdKill.set(v.cfg.ServicesGracetime.D())
	}
}

// stopLeftovers is stage 4: TERM and CONT to every process left, SIGKILL
// after VIGIL_KILL_GRACETIME. The reaper is poked for a pass that says
// whether any child is left, since none may ever send SIGCHLD again.
func (v *vigil) stopLeftovers() {
	v.stage = stageLeftovers
	v.childless = false
	v.signalLeftovers(unix.SIGTERM)
	v.signalLeftovers(unix.SIGCONT)
	v.leftKill.set(v.cfg.KillGracetime.D())
	v.reaper.Poke()
}

// killLeftovers sends SIGKILL to every process left once the grace time is
// over.
func (v *vigil) killLeftovers() {
	v.log.Warn("processes left after grace time: SIGKILL", "grace", v.cfg.KillGracetime.D())
	v.signalLeftovers(unix.SIGKILL)
}

// abandon ends a shutdown that ran out of VIGIL_SHUTDOWN_TIMEOUT: SIGKILL
// to everything and exit now. A CMD still running counts as killed.
func (v *vigil) abandon() {
	v.log.Warn("shutdown timeout: SIGKILL to everything left", "timeout", v.cfg.ShutdownTimeout.D())
	if v.cmd != 0 {
		process.SignalGroup(v.log, v.cmd, unix.SIGKILL)
		v.fixExitCode(exitSignalBase + int(unix.SIGKILL))
	}
	process.SignalGroup(v.log, v.script, unix.SIGKILL)
	v.sup.KillAll()
	v.signalLeftovers(unix.SIGKILL)
	v.done = true
}

// signalLeftovers sends sig to every process stage 4 stops: as PID 1 all
// of the namespace (kill(-1) skips the caller), otherwise vigil's
// descendants, found by walking /proc.
func (v *vigil) signalLeftovers(sig unix.Signal) {
	if v.pid1 {
		if err := unix.Kill(-1, sig); err != nil && err != unix.ESRCH {
			v.log.Warn("signal all processes", "signal", process.SignalName(sig), "err", err)
		}
		return
	}
	if !procMatchesSelf() {
		v.log.Warn("cannot find leftover processes: /proc is not this PID namespace's")
		return
	}
	procs, err := liveProcesses()
	if err != nil {
		v.log.Warn("find leftover processes", "err", err)
		return
	}
	for _, p := range descendants(procs, os.Getpid()) {
		if err := unix.Kill(p.pid, sig); err != nil && err != unix.ESRCH {
			v.log.Warn("signal leftover", "pid", p.pid, "name", p.name, "signal", process.SignalName(sig), "err", err)
			continue
		}
		v.log.Debug("signalled leftover", "pid", p.pid, "name", p.name, "signal", process.SignalName(sig))
	}
}

// nothingLeft reports, once the reaper saw no child left, whether any
// other process lives. Only PID 1 can have such processes: ones that
// entered the namespace from outside (docker exec) and so are not its
// children. They are watched through pidfds until they exit.
func (v *vigil) nothingLeft() bool {
	if !v.pid1 || !procMatchesSelf() {
		return true
	}
	if v.watching {
		return false
	}
	procs, err := liveProcesses()
	if err != nil {
		v.log.Warn("find leftover processes", "err", err)
		return true
	}
	if len(procs) == 0 {
		return true
	}
	pids := make([]int, len(procs))
	for i, p := range procs {
		pids[i] = p.pid
		v.log.Debug("waiting for process", "pid", p.pid, "name", p.name)
	}
	v.watching = true
	watchExits(pids, v.leftGone)
	return false
}
