package boot

import (
	"os"

	"github.com/vigil-init/vigil/services"
	"golang.org/x/sys/unix"
)

// stage is where vigil is in its life: the boot of SPEC §2, then the
// shutdown stages of SPEC §6.
type stage int

const (
	stageInit      stage = iota // init scripts run, one at a time
	stageServices               // services start; the CMD waits for them to be ready
	stageRunning                // the CMD runs (or vigil waits for a signal)
	stageCmd                    // 1: the CMD (or init script) got the trigger; waiting for it
	stageStopping               // 2: services stop in reverse dependency order
	stageFinish                 // 3: finish scripts run, one at a time
	stageLeftovers              // 4: everything left got TERM; waiting for none to be left
)

func (st stage) String() string {
	return [...]string{"init scripts", "starting services", "running", "stopping cmd",
		"stopping services", "finish scripts", "stopping leftovers"}[st]
}

// advance moves through the stages as far as their conditions allow. It
// runs after every event.
func (v *vigil) advance() {
	for !v.done {
		if v.stage < stageCmd {
			v.checkHalt() // first: a failed essential service is not "ready"
		}
		before := v.stage
		switch v.stage {
		case stageInit:
			// startScript may have started the shutdown (a script that
			// cannot run, under stop): then the boot goes no further.
			if v.script == 0 && !v.startScript() && v.stage == stageInit {
				v.enterServices()
			}
		case stageServices:
			if ready, _ := v.sup.Ready(); ready {
				v.enterRunning()
			}
		case stageRunning:
		case stageCmd:
			if v.foreground() == 0 {
				v.stage = stageStopping
				v.sup.Shutdown()
			}
		case stageStopping:
			if v.sup.Down() {
				v.stage = stageFinish
				v.scripts = v.listScripts(string(v.cfg.FinishDir))
			}
		case stageFinish:
			if v.script == 0 && !v.startScript() {
				v.stopLeftovers()
			}
		case stageLeftovers:
			v.done = v.childless && v.nothingLeft()
		}
		if v.stage == before {
			return
		}
	}
}

func (v *vigil) enterServices() {
	v.stage = stageServices
	v.sup.SetEnv(v.env)
	v.sup.Boot(v.cfg.Disable)
	if d := v.cfg.ReadyTimeout.D(); d > 0 {
		v.readyWait.set(d)
	}
}

func (v *vigil) enterRunning() {
	v.readyWait.stop()
	v.stage = stageRunning
	if len(v.cmdArgs) > 0 {
		v.startCmd()
	}
}

// checkHalt starts the shutdown when an essential service is down for good.
func (v *vigil) checkHalt() {
	if h, ok := v.sup.Halted(); ok {
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
	v.deadline.set(v.cfg.ShutdownTimeout.D())
	v.readyWait.stop()
	v.scripts = nil
	v.stage = stageCmd
	if pid := v.foreground(); pid != 0 {
		// CONT after the trigger: a stopped process cannot act on it otherwise.
		services.SignalGroup(v.log, pid, trigger)
		services.SignalGroup(v.log, pid, unix.SIGCONT)
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
		services.SignalGroup(v.log, v.cmd, unix.SIGKILL)
		v.fixExitCode(exitSignalBase + int(unix.SIGKILL))
	}
	services.SignalGroup(v.log, v.script, unix.SIGKILL)
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
			v.log.Warn("signal all processes", "signal", unix.SignalName(sig), "err", err)
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
			v.log.Warn("signal leftover", "pid", p.pid, "name", p.name, "signal", unix.SignalName(sig), "err", err)
			continue
		}
		v.log.Debug("signalled leftover", "pid", p.pid, "name", p.name, "signal", unix.SignalName(sig))
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
