package boot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// defaultPath is searched when the environment has no PATH, as execvp does.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// startCmd starts the CMD: argv[0] looked up in env's PATH, vigil's working
// directory and stdio, as leader of a new process group that becomes the
// terminal's foreground group when stdin is vigil's controlling terminal.
//
// It returns the pid, or the exit code that stands for the failure: 127
// when the program is not found, 126 when it cannot be executed.
func startCmd(argv, env []string) (pid int, code int, err error) {
	path, err := lookPath(argv[0], lookupEnv(env, "PATH"))
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

// lookPath finds file as execvp does: a name with a slash is used as it is;
// otherwise the first executable regular file of that name in path. It says
// EACCES when a file of that name exists but none can be executed, ENOENT
// when there is none.
func lookPath(file, path string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil
	}
	if path == "" {
		path = defaultPath
	}
	denied := false
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, file)
		info, err := os.Stat(candidate)
		if err != nil {
			continue
		}
		if info.Mode().IsRegular() && unix.Access(candidate, unix.X_OK) == nil {
			return candidate, nil
		}
		denied = true
	}
	if denied {
		return "", unix.EACCES
	}
	return "", unix.ENOENT
}

// lookupEnv returns the value of key in env (KEY=value entries; the first
// one wins, as with getenv(3)).
func lookupEnv(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}
