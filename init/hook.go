package boot

import (
	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

// runHook runs S6_STAGE2_HOOK, when set, before the definitions are read:
// real hooks add or remove services (README "s6-overlay v3 images"). It
// waits for the hook's exit in the reaper's batches; a stop signal
// meanwhile goes to the hook and ends vigil once it is gone. ok is false
// when vigil must exit now, with code.
func (v *vigil) runHook() (code int, ok bool) {
	argv := v.cfg.stage2Hook
	if len(argv) == 0 {
		return 0, true
	}
	awaitSignals() // the hook is vigil's first child
	pid, err := v.output.Start("stage2-hook", argv, process.Attr{Env: v.baseEnv, Files: []uintptr{v.devNull.Fd(), 1, 2}})
	if err != nil {
		return v.hookFailed(process.FailureCode(err), err)
	}
	v.log.Info("stage2 hook started", "hook", argv[0], "pid", pid)
	stopped := false
	for {
		select {
		case sig := <-v.sigs:
			if isStopSignal(sig) {
				stopped = true
				process.SignalGroup(v.log, pid, sig.(unix.Signal))
				process.SignalGroup(v.log, pid, unix.SIGCONT)
			}
		case b := <-v.reaper.Batches():
			for _, e := range b.Exits {
				if e.Pid != pid {
					continue
				}
				v.log.Info("stage2 hook exited", "hook", argv[0], "code", e.Code())
				switch {
				case stopped:
					v.drainOutput()
					return exitOK, false
				case e.Code() != 0:
					return v.hookFailed(e.Code(), nil)
				}
				return 0, true
			}
		}
	}
}

// hookFailed applies VIGIL_INIT_FAILURE (S6_BEHAVIOUR_IF_STAGE2_FAILS) to
// a hook that failed.
func (v *vigil) hookFailed(code int, err error) (int, bool) {
	if v.cfg.InitFailure == InitContinue {
		v.log.Warn("stage2 hook failed; going on", "code", code, "err", err)
		return 0, true
	}
	v.log.Error("stage2 hook failed", "code", code, "err", err)
	v.drainOutput()
	return code, false
}
