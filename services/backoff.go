package services

import "time"

// Restart delays (README "Services"): a run that lasted longRun or more restarts at
// once; one that keeps dying fast waits firstDelay, doubled at each fast
// death, at most maxDelay. A crash loop thus never spins a CPU: the tenth
// fast death in a row waits the full 30 s.
const (
	longRun    = 10 * time.Second
	firstDelay = 200 * time.Millisecond
	maxDelay   = 30 * time.Second
)

// restartDelay is the wait before the next start after a run that lasted
// uptime, given fast, the number of fast deaths in a row before this one.
// It returns the new count of fast deaths.
func restartDelay(uptime time.Duration, fast int) (time.Duration, int) {
	if uptime >= longRun {
		return 0, 0
	}
	delay := firstDelay
	for i := 0; i < fast && delay < maxDelay; i++ {
		delay *= 2
	}
	return min(delay, maxDelay), fast + 1
}
