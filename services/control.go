package services

import (
	"fmt"
	"time"

	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/reaper"
	"golang.org/x/sys/unix"
)

// Status is what a service is doing, for `vigil status`.
type Status struct {
	Name     string
	State    State
	Wanted   bool
	Failed   bool // down for good until started again
	Pid      int
	Started  time.Time // when run started, while it runs
	Ready    bool
	Restarts int
	Last     *reaper.Exit // run's last exit, nil before the first
	Fault    string       // why it cannot start (its user), "" if nothing is wrong

	NormallyUp bool      // started at boot: no down file (a logger's: its producer's)
	Changed    time.Time // when run last started or ended, or the service was loaded
	ReadySince time.Time // when it last became ready, or was done stopping (finish included)
}

// Until is a state a control command waits for.
type Until int

// The states `vigil wait` and friends wait for.
const (
	UntilUp    Until = iota // run is running
	UntilReady              // run is running and ready
	UntilDown               // run, finish and check have all exited
)

// lookup finds the named services, a bundle standing for its members;
// an unknown name is an error.
func (s *Supervisor) lookup(names []string) ([]*service, error) {
	var out []*service
	for _, name := range names {
		if members, ok := s.bundles[name]; ok {
			// A member that reload removed is no longer one.
			for _, m := range members {
				if svc := s.byName[m]; svc != nil && !svc.removed {
					out = append(out, svc)
				}
			}
			continue
		}
		svc := s.byName[name]
		if svc == nil || svc.removed {
			return nil, fmt.Errorf("unknown service %q", name)
		}
		out = append(out, svc)
	}
	return out, nil
}

// Status reports the named services, or all of them when names is empty.
func (s *Supervisor) Status(names []string) ([]Status, error) {
	svcs := s.services
	if len(names) > 0 {
		var err error
		if svcs, err = s.lookup(names); err != nil {
			return nil, err
		}
	}
	var out []Status
	for _, svc := range svcs {
		if svc.removed || svc.def.Hidden && len(names) == 0 {
			continue
		}
		st := Status{
			Name: svc.def.Name, State: svc.state, Wanted: svc.want, Failed: svc.failed,
			Pid: svc.pid, Ready: svc.state == StateUp, Restarts: svc.restarts, Last: svc.last,
			Fault: svc.fault, NormallyUp: !owner(svc).def.Down, Changed: svc.changed, ReadySince: svc.readySince,
		}
		if svc.pid != 0 {
			st.Started = svc.started
		}
		out = append(out, st)
	}
	return out, nil
}

// owner is the service whose down file and disabling decide whether svc
// starts at boot: itself, or a logger's producer.
func owner(svc *service) *service {
	if svc.producer != nil {
		return svc.producer
	}
	return svc
}

// Start brings the named services up, with the dependencies they need,
// even those down for good or marked down.
func (s *Supervisor) Start(names []string) error {
	svcs, err := s.lookup(names)
	if err != nil {
		return err
	}
	for _, svc := range svcs {
		s.want(svc)
	}
	s.reconcile()
	return nil
}

func (s *Supervisor) want(svc *service) {
	svc.want, svc.failed = true, false
	for _, dep := range svc.deps {
		s.want(dep)
	}
}

// Stop brings the named services down, and keeps them down until a Start:
// the services that depend on them stop first.
func (s *Supervisor) Stop(names []string) error {
	svcs, err := s.lookup(names)
	if err != nil {
		return err
	}
	for _, svc := range svcs {
		s.unwant(svc)
	}
	s.reconcile()
	return nil
}

// unwant marks svc not wanted, and what depends on it. A point of the
// boot is passed over: once passed, it stays (stopping a member of user
// does not stop /etc/services.d), until the shutdown.
func (s *Supervisor) unwant(svc *service) {
	svc.want = false
	for _, d := range svc.dependents {
		if !d.def.Point {
			s.unwant(d)
		}
	}
}

// Restart stops each named service that runs and starts it again at once
// (no restart delay, whatever its restart file says); one that does not run
// is started. It returns each service's start generation before the
// restart: the restart is done when Reached sees a later one ready.
func (s *Supervisor) Restart(names []string) (map[string]int, error) {
	svcs, err := s.lookup(names)
	if err != nil {
		return nil, err
	}
	gens := make(map[string]int)
	for _, svc := range svcs {
		gens[svc.def.Name] = svc.gen
		s.want(svc)
		if svc.state == StateStarting || svc.state == StateUp {
			svc.restart = true
			s.transition(svc, inStop, reaper.Exit{})
		}
	}
	s.reconcile()
	return gens, nil
}

// Faults names the services that cannot start for a reason in the image
// (their user), and why: `vigil check` reports them.
func (s *Supervisor) Faults() []string {
	var out []string
	for _, svc := range s.services {
		if svc.fault != "" && !svc.removed {
			out = append(out, "service "+svc.def.Name+" cannot start: "+svc.fault)
		}
	}
	return out
}

// Signal sends sig to the process group of each named service; each must
// be running.
func (s *Supervisor) Signal(names []string, sig unix.Signal) error {
	svcs, err := s.lookup(names)
	if err != nil {
		return err
	}
	for _, svc := range svcs {
		if svc.pid == 0 {
			return fmt.Errorf("service %s is not running (%s)", svc.def.Name, svc.state)
		}
	}
	for _, svc := range svcs {
		s.signal(svc.pid, sig)
	}
	return nil
}

// Reached reports whether every named service is in state until and, for
// a restart, started after generation after[name]. It fails when that can
// no longer happen: a service is gone (removed by reload), or is waited up
// for and down for good (only a start could change that). A service not
// wanted up now may be started by someone else meanwhile: it is waited for.
func (s *Supervisor) Reached(names []string, until Until, after map[string]int) (bool, error) {
	svcs, err := s.lookup(names)
	if err != nil {
		return false, fmt.Errorf("%w (gone, or never there)", err)
	}
	for _, svc := range svcs {
		if until != UntilDown && svc.failed && svc.state == StateDown {
			return false, fmt.Errorf("service %s is down for good (last exit: %s)", svc.def.Name, exitText(svc.last))
		}
		if !s.reached(svc, until) || svc.gen <= after[svc.def.Name] && after != nil {
			return false, nil
		}
	}
	return true, nil
}

func (s *Supervisor) reached(svc *service, until Until) bool {
	switch until {
	case UntilUp:
		return svc.state == StateStarting || svc.state == StateUp
	case UntilReady:
		return svc.state == StateUp
	}
	return svc.state == StateDown && !s.hasChildren(svc)
}

func (s *Supervisor) hasChildren(svc *service) bool {
	return svc.pid != 0 || svc.finishPid != 0 || svc.checkPid != 0
}

// exitText says how a run ended, for messages and status.
func exitText(e *reaper.Exit) string {
	switch {
	case e == nil:
		return "none"
	case e.Status.Signaled():
		return "signal " + process.SignalName(e.Status.Signal())
	}
	return fmt.Sprintf("exit %d", e.Status.ExitStatus())
}

// ExitText says how a run ended ("exit 3", "signal SIGKILL"), "" if never.
func (st Status) ExitText() string {
	if st.Last == nil {
		return ""
	}
	return exitText(st.Last)
}
