package reaper

import (
	"errors"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// Exit is one child reaped: its pid and how it ended.
type Exit struct {
	Pid    int
	Status unix.WaitStatus
}

// Code is the conventional exit code of the child: its exit status, or
// 128+N when signal N killed it.
func (e Exit) Code() int {
	if e.Status.Signaled() {
		return 128 + int(e.Status.Signal())
	}
	return e.Status.ExitStatus()
}

// Batch is what one reaping pass found.
type Batch struct {
	Exits []Exit
	// Empty is true when wait4 said ECHILD at the end of the pass: vigil had
	// no child at all, not even a zombie. It is exact for the moment of the
	// pass; a child started after the pass is not counted.
	Empty bool
}

// Reaper reaps every child of the process for as long as it runs.
type Reaper struct {
	batches chan Batch
	poke    chan struct{}
	sigchld chan os.Signal
}

// Start begins reaping. Call it before the first child starts: a SIGCHLD
// that comes before signal.Notify is lost. Any child inherited from the
// process that exec'd vigil is reaped at once.
func Start() *Reaper {
	r := &Reaper{
		batches: make(chan Batch, 16),
		poke:    make(chan struct{}, 1),
		// SIGCHLDs coalesce: one pending is enough, each pass reaps all.
		sigchld: make(chan os.Signal, 1),
	}
	signal.Notify(r.sigchld, unix.SIGCHLD)
	r.Poke()
	go r.run()
	return r
}

// Batches delivers one Batch per reaping pass that reaped something or was
// asked for with Poke.
func (r *Reaper) Batches() <-chan Batch { return r.batches }

// Poke asks for a reaping pass whose Batch is delivered even when nothing
// was reaped, so that the caller learns whether any child is left.
func (r *Reaper) Poke() {
	select {
	case r.poke <- struct{}{}:
	default: // a pass is already due
	}
}

func (r *Reaper) run() {
	for {
		poked := false
		select {
		case <-r.sigchld:
		case <-r.poke:
			poked = true
		}
		b := reapAll()
		if poked || len(b.Exits) > 0 {
			r.batches <- b
		}
	}
}

// reapAll reaps until no exited child is left: one SIGCHLD may stand for
// many exits, since signals of one kind do not queue.
func reapAll() Batch {
	var b Batch
	for {
		var status unix.WaitStatus
		pid, err := unix.Wait4(-1, &status, unix.WNOHANG, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ECHILD):
			b.Empty = true
			return b
		case err != nil || pid <= 0:
			// pid 0: children remain, none has exited yet.
			return b
		}
		b.Exits = append(b.Exits, Exit{Pid: pid, Status: status})
	}
}
