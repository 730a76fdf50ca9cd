package test

import (
	"os"
	"strings"
	"testing"
)

// asUser1000 runs vigil as uid 1000 in its PID namespace, as `docker run
// --user 1000` would.
var asUser1000 = []string{"setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "--"}

// userTree is a tree vigil can run as uid 1000: web, and redis whose user
// file names a user vigil cannot become without root.
func userTree(t *testing.T, redis map[string]string) *svcTree {
	tr := newSvcTree(t)
	tr.openToAll()
	if err := os.Chmod(tr.root, 0o777); err != nil { // vigil creates its run dir there
		t.Fatal(err)
	}
	tr.service("web", map[string]string{"run": sleeper("web")})
	redis["run"] = sleeper("redis")
	redis["user"] = "nobody\n"
	tr.service("redis", redis)
	return tr
}

// TestUserNotAssumable: vigil without root, and one service whose user it
// cannot become: that service fails alone, when it would start, with the
// reason in the log, `vigil status` and `vigil check`; the others run.
func TestUserNotAssumable(t *testing.T) {
	t.Parallel()
	tr := userTree(t, map[string]string{})
	v := start(t, opts{env: tr.env(), wrap: asUser1000})
	tr.waitReady("web")
	redis := tr.waitStatus("redis", "failed", func(s svcStatus) bool { return s.State == "failed" })
	if !strings.Contains(redis.Fault, "cannot switch to uid 65534") {
		t.Errorf("status of redis: fault %q; want why it cannot start", redis.Fault)
	}
	r := tr.clientWant(1, "check")
	if !strings.Contains(r.stderr, "service redis cannot start") || strings.Contains(r.stderr, "web") {
		t.Errorf("vigil check: %v; want it to name redis, and only redis", r)
	}
	table := tr.clientWant(0, "status")
	if !strings.Contains(table.stdout, "only root can") {
		t.Errorf("vigil status:\n%s\nwant the reason in redis's row", table.stdout)
	}
	v.termNoCmd()
	if got := matching(v.stderr(), logLine("service cannot start", "redis")); len(got) != 1 {
		t.Errorf("log: %q; want one line saying redis cannot start", got)
	}
}

// TestUserNotAssumableEssential: the same service marked essential stops
// the container, with 126 (it could not be executed as asked).
func TestUserNotAssumableEssential(t *testing.T) {
	t.Parallel()
	tr := userTree(t, map[string]string{"essential": ""})
	v := start(t, opts{env: tr.env(), wrap: asUser1000})
	if got := v.wait(); got != 126 {
		t.Errorf("exit code = %d; want 126 (an essential service that cannot start)", got)
	}
}

// TestUserNotAssumableDisabled: a disabled service is not checked for its
// user at all: nothing fails, the container is healthy.
func TestUserNotAssumableDisabled(t *testing.T) {
	t.Parallel()
	tr := userTree(t, map[string]string{})
	v := start(t, opts{env: tr.env("VIGIL_DISABLE=redis"), wrap: asUser1000})
	tr.waitReady("web")
	tr.clientWant(0, "check")
	v.termNoCmd()
	if got := matching(v.stderr(), `level=(ERROR|WARN)`); len(got) > 0 {
		t.Errorf("log: %q; want no warning or error", got)
	}
}
