package boot

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/process"
)

// prepareRunDir creates VIGIL_RUN_DIR and env/ in it, an envdir snapshot
// of env that init scripts may change, and returns the snapshot. A stale
// env/ from an earlier boot (a /run kept across restarts) is brought up to
// date (process.WriteEnvDir).
func prepareRunDir(dir string, env []string) (*process.EnvSnapshot, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create run dir %s: %w", dir, err)
	}
	snap, err := process.WriteEnvDir(filepath.Join(dir, "env"), env)
	if err != nil {
		return nil, fmt.Errorf("write env snapshot: %w", err)
	}
	return snap, nil
}

// reloadEnv reads the env snapshot back after an init script: what it
// added, changed or removed holds for everything started after it. Only
// the files whose stat changed are read (process.EnvSnapshot.Read).
func (v *vigil) reloadEnv() {
	if v.envSnap == nil {
		return
	}
	now, err := v.envSnap.Read()
	if err != nil {
		v.log.Warn("read env snapshot", "dir", v.envSnap.Dir(), "err", err)
		return
	}
	v.env = process.ApplyEnv(v.baseEnv, envChanges(v.snapshot, now))
}

// envChanges is what changed between two readings of an envdir: files
// added or changed, and files removed (as unsets). Comparing readings, not
// the environment, keeps what the snapshot cannot say as it was: values it
// could not write, and empty values (which read back as unsets).
func envChanges(before, after []process.EnvEntry) []process.EnvEntry {
	old := make(map[string]process.EnvEntry, len(before))
	for _, e := range before {
		old[e.Name] = e
	}
	var changes []process.EnvEntry
	for _, e := range after {
		if prev, ok := old[e.Name]; !ok || prev != e {
			changes = append(changes, e)
		}
		delete(old, e.Name)
	}
	for _, e := range before {
		if _, removed := old[e.Name]; removed {
			changes = append(changes, process.EnvEntry{Name: e.Name, Unset: true})
		}
	}
	return changes
}

// The paths of s6-overlay's runtime that images use (README "s6-overlay
// v3 images"), under VIGIL_S6_RUN_DIR (/run).
const (
	s6EnvLink  = "s6/container_environment" // the env snapshot
	s6HaltLink = "s6/basedir/bin/halt"      // vigil's halt helper
	s6Exitcode = control.S6ExitcodeFile     // what halt exits with
)

// prepareS6 makes s6-overlay's runtime paths, as far as the file system
// lets it: scripts write secrets into container_environment, finish
// scripts read and write the exitcode file (which must hold 0 meanwhile)
// and call halt. Nothing here is needed by vigil itself, so a failure is
// only a debug line. What an earlier boot left right (a /run kept across
// a restart) is left as it is: a symlink is read, not made again, and an
// exitcode file that holds 0 is not rewritten (on ext4 a rewrite of a
// file in place costs a block allocation).
func (v *vigil) prepareS6() {
	root := string(v.cfg.S6RunDir)
	link := func(rel, target string) {
		path := filepath.Join(root, rel)
		old, err := os.Readlink(path)
		if err == nil && old == target {
			return
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			v.log.Debug("s6-overlay runtime", "path", path, "err", err)
			return
		}
		if err == nil {
			os.Remove(path) // an earlier boot's
		}
		if err := os.Symlink(target, path); err != nil && !os.IsExist(err) {
			v.log.Debug("s6-overlay runtime", "path", path, "err", err)
		}
	}
	if v.envSnap != nil {
		link(s6EnvLink, v.envSnap.Dir())
	}
	if self, err := os.Executable(); err == nil {
		link(s6HaltLink, self)
	}
	exitcode := filepath.Join(root, s6Exitcode)
	if b, err := os.ReadFile(exitcode); err == nil && string(b) == "0\n" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(exitcode), 0o755); err == nil {
		err = os.WriteFile(exitcode, []byte("0\n"), 0o644)
		if err != nil {
			v.log.Debug("s6-overlay runtime", "path", exitcode, "err", err)
		}
	}
}
