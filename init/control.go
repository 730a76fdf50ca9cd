package boot

import (
	"errors"
	"time"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/services"
	"golang.org/x/sys/unix"
)

// waiter is a control call answered once the services reach a state.
type waiter struct {
	call  *control.Call
	names []string
	until services.Until
	after map[string]int // restart: start generations to exceed
}

// listenControl opens the control socket: in the run dir, or when that
// cannot hold it, under an abstract name the client also tries.
func (v *vigil) listenControl() {
	srv, addr, err := control.Listen(string(v.cfg.RunDir), v.log)
	if err != nil {
		v.log.Warn("running without a control socket", "err", err)
		return
	}
	if addr != control.SocketPath(string(v.cfg.RunDir)) {
		v.log.Info("control socket in the abstract namespace: the run dir cannot hold it", "address", addr)
	}
	v.ctl = srv
}

// calls is the control socket's channel, nil (never ready) without one.
func (v *vigil) calls() <-chan *control.Call {
	if v.ctl == nil {
		return nil
	}
	return v.ctl.Calls()
}

// handlers answer the control commands (README "The client"), one per
// command. Each replies to the call, or leaves it waiting for a state
// (await); an error is the reply.
var handlers = map[string]func(v *vigil, c *control.Call) error{
	control.CmdStatus:  func(v *vigil, c *control.Call) error { c.Reply(v.status(c.Request.Names)); return nil },
	control.CmdCheck:   func(v *vigil, c *control.Call) error { c.Reply(v.health()); return nil },
	control.CmdReload:  func(v *vigil, c *control.Call) error { c.Reply(v.reload()); return nil },
	control.CmdHalt:    (*vigil).halt,
	control.CmdSignal:  (*vigil).signalServices,
	control.CmdStart:   (*vigil).startServices,
	control.CmdStop:    (*vigil).stopServices,
	control.CmdRestart: (*vigil).restartServices,
	control.CmdWait:    (*vigil).waitServices,
}

// onCall answers a control request, or leaves it waiting for a state.
func (v *vigil) onCall(c *control.Call) {
	err := v.refuse(c.Request.Command)
	if err == nil {
		err = handlers[c.Request.Command](v, c) // DecodeRequest let only known commands through
	}
	if err != nil {
		c.Reply(control.Fail(err))
	}
}

func (v *vigil) halt(c *control.Call) error {
	c.Reply(control.Ok())
	v.fixExitCode(c.Request.Code)
	v.shutdown(unix.SIGTERM, "vigil halt")
	return nil
}

func (v *vigil) signalServices(c *control.Call) error {
	sig, err := process.ParseSignal(c.Request.Signal)
	if err == nil {
		err = v.sup.Signal(c.Request.Names, sig)
	}
	if err == nil {
		c.Reply(control.Ok())
	}
	return err
}

func (v *vigil) startServices(c *control.Call) error {
	if err := v.sup.Start(c.Request.Names); err != nil {
		return err
	}
	v.await(c, services.UntilReady, nil)
	return nil
}

func (v *vigil) stopServices(c *control.Call) error {
	if err := v.sup.Stop(c.Request.Names); err != nil {
		return err
	}
	v.await(c, services.UntilDown, nil)
	return nil
}

func (v *vigil) restartServices(c *control.Call) error {
	gens, err := v.sup.Restart(c.Request.Names)
	if err != nil {
		return err
	}
	v.await(c, services.UntilReady, gens)
	return nil
}

// untilOf is the state each `vigil wait` flag waits for.
var untilOf = map[string]services.Until{
	control.UntilUp: services.UntilUp, control.UntilReady: services.UntilReady, control.UntilDown: services.UntilDown,
}

func (v *vigil) waitServices(c *control.Call) error {
	v.await(c, untilOf[c.Request.Until], nil)
	return nil
}

// refuse says why a command cannot be taken now: services cannot be
// started or stopped before they have booted, nor once the shutdown began.
func (v *vigil) refuse(cmd string) error {
	switch cmd {
	case control.CmdStart, control.CmdStop, control.CmdRestart, control.CmdReload:
		if v.stage < stageServices {
			return errors.New("vigil is still booting (init scripts run)")
		}
		if v.stage >= stageCmd {
			return errors.New("vigil is shutting down")
		}
	}
	return nil
}

// await leaves c waiting until the services reach until; a request that
// asked not to wait (no_wait) is answered at once, the change made.
func (v *vigil) await(c *control.Call, until services.Until, after map[string]int) {
	if c.Request.NoWait {
		c.Reply(control.Ok())
		return
	}
	v.waiters = append(v.waiters, waiter{call: c, names: c.Request.Names, until: until, after: after})
	v.answerWaiters()
}

// answerWaiters answers the calls whose state is reached, or can no longer
// be; it runs after every event.
func (v *vigil) answerWaiters() {
	kept := v.waiters[:0]
	for _, w := range v.waiters {
		if w.call.Gone() {
			continue
		}
		ok, err := v.sup.Reached(w.names, w.until, w.after)
		switch {
		case err != nil:
			w.call.Reply(control.Fail(err))
		case ok:
			w.call.Reply(control.Ok())
		default:
			kept = append(kept, w)
		}
	}
	v.waiters = kept
}

// closeControl answers every call still waiting and closes the socket,
// letting answers already given reach their clients.
func (v *vigil) closeControl() {
	for _, w := range v.waiters {
		w.call.Reply(control.Fail(errors.New("vigil is exiting")))
	}
	v.waiters = nil
	if v.ctl != nil {
		v.ctl.Close(time.Second)
	}
}

func (v *vigil) status(names []string) control.Response {
	sts, err := v.sup.Status(names)
	if err != nil {
		return control.Fail(err)
	}
	resp := control.Ok()
	for _, st := range sts {
		s := control.Service{
			Name: st.Name, State: st.State.String(), Wanted: st.Wanted, Pid: st.Pid,
			Ready: st.Ready, Restarts: st.Restarts, LastExit: st.ExitText(), Fault: st.Fault,
			NormallyUp: st.NormallyUp, SinceMs: time.Since(st.Changed).Milliseconds(),
			ReadyMs: time.Since(st.ReadySince).Milliseconds(), ExitCode: -1,
		}
		switch {
		case st.Last == nil:
		case st.Last.Status.Signaled():
			s.Signal = int(st.Last.Status.Signal())
		default:
			s.ExitCode = st.Last.Status.ExitStatus()
		}
		if st.Failed {
			s.State = "failed"
		}
		if !st.Started.IsZero() {
			s.UptimeMs = time.Since(st.Started).Milliseconds()
		}
		resp.Services = append(resp.Services, s)
	}
	return resp
}

// health is `vigil check`: boot done and every service meant to be up
// ready. A service stopped on purpose is not meant to be up.
func (v *vigil) health() control.Response {
	var problems []string
	switch {
	case v.stage < stageRunning:
		problems = append(problems, "boot not done: "+v.stage.String())
	case v.stage >= stageCmd:
		problems = append(problems, "shutting down")
	}
	problems = append(problems, v.sup.Faults()...)
	for _, name := range v.sup.NotReady() {
		problems = append(problems, "service "+name+" not ready")
	}
	if len(problems) > 0 {
		return control.Response{Version: control.Version, Error: "not healthy", Problems: problems}
	}
	return control.Ok()
}

func (v *vigil) reload() control.Response {
	defs, err := services.Load(string(v.cfg.ServicesDir), v.cfg.serviceDefaults())
	if err != nil {
		return control.Fail(err)
	}
	added, removed, err := v.sup.Reload(defs, v.cfg.Disable)
	if err != nil {
		return control.Fail(err)
	}
	v.log.Info("reloaded", "added", added, "removed", removed)
	resp := control.Ok()
	resp.Added, resp.Removed = added, removed
	return resp
}
