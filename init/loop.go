package boot

import (
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/vigil-init/vigil/reaper"
	"golang.org/x/sys/unix"
)

// vigil is the supervisor: one loop owns all of its state. Every field is
// owned by the loop goroutine; nothing else reads or writes them.
type vigil struct {
	cfg    Config
	log    *slog.Logger
	sigs   <-chan os.Signal
	reaper *reaper.Reaper
	pid1   bool

	cmd      int // pid (and pgid) of the running CMD; 0 when none runs
	exitCode int // the container's exit code as known so far

	stage stage

	cmdKill   alarm         // stage 1: SIGKILL to the CMD's group
	leftKill  alarm         // stage 4: SIGKILL to every process left
	deadline  alarm         // VIGIL_SHUTDOWN_TIMEOUT
	leftGone  chan struct{} // a watched process that is not a child exited
	watching  bool          // a watch on leftGone is running
	childless bool          // the reaper's last word in stage 4: no child left
	done      bool
}

func newVigil(cfg Config, log *slog.Logger, sigs <-chan os.Signal, r *reaper.Reaper, pid1 bool) *vigil {
	return &vigil{
		cfg: cfg, log: log, sigs: sigs, reaper: r, pid1: pid1,
		leftGone: make(chan struct{}, 1),
	}
}

// run starts CMD (if any) and runs the loop until shutdown is over.
func (v *vigil) run(cmd []string) int {
	if len(cmd) > 0 {
		v.startCmd(cmd)
	}
	for !v.done {
		v.step()
	}
	v.log.Info("exit", "code", v.exitCode)
	return v.exitCode
}

// step waits for one event and handles it. It never polls: every case is
// a signal, an exit, or a timer that only runs while a deadline exists.
func (v *vigil) step() {
	select {
	case sig := <-v.sigs:
		v.onSignal(sig.(unix.Signal))
	case b := <-v.reaper.Batches():
		v.onBatch(b)
	case <-v.cmdKill.C():
		v.cmdKill.fired()
		v.log.Warn("cmd did not stop in time: SIGKILL", "pid", v.cmd, "grace", v.cfg.ServicesGracetime.D())
		v.signalCmd(unix.SIGKILL)
	case <-v.leftKill.C():
		v.leftKill.fired()
		v.killLeftovers()
	case <-v.leftGone:
		// One of them exited; its orphans may now be vigil's children, so
		// ask the reaper again before looking for what is left.
		v.watching = false
		v.childless = false
		v.reaper.Poke()
	case <-v.deadline.C():
		v.deadline.fired()
		v.abandon()
	}
}

func (v *vigil) startCmd(argv []string) {
	pid, code, err := startCmd(argv, os.Environ())
	if err != nil {
		v.log.Error("cmd cannot start", "cmd", argv[0], "err", err, "code", code)
		v.exitCode = code
		v.shutdown(unix.SIGTERM, "cmd cannot start")
		return
	}
	v.cmd = pid
	v.log.Debug("cmd started", "pid", pid, "cmd", argv[0])
}

func (v *vigil) onSignal(sig unix.Signal) {
	switch {
	case isStopSignal(sig):
		v.shutdown(sig, "signal "+unix.SignalName(sig))
	case isForwarded(sig) && v.cmd != 0:
		if err := signalGroup(v.cmd, sig); err != nil {
			v.log.Warn("forward signal", "signal", unix.SignalName(sig), "pgid", v.cmd, "err", err)
			return
		}
		v.log.Debug("forwarded signal", "signal", signalLabel(sig), "pgid", v.cmd)
	default:
		v.log.Debug("dropped signal", "signal", signalLabel(sig))
	}
}

// signalLabel names sig for the log; real-time signals have no name.
func signalLabel(sig unix.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return "SIGRTMIN+" + strconv.Itoa(int(sig)-sigRTMin)
}

func (v *vigil) onBatch(b reaper.Batch) {
	for _, e := range b.Exits {
		switch e.Pid {
		case v.cmd:
			v.onCmdExit(e)
		default:
			v.log.Debug("reaped orphan", "pid", e.Pid, "code", e.Code())
		}
	}
	if v.stage == stageLeftovers {
		v.childless = b.Empty
	}
	v.advance()
}

func (v *vigil) onCmdExit(e reaper.Exit) {
	v.cmd = 0
	v.cmdKill.stop()
	v.exitCode = e.Code()
	v.log.Info("cmd exited", "pid", e.Pid, "code", e.Code())
	v.shutdown(unix.SIGTERM, "cmd exited")
}

// signalCmd sends sig to the CMD's process group, if the CMD runs.
func (v *vigil) signalCmd(sig unix.Signal) {
	if v.cmd == 0 {
		return
	}
	if err := signalGroup(v.cmd, sig); err != nil {
		v.log.Warn("signal cmd", "signal", unix.SignalName(sig), "pgid", v.cmd, "err", err)
	}
}

// alarm is a one-shot timer whose channel is nil while it is not set, so
// that a select on it waits for nothing.
type alarm struct{ t *time.Timer }

func (a *alarm) set(d time.Duration) {
	a.stop()
	a.t = time.NewTimer(d)
}

func (a *alarm) stop() {
	if a.t != nil {
		a.t.Stop()
		a.t = nil
	}
}

// fired clears the alarm after its channel delivered.
func (a *alarm) fired() { a.t = nil }

func (a *alarm) C() <-chan time.Time {
	if a.t == nil {
		return nil
	}
	return a.t.C
}
