package boot

import (
	"errors"
	"syscall"

	"github.com/vigil-init/vigil/services"
	"golang.org/x/sys/unix"
)

// startCmd starts the CMD: argv[0] looked up in env's PATH, vigil's working
// directory and stdio, as leader of a new process group that becomes the
// terminal's foreground group when stdin is vigil's controlling terminal.
//
// It returns the pid, or the exit code that stands for the failure: 127
// when the program is not found, 126 when it cannot be executed.
func startCmd(argv, env []string) (pid int, code int, err error) {
	path, err := services.LookPath(argv[0], services.LookupEnv(env, "PATH"))
	if err == nil {
		attr := &syscall.ProcAttr{
			Env:   env,
			Files: []uintptr{0, 1, 2},
			Sys:   &syscall.SysProcAttr{Setpgid: true},
		}
		if isControllingTerminal(0) {
			// Foreground makes the child call tcsetpgrp on fd 0 before
			// exec, with signals still blocked so SIGTTOU cannot stop it.
			// Without a controlling terminal that ioctl fails with ENOTTY
			// and the start with it: hence the check.
			attr.Sys.Foreground = true
			attr.Sys.Ctty = 0
		}
		pid, err = syscall.ForkExec(path, argv, attr)
	}
	switch {
	case err == nil:
		return pid, 0, nil
	case errors.Is(err, unix.ENOENT):
		return 0, exitNotFound, err
	default:
		return 0, exitNotExecutable, err
	}
}

// isControllingTerminal reports whether fd is the calling process's
// controlling terminal: TIOCGPGRP succeeds only then.
func isControllingTerminal(fd int) bool {
	_, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil
}
