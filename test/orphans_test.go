package test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// freePort returns a TCP port of 127.0.0.1 that nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// daemonTree is a service like nginx: a leader that listens on a port and
// a worker in its process group that holds the socket too.
func daemonTree(t *testing.T, files map[string]string) (*svcTree, string) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	tr := newSvcTree(t)
	if files == nil {
		files = map[string]string{}
	}
	files["run"] = shScript(fmt.Sprintf(`exec %s tag web listen %s child "tag worker ready wait" ready wait`, helperBin, addr))
	tr.service("web", files)
	return tr, addr
}

// TestOrphanedGroupStopped: when a service's leader dies (kill -9 of a
// master), what is left of its process group gets the down-signal before
// the restart, so the new leader can bind the port its workers held.
func TestOrphanedGroupStopped(t *testing.T) {
	t.Parallel()
	tr, addr := daemonTree(t, nil)
	v := tr.start(nil)
	v.expectRunning(`web listening addr=` + addr)
	worker := atoi(t, v.expectRunning(`worker ready pid=(\d+)`)[1])
	leader := atoi(t, v.expectRunning(`web ready pid=(\d+)`)[1])
	workerHost := v.nsHostPid(worker)
	killed := monoNow()
	if err := unix.Kill(v.nsHostPid(leader), unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	v.expectRunning(`web listening addr=` + addr)
	took := time.Duration(monoNow() - killed)
	v.expectRunning(`web ready pid=\d+`)
	t.Logf("leader SIGKILLed; a new one listens on %s %v later", addr, took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("the new leader bound %s %v after the kill; want well within 5s (a restart delay of 200 ms)", addr, took)
	}
	if alive(workerHost) {
		t.Errorf("the old worker (pid %d) still runs; want it stopped with its group", workerHost)
	}
	v.termNoCmd()
	if got := matching(v.stderr(), logLine("service stopping what run left", "web")); len(got) != 1 {
		t.Errorf("vigil logged %q; want one line saying it stops what run left", got)
	}
}

// TestKeepOrphans: with keep-orphans, what the leader leaves in its group
// is left alone: the worker still holds the port, so the new leader
// cannot bind it.
func TestKeepOrphans(t *testing.T) {
	t.Parallel()
	tr, _ := daemonTree(t, map[string]string{"keep-orphans": ""})
	v := tr.start(nil)
	worker := atoi(t, v.expectRunning(`worker ready pid=(\d+)`)[1])
	leader := atoi(t, v.expectRunning(`web ready pid=(\d+)`)[1])
	workerHost := v.nsHostPid(worker)
	if err := unix.Kill(v.nsHostPid(leader), unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	v.expectRunning(`web error=".*address already in use`)
	if !alive(workerHost) {
		t.Errorf("the worker (pid %d) is gone; want it kept with keep-orphans", workerHost)
	}
	v.termNoCmd()
}
