package boot

import (
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/reaper"
	"github.com/vigil-init/vigil/services"
	"golang.org/x/sys/unix"
)

// vigil is the supervisor loop's state. Every field is owned by the loop
// goroutine; nothing else reads or writes them.
type vigil struct {
	cfg     Config
	log     *slog.Logger
	sigs    <-chan os.Signal
	reaper  *reaper.Reaper
	sup     *services.Supervisor
	pid1    bool
	devNull *os.File
	output  *services.Output // nil with VIGIL_LOG_PREFIX=false

	baseEnv  []string             // the environment vigil received
	env      []string             // what children get: baseEnv as init scripts left it
	envSnap  *process.EnvSnapshot // the env snapshot, nil when the run dir could not be made
	snapshot []process.EnvEntry   // the env snapshot as written

	cmdArgs   []string
	cmd       int  // pid (and pgid) of the running CMD; 0 when none runs
	exitCode  int  // the container's exit code as known so far
	codeFixed bool // the shutdown's cause set exitCode; the CMD's exit does not change it

	scripts    []string // finish scripts still to run
	script     int      // pid of the running finish script, 0 if none
	scriptPath string

	stage       stage
	cmdKill     alarm     // the CMD did not stop in time
	scriptKill  alarm     // a finish script ran out of VIGIL_FINISH_TIMEOUT
	readyWait   alarm     // VIGIL_READY_TIMEOUT
	leftKill    alarm     // stage 4: SIGKILL to every process left
	deadline    alarm     // VIGIL_SHUTDOWN_TIMEOUT
	shutdownEnd time.Time // when it runs out

	ctl     *control.Server // nil without a run dir
	waiters []waiter        // control calls waiting for a state

	leftGone  chan struct{} // a watched process that is not a child exited
	watching  bool          // a watch on leftGone is running
	childless bool          // the reaper's last word in stage 4: no child left
	done      bool
}

// run is the boot after configuration: run dir, init scripts, services,
// CMD, then the loop until the shutdown is over. It returns the exit code.
func (v *vigil) run() int {
	v.env = v.baseEnv
	snap, err := prepareRunDir(string(v.cfg.RunDir), v.baseEnv)
	if err != nil {
		v.log.Warn("running without a run dir", "err", err)
	} else {
		v.envSnap, v.snapshot = snap, snap.Entries()
	}
	v.prepareS6()
	v.listenControl()
	awaitSignals() // before the first child (the stage2 hook waited already)
	v.enterServices()
	v.advance()
	for !v.done {
		v.step()
	}
	v.closeControl()
	v.drainOutput()
	if v.cfg.syncDisks {
		unix.Sync() // S6_SYNC_DISKS: what services wrote reaches the disk before the container is gone
	}
	v.log.Info("exit", "code", v.exitCode)
	return v.exitCode
}

// step waits for one event and handles it. It never polls: every case is
// a signal, an exit, a service event, or a timer that only runs while a
// deadline exists.
func (v *vigil) step() {
	select {
	case sig := <-v.sigs:
		v.onSignal(sig.(unix.Signal))
	case b := <-v.reaper.Batches():
		v.onBatch(b)
	case ev := <-v.sup.Events():
		v.sup.Handle(ev)
	case c := <-v.calls():
		v.onCall(c)
	case <-v.cmdKill.C():
		v.cmdKill.fired()
		v.log.Warn("did not stop in time: SIGKILL", "pid", v.cmd, "grace", v.cfg.ServicesGracetime.D())
		process.SignalGroup(v.log, v.cmd, unix.SIGKILL)
	case <-v.scriptKill.C():
		v.scriptKill.fired()
		v.log.Warn("finish script ran out of time: SIGKILL", "path", v.scriptPath, "timeout", v.cfg.FinishTimeout.D())
		process.SignalGroup(v.log, v.script, unix.SIGKILL)
	case <-v.readyWait.C():
		v.readyWait.fired()
		v.readyTimeout()
	case <-v.leftKill.C():
		v.leftKill.fired()
		v.killLeftovers()
	case <-v.leftGone:
		// One of them exited; its orphans may now be vigil's children, so
		// ask the reaper again before looking for what is left.
		v.watching, v.childless = false, false
		v.reaper.Poke()
	case <-v.deadline.C():
		v.deadline.fired()
		v.abandon()
	}
	v.advance()
	v.answerWaiters()
}

// drainOutput lets the copier write the last bytes of every writer: none
// is left, so every pipe is at its end (or holds the last partial line).
// It waits as long as the shutdown's time allows, at least a second: a
// blocked stdout must not keep vigil from exiting.
func (v *vigil) drainOutput() {
	if v.output == nil {
		return
	}
	limit := time.Second
	if left := time.Until(v.shutdownEnd); left > limit {
		limit = left
	}
	if !v.output.Drain(limit) {
		v.log.Warn("service output not all written: stdout or stderr blocked", "waited", limit)
	}
}

// fixExitCode sets the exit code from the shutdown's cause, once.
func (v *vigil) fixExitCode(code int) {
	if !v.codeFixed {
		v.exitCode, v.codeFixed = code, true
	}
}

func (v *vigil) onSignal(sig unix.Signal) {
	switch {
	case isStopSignal(sig) && v.stage >= stageCmd:
		// Logged, and nothing else: the stages already under way go on.
		v.log.Info("already shutting down", "signal", process.SignalName(sig))
	case isStopSignal(sig):
		v.shutdown(sig, "signal "+process.SignalName(sig))
	case isForwarded(sig) && v.cmd != 0:
		process.SignalGroup(v.log, v.cmd, sig)
		v.log.Debug("forwarded signal", "signal", process.SignalName(sig), "pgid", v.cmd)
	default:
		v.log.Debug("dropped signal", "signal", process.SignalName(sig))
	}
}

func (v *vigil) onBatch(b reaper.Batch) {
	for _, e := range b.Exits {
		switch {
		case e.Pid == v.cmd:
			v.onCmdExit(e)
		case e.Pid == v.script:
			v.onScriptExit(e.Code())
		case v.sup.Exited(e):
		default:
			v.log.Debug("reaped orphan", "pid", e.Pid, "code", e.Code())
		}
	}
	v.sup.Reaped()
	if v.stage == stageLeftovers {
		v.childless = b.Empty
	}
}

func (v *vigil) onCmdExit(e reaper.Exit) {
	v.cmd = 0
	v.cmdKill.stop()
	v.log.Info("cmd exited", "pid", e.Pid, "code", e.Code())
	v.fixExitCode(e.Code())
	v.shutdown(unix.SIGTERM, "cmd exited")
}

// readyTimeout is VIGIL_READY_TIMEOUT running out before every service
// was ready: stop with 101, or start the CMD anyway.
func (v *vigil) readyTimeout() {
	names := strings.Join(v.sup.NotReady(), ",")
	if v.cfg.InitFailure == InitContinue {
		v.log.Warn("services not ready in time; starting anyway", "services", names, "timeout", v.cfg.ReadyTimeout.D())
		v.enterRunning()
		return
	}
	v.log.Error("services not ready in time", "services", names, "timeout", v.cfg.ReadyTimeout.D())
	v.fixExitCode(exitReadyTimeout)
	v.shutdown(unix.SIGTERM, "services not ready")
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
