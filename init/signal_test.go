package boot

import (
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// TestEarlySignals: the signals that would end or stop vigil are registered
// before the boot goes on; together the two lists are every signal vigil
// handles, each once.
func TestEarlySignals(t *testing.T) {
	for _, pid1 := range []bool{true, false} {
		early, late := earlySignals(pid1)
		mustEarly := []os.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGQUIT, unix.SIGHUP, unix.SIGPIPE}
		if !pid1 {
			mustEarly = append(mustEarly, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU)
		}
		for _, sig := range mustEarly {
			if !slices.Contains(early, sig) {
				t.Errorf("earlySignals(pid1=%v): %v is not early; want it registered before the boot goes on", pid1, sig)
			}
		}
		all := append(slices.Clone(early), late...)
		want := append(append([]os.Signal{unix.SIGPIPE}, stopSignals...), forwardSignals...)
		for n := 35; n <= 64; n++ {
			want = append(want, unix.Signal(n))
		}
		less := func(a, b os.Signal) int { return int(a.(unix.Signal)) - int(b.(unix.Signal)) }
		slices.SortFunc(all, less)
		slices.SortFunc(want, less)
		if !slices.Equal(all, want) {
			t.Errorf("earlySignals(pid1=%v) = %v + %v; want each of %v once", pid1, early, late, want)
		}
	}
}
