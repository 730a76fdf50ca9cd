package services

import (
	"bytes"
	"os"
	"time"

	"github.com/vigil-init/vigil/reaper"
	"golang.org/x/sys/unix"
)

// Readiness probes (check) run again after a growing interval, from
// checkFirst up to checkMax, so that a service slow to come up costs a
// probe a second at most. A probe that runs longer than checkLimit is
// killed and counts as "not ready": a hung probe must not keep a service
// starting forever.
const (
	checkFirst = 20 * time.Millisecond
	checkMax   = time.Second
)

// checkLimit is a variable so that a test can shorten it.
var checkLimit = 10 * time.Second

// watchNotification reads the notification pipe until a newline, then
// reports ready. It reports nothing at EOF, or when the loop closes r (run
// exited, or is ready): r is pollable (os.Pipe), so Close ends the Read.
// It only reads and sends: the loop owns the service and r.
func watchNotification(r *os.File, events chan<- Event, ready Event) {
	buf := make([]byte, 512)
	for {
		n, err := r.Read(buf)
		if bytes.IndexByte(buf[:n], '\n') >= 0 {
			events <- ready
			return
		}
		if err != nil {
			return
		}
	}
}

// probeTimer is the timer in Starting: a probe still running ran out of
// time and is killed (its exit brings the retry); otherwise the next probe
// is due.
func (s *Supervisor) probeTimer(svc *service, e reaper.Exit) {
	if svc.checkPid != 0 {
		s.log.Warn("check ran out of time: SIGKILL", "service", svc.def.Name, "limit", checkLimit)
		s.signal(svc.checkPid, unix.SIGKILL)
		return
	}
	s.startCheck(svc, e)
}

// startCheck runs the check probe once, stdio on /dev/null.
func (s *Supervisor) startCheck(svc *service, _ reaper.Exit) {
	null := s.devNull.Fd()
	pid, err := s.spawn(svc, roleCheck, svc.def.Check, []string{svc.def.Name}, []uintptr{null, null, null})
	if err != nil {
		s.log.Error("check cannot start", "service", svc.def.Name, "err", err)
		s.retryCheck(svc)
		return
	}
	svc.checkPid = pid
	s.setTimer(svc, checkLimit)
}

// checkExited takes the probe's verdict: ready on 0, else probe again later.
func (s *Supervisor) checkExited(svc *service, e reaper.Exit) {
	if e.Code() == 0 {
		s.becomeReady(svc, e)
		return
	}
	s.log.Debug("check not ready", "service", svc.def.Name, "code", e.Code())
	s.retryCheck(svc)
}

func (s *Supervisor) retryCheck(svc *service) {
	delay := checkFirst << min(svc.checks, 10)
	svc.checks++
	s.setTimer(svc, min(delay, checkMax))
}

// stopProbes ends what watches readiness: a check still running (its exit
// is then ignored) and the notification pipe, which a child of run may
// hold open long after run exited.
func (s *Supervisor) stopProbes(svc *service) {
	if svc.checkPid != 0 {
		s.signal(svc.checkPid, unix.SIGKILL)
	}
	if svc.notify != nil {
		svc.notify.Close()
		svc.notify = nil
	}
}
