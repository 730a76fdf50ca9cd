package reaper

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Wait blocks until the child pid ends and returns how it ended. It is for
// the short-lived helper programs vigil's binary also is (execline's
// foreground, if, backtick…), which start one child, wait for it, then exec
// into something else; it lives here because this package is the only one
// that calls wait4.
//
// Not for PID 1 or anything that runs a Reaper: the Reaper reaps every
// child, so Wait would lose the race for the status (or steal it from the
// Reaper), and it blocks the goroutine until the child ends.
func Wait(pid int) (Exit, error) {
	for {
		var status unix.WaitStatus
		// wait4 on that pid only: any other child stays a zombie for
		// whoever owns it (a background block is the exec'd program's).
		got, err := unix.Wait4(pid, &status, 0, nil)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return Exit{}, fmt.Errorf("wait for pid %d: %w", pid, err)
		}
		return Exit{Pid: got, Status: status}, nil
	}
}
