package boot

import (
	"os"
	"path/filepath"

	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/services"
	"golang.org/x/sys/unix"
)

// listScripts returns the executable regular files of dir in byte order of
// their names (symlinks followed), for init and finish scripts. Files that
// are not executable are skipped with a warning naming them; a missing dir
// has no scripts.
func (v *vigil) listScripts(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if !os.IsNotExist(err) {
			v.log.Warn("read scripts", "dir", dir, "err", err)
		}
		return nil
	}
	var scripts []string
	for _, e := range entries { // os.ReadDir sorts by name, byte-wise
		path := filepath.Join(dir, e.Name())
		info, err := os.Stat(path)
		switch {
		case err != nil:
			v.log.Warn("skipped script", "path", path, "err", err)
		case !info.Mode().IsRegular():
			v.log.Debug("skipped: not a regular file", "path", path)
		case info.Mode()&0o111 == 0:
			v.log.Warn("skipped script: not executable", "path", path)
		default:
			scripts = append(scripts, path)
		}
	}
	return scripts
}

// startScript starts the next script of the queue, stdin /dev/null,
// stdout and stderr the container's, in its own process group so that
// stopping it stops what it started. It returns false when the queue is
// empty.
func (v *vigil) startScript() bool {
	for len(v.scripts) > 0 {
		path := v.scripts[0]
		v.scripts = v.scripts[1:]
		files := []uintptr{v.devNull.Fd(), 1, 2}
		opened, err := v.output.Prefix(filepath.Base(path), files)
		var pid int
		if err == nil {
			pid, err = process.Start([]string{path}, process.Attr{Env: v.env, Files: files})
			services.CloseAll(opened)
		}
		if err != nil {
			v.log.Error("script cannot start", "path", path, "err", err)
			if v.stage == stageInit && v.scriptFailed(path, process.FailureCode(err)) {
				return false
			}
			continue
		}
		v.script, v.scriptPath = pid, path
		v.log.Info("script started", "path", path, "pid", pid)
		if v.stage == stageFinish {
			v.scriptKill.set(v.cfg.FinishTimeout.D())
		}
		return true
	}
	return false
}

// onScriptExit handles the exit of the running init or finish script.
func (v *vigil) onScriptExit(code int) {
	path := v.scriptPath
	v.script, v.scriptPath = 0, ""
	v.scriptKill.stop()
	v.log.Info("script exited", "path", path, "code", code)
	if v.stage == stageInit {
		v.reloadEnv()
		if code != 0 {
			v.scriptFailed(path, code)
		}
	}
}

// scriptFailed applies VIGIL_INIT_FAILURE to a failed init script. It
// reports whether the boot stops.
func (v *vigil) scriptFailed(path string, code int) bool {
	if v.cfg.InitFailure == InitContinue {
		v.log.Warn("init script failed; continuing", "path", path, "code", code)
		return false
	}
	v.log.Error("init script failed", "path", path, "code", code)
	v.fixExitCode(code)
	v.shutdown(unix.SIGTERM, "init script failed")
	return true
}
