// Command floor is the least a Go init can do, for make bench to show the
// floor under any Go PID 1: fork-exec its arguments (looked up in PATH),
// wait for that child, exit with its code (128+N if signal N ended it). No
// signal handling, no reaping of orphans, no services.
package main

import (
	"os"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	pid, err := syscall.ForkExec(lookPath(os.Args[1]), os.Args[1:], &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		os.Exit(127)
	}
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			break
		}
	}
	if ws.Signaled() {
		os.Exit(128 + int(ws.Signal()))
	}
	os.Exit(ws.ExitStatus())
}

// lookPath finds name in PATH as execvp does, for names without a slash.
func lookPath(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	for _, dir := range strings.Split(os.Getenv("PATH"), ":") {
		if dir == "" {
			dir = "."
		}
		if p := dir + "/" + name; syscall.Access(p, 1) == nil { // 1: X_OK
			return p
		}
	}
	return name
}
