package client

import "golang.org/x/sys/unix"

// TEMPORARY: reaper.Wait(pid), a blocking wait for one child, is being
// added on branch execline; once it lands this file goes and its callers
// (s6-notifyoncheck) call reaper.Wait. Only package reaper may call wait4.

// reaperWait waits until child pid exits and returns how it ended.
func reaperWait(pid int) (unix.WaitStatus, error) {
	for {
		var ws unix.WaitStatus
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			return ws, err
		}
	}
}
