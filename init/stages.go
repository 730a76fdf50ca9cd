package boot

import "github.com/vigil-init/vigil/services"

// stage is where vigil is in its life: the boot (README "Boot"), then the
// shutdown stages (README "Shutdown").
type stage int

const (
	stageServices  stage = iota // the graph starts: init scripts, services; the CMD waits for it
	stageRunning                // the CMD runs (or vigil waits for a signal)
	stageCmd                    // 1: the CMD got the trigger; waiting for it
	stageStopping               // 2: services stop in reverse dependency order
	stageFinish                 // 3: finish scripts run, one at a time
	stageLeftovers              // 4: everything left got TERM; waiting for none to be left
)

// stages is vigil's life as a table, one row per stage: what the stage
// does after each event, reporting whether its work is over, and what
// starts the next stage. Only shutdown leaves stageRunning, and it may
// jump there from any stage before it: the trigger of README "Shutdown".
var stages = [...]struct {
	name string
	work func(*vigil) bool // does what can be done now; true once the stage's work is over
	next func(*vigil)      // leaves the stage for the next one
}{
	stageServices:  {"starting", (*vigil).servicesReady, (*vigil).enterRunning},
	stageRunning:   {"running", (*vigil).untilShutdown, nil},
	stageCmd:       {"stopping cmd", (*vigil).cmdGone, (*vigil).enterStopping},
	stageStopping:  {"stopping services", (*vigil).servicesDown, (*vigil).enterFinish},
	stageFinish:    {"finish scripts", (*vigil).runScripts, (*vigil).stopLeftovers},
	stageLeftovers: {"stopping leftovers", (*vigil).leftoversGone, (*vigil).exit},
}

func (st stage) String() string { return stages[st].name }

// advance moves through the stages as far as their work allows. It runs
// after every event.
func (v *vigil) advance() {
	for !v.done {
		if v.stage < stageCmd {
			v.checkHalt() // first: a failed essential service is not "ready"
		}
		st := v.stage
		over := stages[st].work(v)
		switch {
		case v.stage != st:
			continue // the work started the shutdown
		case !over:
			return
		}
		stages[st].next(v)
	}
}

// runScripts starts the next finish script when none runs; the work is
// over once the queue is empty and the last one has exited.
func (v *vigil) runScripts() bool {
	return v.script == 0 && !v.startScript()
}

// enterServices starts the graph: init scripts, s6-rc sources, services.
func (v *vigil) enterServices() {
	v.stage = stageServices
	v.sup.SetEnv(v.env)
	v.sup.Boot(v.cfg.Disable)
	if d := v.cfg.ReadyTimeout.D(); d > 0 {
		v.readyWait.set(d)
	}
}

func (v *vigil) servicesReady() bool { return v.sup.Ready() }

func (v *vigil) enterRunning() {
	v.readyWait.stop()
	v.stage = stageRunning
	if len(v.cmdArgs) > 0 {
		v.startCmd()
	}
}

// untilShutdown is the running stage's work: none; shutdown ends it.
func (v *vigil) untilShutdown() bool { return false }

func (v *vigil) cmdGone() bool { return v.cmd == 0 }

func (v *vigil) enterStopping() {
	v.stage = stageStopping
	v.sup.Shutdown()
}

func (v *vigil) servicesDown() bool { return v.sup.Down() }

func (v *vigil) enterFinish() {
	v.stage = stageFinish
	v.scripts = services.ListScripts(string(v.cfg.FinishDir), v.log)
}

// leftoversGone: the reaper saw no child left, and no other process of the
// namespace lives.
func (v *vigil) leftoversGone() bool { return v.childless && v.nothingLeft() }

func (v *vigil) exit() { v.done = true }
