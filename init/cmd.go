package boot

import (
	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

// startCmd starts the CMD (README "The CMD"): argv[0] looked up in the
// children's PATH, vigil's working directory and stdio, as leader of a new
// process group that becomes the terminal's foreground group when stdin is
// vigil's controlling terminal. A CMD that cannot start ends the container
// with 127 (not found) or 126 (not executable), through the shutdown.
func (v *vigil) startCmd() {
	pid, err := process.Start(v.cmdArgs, process.Attr{
		Env:        v.env,
		Files:      []uintptr{0, 1, 2},
		Foreground: true,
	})
	if err != nil {
		code := process.FailureCode(err)
		v.log.Error("cmd cannot start", "cmd", v.cmdArgs[0], "err", err, "code", code)
		v.fixExitCode(code)
		v.shutdown(unix.SIGTERM, "cmd cannot start")
		return
	}
	v.cmd = pid
	v.log.Debug("cmd started", "pid", pid, "cmd", v.cmdArgs[0])
}
