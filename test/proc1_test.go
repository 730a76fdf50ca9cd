package test

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestProc1Open: after a service with a user file has started, root
// without CAP_SYS_PTRACE (as in `docker exec`) can still read
// /proc/VIGIL/environ and write to /proc/VIGIL/fd/1, the cron-in-Docker
// idiom for getting a job's output to `docker logs`. Switching the
// credentials in the vfork child would clear vigil's dumpable flag and
// refuse both.
func TestProc1Open(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) not found:", err)
	}
	tr := newSvcTree(t)
	tr.openToAll()
	tr.service("web", map[string]string{
		"user": "nobody\n",
		"run":  shScript(publish("up", "$(id -u)") + "\nexec sleep 1000"),
	})
	// vigil runs without CAP_SYS_PTRACE too, as in Docker: otherwise its
	// larger capability set alone would keep the reader out.
	noPtrace := []string{"setpriv", "--bounding-set=-sys_ptrace", "--"}
	v := start(t, opts{env: tr.env(), wrap: noPtrace})
	if got := tr.waitFile("up"); got != "65534" {
		t.Fatalf("service ran as uid %q; want 65534", got)
	}
	proc := "/proc/" + strconv.Itoa(v.vigilPid())
	out, err := exec.Command(noPtrace[0], append(noPtrace[1:], "cat", proc+"/environ")...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "VIGIL_SERVICES_DIR=") {
		t.Errorf("read %s/environ without CAP_SYS_PTRACE: %v: %.200q; want vigil's environment", proc, err, out)
	}
	out, err = exec.Command(noPtrace[0], append(noPtrace[1:], "sh", "-c", "echo written-through-proc > "+proc+"/fd/1")...).CombinedOutput()
	if err != nil {
		t.Errorf("write %s/fd/1 without CAP_SYS_PTRACE: %v: %s", proc, err, out)
	} else {
		v.expectRunning(`written-through-proc`)
	}
	v.termNoCmd()
}
