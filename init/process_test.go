package boot

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
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

// TestLiveProcesses: a process whose name holds ')' (go-ps drops those) is
// listed with its whole name; a zombie and vigil itself are not.
func TestLiveProcesses(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "a) b")
	sleep, err := os.ReadFile("/bin/sleep")
	if err != nil {
		t.Skip("no /bin/sleep to copy:", err)
	}
	if err := os.WriteFile(odd, sleep, 0o755); err != nil {
		t.Fatal(err)
	}
	live := exec.Command(odd, "100")
	zombie := exec.Command("/bin/true")
	for _, c := range []*exec.Cmd{live, zombie} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	defer zombie.Wait()
	// The zombie: /bin/true has exited and is not waited for yet.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, state, _ := readStat(zombie.Process.Pid); state == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/bin/true never became a zombie")
		}
		time.Sleep(10 * time.Millisecond)
	}
	procs, err := liveProcesses()
	if err != nil {
		t.Fatal(err)
	}
	found := map[int]string{}
	for _, p := range procs {
		found[p.pid] = p.name
	}
	if name, ok := found[live.Process.Pid]; !ok || name != "a) b" {
		t.Errorf("liveProcesses(): pid %d = %q, listed %v; want \"a) b\", listed", live.Process.Pid, name, ok)
	}
	for _, pid := range []int{zombie.Process.Pid, os.Getpid()} {
		if _, ok := found[pid]; ok {
			t.Errorf("liveProcesses() lists pid %d (a zombie, or the caller); want it left out", pid)
		}
	}
}
