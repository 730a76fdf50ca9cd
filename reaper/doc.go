// Package reaper is the only code in vigil that calls wait4. It turns SIGCHLD
// into batches of Exit events, one batch per reaping pass, and says in each
// batch whether any child is left.
//
// It knows nothing of services, the CMD or orphans: routing an exit to whoever
// started that pid is the caller's job. Callers must start children from the
// goroutine that consumes the batches and record the pid before they read the
// next batch; the reaper may reap a child before its spawner returns, but the
// exit is only seen when the batch is read, so it is never lost.
//
// Children are started with syscall.ForkExec, never os/exec or os.StartProcess:
// those wait for their own children (the reaper would steal the status) and,
// since Go 1.23, hold a pidfd per process that only Wait or Release frees.
// With ForkExec there is no os.Process and so nothing to release.
package reaper
