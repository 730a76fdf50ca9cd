package boot

import (
	"os"
	"testing"
)

func TestReadStat(t *testing.T) {
	p, state, err := readStat(os.Getpid())
	if err != nil || p.pid != os.Getpid() || p.ppid != os.Getppid() || state != 'R' && state != 'S' {
		t.Errorf("readStat(self) = %+v, %q, %v; want pid %d ppid %d, running", p, state, err, os.Getpid(), os.Getppid())
	}
}

func TestDescendants(t *testing.T) {
	procs := []proc{{pid: 2, ppid: 1}, {pid: 3, ppid: 2}, {pid: 4, ppid: 3}, {pid: 5, ppid: 1}, {pid: 6, ppid: 9}}
	got := descendants(procs, 2)
	if len(got) != 2 || got[0].pid != 3 || got[1].pid != 4 {
		t.Errorf("descendants(procs, 2) = %+v; want pids 3, 4", got)
	}
}
