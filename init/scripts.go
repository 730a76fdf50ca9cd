package boot

import (
	"path/filepath"

	"github.com/vigil-init/vigil/process"
)

// Finish scripts (README "Shutdown", step 3) run here, one at a time; init
// scripts are oneshots of the services' graph (README "Boot").

// startScript starts the next finish script of the queue, stdin
// /dev/null, its output through the Output under its file name, in its own
// process group so that stopping it stops what it started. It returns
// false when the queue is empty.
func (v *vigil) startScript() bool {
	for len(v.scripts) > 0 {
		path := v.scripts[0]
		v.scripts = v.scripts[1:]
		pid, err := v.output.Start(filepath.Base(path), []string{path}, process.Attr{Env: v.env, Files: []uintptr{v.devNull.Fd(), 1, 2}})
		if err != nil {
			v.log.Error("script cannot start", "path", path, "err", err)
			continue
		}
		v.script, v.scriptPath = pid, path
		v.log.Info("script started", "path", path, "pid", pid)
		v.scriptKill.set(v.cfg.FinishTimeout.D())
		return true
	}
	return false
}

// onScriptExit handles the exit of the running finish script.
func (v *vigil) onScriptExit(code int) {
	path := v.scriptPath
	v.script, v.scriptPath = 0, ""
	v.scriptKill.stop()
	v.log.Info("script exited", "path", path, "code", code)
}
