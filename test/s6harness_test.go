package test

// Helpers for the tests of s6-overlay's helper programs: vigilBin linked
// under each helper name, as an image's /command holds them, and runs of
// them against a vigil running on a svcTree.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vigil-init/vigil/client"
)

var (
	s6BinOnce sync.Once
	s6BinDir  string
	s6BinErr  error
)

// s6Bin is a directory holding a link to vigilBin under every helper
// name, as /command holds s6-overlay's programs. It is in the build
// directory, which TestMain removes.
func s6Bin(t *testing.T) string {
	t.Helper()
	s6BinOnce.Do(func() {
		dir := filepath.Join(filepath.Dir(vigilBin), "command")
		if s6BinErr = os.Mkdir(dir, 0o755); s6BinErr != nil {
			return
		}
		for _, name := range client.HelperNames {
			if s6BinErr = os.Symlink(vigilBin, filepath.Join(dir, name)); s6BinErr != nil {
				return
			}
		}
		s6BinDir = dir
	})
	if s6BinErr != nil {
		t.Fatalf("link the helpers: %v", s6BinErr)
	}
	return s6BinDir
}

// s6Path is a PATH with the helpers first, for vigil's children.
func s6Path(t *testing.T) string {
	return "PATH=" + s6Bin(t) + ":" + os.Getenv("PATH")
}

// startS6 starts vigil on the tree with the helpers in its children's
// PATH, env added and CMD cmd.
func (tr *svcTree) startS6(env []string, cmd ...string) *vigil {
	tr.t.Helper()
	return tr.start(append([]string{s6Path(tr.t)}, env...), cmd...)
}

// s6Env is a helper's environment for this tree: the client's, with the
// helpers in PATH, then extra.
func (tr *svcTree) s6Env(extra ...string) []string {
	return tr.clientEnv(append([]string{s6Path(tr.t)}, extra...)...)
}

// s6 runs the helper name with args against the vigil of this tree, as
// `docker exec CONTAINER NAME ARGS…` would.
func (tr *svcTree) s6(name string, args ...string) clientResult {
	tr.t.Helper()
	return runS6(tr.t, tr.s6Env(), name, args...)
}

// s6Want is s6, failing the test unless the helper exits want.
func (tr *svcTree) s6Want(want int, name string, args ...string) clientResult {
	tr.t.Helper()
	r := tr.s6(name, args...)
	if r.code != want {
		tr.t.Fatalf("%v\nwant exit %d", r, want)
	}
	return r
}

// runS6 runs the helper name with args and env.
func runS6(t *testing.T, env []string, name string, args ...string) clientResult {
	t.Helper()
	r, err := runProgram(nil, env, nil, filepath.Join(s6Bin(t), name), args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// svstat is `s6-svstat ARGS… DIR`'s one line, failing the test unless it
// exits 0.
func (tr *svcTree) svstat(args ...string) string {
	tr.t.Helper()
	r := tr.s6Want(0, "s6-svstat", args...)
	line, rest, _ := strings.Cut(r.stdout, "\n")
	if rest != "" {
		tr.t.Fatalf("%v\nwant one line", r)
	}
	return line
}

// serviceDir is the path scripts pass to s6 tools for a service.
func serviceDir(name string) string { return fmt.Sprintf("/run/service/%s", name) }

// waitBooted waits until vigil's boot is done and every service meant to
// be up is ready (vigil check passes): after the init scripts.
func (tr *svcTree) waitBooted() {
	tr.t.Helper()
	tr.waitControl()
	poll(tr.t, "boot to be done (vigil check)", func() (bool, string) {
		r := tr.client("check")
		return r.code == 0, r.String()
	})
}
