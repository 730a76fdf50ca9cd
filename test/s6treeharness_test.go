package test

// Helpers for the tests of s6-rc source trees (s6tree_test.go): a svcTree
// with an s6-overlay directory beside it (VIGIL_S6_OVERLAY_DIR, holding
// s6-rc.d/ and user-bundles.d/), and an event log, $OUT/events, that the
// scripts of a test append to so that the test can check in which order
// things happened.

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// s6Tree is one test's vigil directories and its s6-overlay directory.
type s6Tree struct {
	*svcTree
	overlay  string   // VIGIL_S6_OVERLAY_DIR
	extraEnv []string // for vigil's environment, set by a test's setup
}

func newS6Tree(t *testing.T) *s6Tree {
	t.Helper()
	tr := &s6Tree{svcTree: newSvcTree(t)}
	tr.overlay = filepath.Join(tr.root, "s6-overlay")
	for _, d := range []string{"s6-rc.d", "user-bundles.d"} {
		if err := os.MkdirAll(filepath.Join(tr.overlay, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// rcDir is the path of the source name in s6-rc.d.
func (tr *s6Tree) rcDir(name string) string {
	return filepath.Join(tr.overlay, "s6-rc.d", name)
}

// source writes the s6-rc source name into s6-rc.d: its type, and files
// (a path within the directory → its content; a content starting with
// "#!" is made executable, as writeTreeFile does).
func (tr *s6Tree) source(name, typ string, files map[string]string) {
	tr.t.Helper()
	writeTreeFile(tr.t, filepath.Join(tr.rcDir(name), "type"), typ+"\n")
	for rel, content := range files {
		writeTreeFile(tr.t, filepath.Join(tr.rcDir(name), rel), content)
	}
}

// oneshot writes a oneshot whose up (and down, when not "") are command
// lines, with the dependencies deps.
func (tr *s6Tree) oneshot(name, up, down string, deps ...string) {
	tr.t.Helper()
	files := map[string]string{"up": up}
	if down != "" {
		files["down"] = down
	}
	tr.source(name, "oneshot", files)
	tr.depends(name, deps...)
}

// scriptOneshot writes a oneshot in the pattern of most real images: the
// script is a file of the source directory (run), and up is its path.
func (tr *s6Tree) scriptOneshot(name, script string, deps ...string) {
	tr.t.Helper()
	tr.source(name, "oneshot", map[string]string{
		"run": script,
		"up":  filepath.Join(tr.rcDir(name), "run") + "\n",
	})
	tr.depends(name, deps...)
}

// longrun writes a longrun with run script run, the dependencies deps.
func (tr *s6Tree) longrun(name, run string, deps ...string) {
	tr.t.Helper()
	tr.source(name, "longrun", map[string]string{"run": run})
	tr.depends(name, deps...)
}

// depends adds an entry to dependencies.d/ of the source name for each of deps.
func (tr *s6Tree) depends(name string, deps ...string) {
	tr.t.Helper()
	for _, d := range deps {
		writeTreeFile(tr.t, filepath.Join(tr.rcDir(name), "dependencies.d", d), "")
	}
}

// member adds names to the contents.d/ of the bundle in user-bundles.d
// (where s6-overlay 3.2.3 wants user and user2), with its type file.
func (tr *s6Tree) member(bundle string, names ...string) {
	tr.t.Helper()
	dir := filepath.Join(tr.overlay, "user-bundles.d", bundle)
	writeTreeFile(tr.t, filepath.Join(dir, "type"), "bundle\n")
	for _, n := range names {
		writeTreeFile(tr.t, filepath.Join(dir, "contents.d", n), "")
	}
}

// env is vigil's environment for this tree: the svcTree's, the overlay
// directory, s6-overlay's helpers first in PATH, then extra (which wins).
func (tr *s6Tree) env(extra ...string) []string {
	return tr.svcTree.env(append([]string{"VIGIL_S6_OVERLAY_DIR=" + tr.overlay, s6Path(tr.t)}, extra...)...)
}

// start starts vigil as PID 1 on this tree with env added and CMD cmd.
func (tr *s6Tree) start(env []string, cmd ...string) *vigil {
	tr.t.Helper()
	return start(tr.t, opts{env: tr.env(env...)}, cmd...)
}

// tmpfsRun is a wrap for opts: vigil starts with a tmpfs of its own on
// /run (in its mount namespace, which unshare --mount-proc made), so that
// a test can run it with VIGIL_S6_RUN_DIR=/run, the paths s6-overlay's
// scripts name, touching nothing of the host's /run nor another test's.
var tmpfsRun = []string{"/bin/sh", "-c", `mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"`, "sh"}

// startRunTmpfs is start with vigil on a /run of its own (tmpfsRun).
func (tr *s6Tree) startRunTmpfs(env []string, cmd ...string) *vigil {
	tr.t.Helper()
	if os.Geteuid() != 0 {
		tr.t.Skip("the test mounts a tmpfs on /run in vigil's mount namespace: needs root")
	}
	return start(tr.t, opts{env: tr.env(env...), wrap: tmpfsRun}, cmd...)
}

// event is a shell command appending "WHAT" as one line to $OUT/events:
// a write of a few bytes with O_APPEND, so the lines of scripts running
// at the same time never mix.
func event(what string) string {
	return fmt.Sprintf(`echo "%s" >> "$OUT/events"`, what)
}

// events returns the lines of $OUT/events so far.
func (tr *s6Tree) events() []string {
	return tr.lines("events")
}

// checkEventOrder fails unless the events named in order appear in
// events in that order, each after the one before it (others may come in
// between; an event that happens more than once counts at the first time
// it happens after the one before it in order).
func checkEventOrder(t *testing.T, events []string, order ...string) {
	t.Helper()
	from := 0
	for i, name := range order {
		at := slices.Index(events[from:], name)
		if at < 0 {
			after := ""
			if i > 0 {
				after = fmt.Sprintf(" after %q", order[i-1])
			}
			t.Errorf("event %q missing%s; want %q; events:\n\t%s", name, after, order, strings.Join(events, "\n\t"))
			return
		}
		from += at + 1
	}
}

// onceEach fails if an event happened more than once.
func onceEach(t *testing.T, events []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range events {
		if seen[e] {
			t.Errorf("event %q happened twice; events:\n\t%s", e, strings.Join(events, "\n\t"))
		}
		seen[e] = true
	}
}

// rendezvous is a shell snippet for one of two scripts that must run at
// the same time: it creates $OUT/NAME.here and waits for $OUT/OTHER.here.
// When the other has not come within rendezvousTimeout (vigil runs the two
// one after the other), it records "NAME waited alone" and goes on, so
// that the test fails saying so instead of timing out.
func rendezvous(name, other string) string {
	return fmt.Sprintf(`: > "$OUT/%[1]s.here"
n=0
until [ -e "$OUT/%[2]s.here" ]; do
	n=$((n+1))
	if [ $n -gt %[3]d ]; then %[4]s; break; fi
	sleep 0.02
done`, name, other, int(rendezvousTimeout/(20*time.Millisecond)), event(name+" waited alone"))
}

// rendezvousTimeout bounds how long a script of rendezvous waits for the
// other: generous, the machine is shared.
const rendezvousTimeout = 10 * time.Second

// waitExit waits up to d for vigil to exit and returns its exit code; ok
// is false when it still runs then (the test goes on; cleanup kills it).
// For tests of features still to come, which must fail in a bounded time.
func (v *vigil) waitExit(d time.Duration) (code int, ok bool) {
	v.t.Helper()
	select {
	case <-v.done:
		return v.wait(), true
	case <-time.After(d):
		return 0, false
	}
}
