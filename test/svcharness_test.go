package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// svcTree is one test's vigil directories (services, init and finish
// scripts, the run dir) and a scratch directory, $OUT, where the scripts
// write what they see. Every child of vigil gets OUT in its environment.
type svcTree struct {
	t                                *testing.T
	root                             string
	services, init, finish, run, out string
}

func newSvcTree(t *testing.T) *svcTree {
	t.Helper()
	root := t.TempDir()
	tr := &svcTree{
		t:        t,
		root:     root,
		services: filepath.Join(root, "services"),
		init:     filepath.Join(root, "cont-init.d"),
		finish:   filepath.Join(root, "cont-finish.d"),
		run:      filepath.Join(root, "run"),
		out:      filepath.Join(root, "out"),
	}
	for _, d := range []string{tr.services, tr.init, tr.finish, tr.out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// env is vigil's environment for this tree, then extra (which wins).
func (tr *svcTree) env(extra ...string) []string {
	return append([]string{
		"VIGIL_SERVICES_DIR=" + tr.services,
		"VIGIL_INIT_DIR=" + tr.init,
		"VIGIL_FINISH_DIR=" + tr.finish,
		"VIGIL_RUN_DIR=" + tr.run,
		"OUT=" + tr.out,
	}, extra...)
}

// start starts vigil as PID 1 on this tree with env added and CMD cmd.
func (tr *svcTree) start(env []string, cmd ...string) *vigil {
	tr.t.Helper()
	return start(tr.t, opts{env: tr.env(env...)}, cmd...)
}

// openToAll lets any user reach the tree and write in $OUT, for services
// that run as another user: t.TempDir() makes its directories 0700.
func (tr *svcTree) openToAll() {
	tr.t.Helper()
	for _, d := range []string{filepath.Dir(tr.root), tr.root} {
		if err := os.Chmod(d, 0o755); err != nil {
			tr.t.Fatal(err)
		}
	}
	if err := os.Chmod(tr.out, 0o777); err != nil {
		tr.t.Fatal(err)
	}
}

// shScript is a /bin/sh script with body.
func shScript(body string) string {
	return "#!/bin/sh\n" + body + "\n"
}

// shCmd is a CMD running script with /bin/sh.
func shCmd(script string) []string {
	return []string{"/bin/sh", "-c", script}
}

// writeTreeFile writes content to path, creating its directories; a file
// whose content starts with "#!" is made executable.
func writeTreeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	mode := os.FileMode(0o644)
	if strings.HasPrefix(content, "#!") {
		mode = 0o755
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// service writes the service directory name: files maps a path within it
// ("run", "log/run", "env/FOO", "dependencies.d/db") to its content.
func (tr *svcTree) service(name string, files map[string]string) {
	tr.t.Helper()
	dir := filepath.Join(tr.services, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tr.t.Fatal(err)
	}
	for rel, content := range files {
		writeTreeFile(tr.t, filepath.Join(dir, rel), content)
	}
}

// script writes a script (executable if it starts with "#!") into dir.
func (tr *svcTree) script(dir, name, content string) {
	tr.t.Helper()
	writeTreeFile(tr.t, filepath.Join(dir, name), content)
}

// path is the file name in $OUT.
func (tr *svcTree) path(name string) string {
	return filepath.Join(tr.out, name)
}

// exists reports whether $OUT/name exists.
func (tr *svcTree) exists(name string) bool {
	_, err := os.Stat(tr.path(name))
	return err == nil
}

// lines returns the lines of $OUT/name (nil if it does not exist).
func (tr *svcTree) lines(name string) []string {
	b, err := os.ReadFile(tr.path(name))
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// read returns $OUT/name without its trailing newline, "" if absent.
func (tr *svcTree) read(name string) string {
	b, _ := os.ReadFile(tr.path(name))
	return strings.TrimSuffix(string(b), "\n")
}

// waitFile waits until $OUT/name exists and returns its content (without
// the trailing newline). Scripts write a temporary file and rename it, so
// that what exists is complete.
func (tr *svcTree) waitFile(name string) string {
	tr.t.Helper()
	poll(tr.t, "$OUT/"+name, func() (bool, string) {
		return tr.exists(name), "no such file"
	})
	return tr.read(name)
}

// waitLines waits until $OUT/name has at least n lines and returns them.
func (tr *svcTree) waitLines(name string, n int) []string {
	tr.t.Helper()
	var got []string
	poll(tr.t, fmt.Sprintf("%d lines in $OUT/%s", n, name), func() (bool, string) {
		got = tr.lines(name)
		return len(got) >= n, fmt.Sprintf("%d lines: %q", len(got), got)
	})
	return got
}

// errLinesNow returns vigil's stderr lines so far.
func (v *vigil) errLinesNow() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.errLines...)
}

// matching returns the lines matching the regular expression pattern.
func matching(lines []string, pattern string) []string {
	re := regexp.MustCompile(pattern)
	var m []string
	for _, l := range lines {
		if re.MatchString(l) {
			m = append(m, l)
		}
	}
	return m
}

// waitErrLine waits for a stderr line of vigil's matching pattern.
func (v *vigil) waitErrLine(pattern string) string {
	v.t.Helper()
	var line string
	poll(v.t, fmt.Sprintf("a stderr line matching %q", pattern), func() (bool, string) {
		if m := matching(v.errLinesNow(), pattern); len(m) > 0 {
			line = m[0]
			return true, ""
		}
		return false, "none yet"
	})
	return line
}

// logLine is a pattern matching vigil's log line msg about service.
func logLine(msg, service string) string {
	return `msg="` + regexp.QuoteMeta(msg) + `" service=` + regexp.QuoteMeta(service) + `( |$)`
}

// termNoCmd sends SIGTERM to vigil (which runs no CMD) and checks that it exits
// 0. It returns how long vigil took.
func (v *vigil) termNoCmd() time.Duration {
	v.t.Helper()
	sent := monoNow()
	v.signal(unix.SIGTERM)
	if got := v.wait(); got != 0 {
		v.t.Errorf("exit code after SIGTERM, no CMD = %d; want 0", got)
	}
	return v.sinceExit(sent)
}

// noZombieChild waits until no child of vigil is a zombie: vigil reaps every
// child, so one that lasts is a bug.
func (v *vigil) noZombieChild() {
	v.t.Helper()
	pid := v.vigilPid()
	poll(v.t, "no zombie child of vigil", func() (bool, string) {
		var z []string
		for _, c := range children(pid) {
			if procState(c) == 'Z' {
				z = append(z, fmt.Sprintf("%d (%s)", c, procComm(c)))
			}
		}
		return len(z) == 0, fmt.Sprintf("zombies: %v", z)
	})
}

// procComm returns the command name of pid ("" if it is gone).
func procComm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// fdCount returns how many fds pid has open.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("fds of %d: %v", pid, err)
	}
	return len(ents)
}

// waitForCmd is a shell loop a CMD or service uses to wait for $OUT/name.
func waitForCmd(name string) string {
	return fmt.Sprintf(`until [ -e "$OUT/%s" ]; do sleep 0.02; done`, name)
}

// publish is a shell snippet writing text to $OUT/name atomically.
func publish(name, text string) string {
	return fmt.Sprintf(`echo "%s" > "$OUT/%s.tmp" && mv "$OUT/%s.tmp" "$OUT/%s"`, text, name, name, name)
}
