package services

import (
	"os"
	"strconv"

	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

// role is what a child process is to its service.
type role int

const (
	roleRun role = iota
	roleFinish
	roleCheck
)

func (r role) String() string {
	return [...]string{"run", "finish", "check"}[r]
}

// child is a process the Supervisor started: whose it is and what for.
type child struct {
	svc  *service
	role role
	gen  int // the service's start generation when it was started
}

// spawn starts path with args as svc's user, in its directory, with its
// environment, as the leader of a new process group, and records the pid
// before the reaper's next batch can be read (the loop calls spawn).
// files are the child's descriptors: index = descriptor number.
func (s *Supervisor) spawn(svc *service, r role, path string, args []string, files []uintptr) (int, error) {
	argv := append([]string{path}, args...)
	if svc.def.Shebang {
		argv = viaShebang(argv)
	}
	pid, err := s.start(argv, process.Attr{
		Dir:   svc.def.Dir,
		Env:   s.environ(svc),
		Files: files,
		User:  svc.user,
	})
	if err != nil {
		return 0, err
	}
	s.children[pid] = child{svc: svc, role: r, gen: svc.gen}
	return pid, nil
}

// viaShebang runs argv's program through its #! line when it lacks the
// execute bit, as s6-rc sources may (s6-rc-compile copies them 0755).
func viaShebang(argv []string) []string {
	fi, err := os.Stat(argv[0])
	if err != nil || fi.Mode()&0o111 != 0 {
		return argv
	}
	if interp := shebangOf(argv[0]); interp != nil {
		return append(interp, argv...)
	}
	return argv
}

// environ is a service process's environment (README "Services"): the
// container's, the user's HOME, USER and LOGNAME, the service's env/
// (which may override them), and VIGIL_SERVICE.
func (s *Supervisor) environ(svc *service) []string {
	env := s.env
	if svc.user != nil {
		env = process.ApplyEnv(env, svc.user.Environ())
	}
	env = process.ApplyEnv(env, svc.def.Env)
	return process.ApplyEnv(env, []process.EnvEntry{{Name: "VIGIL_SERVICE", Value: svc.def.Name}})
}

// resolveUser resolves the user file of svc for the run about to start:
// the user and groups as /etc/passwd and /etc/group say now, and whether
// vigil can become that user. nil without a user file.
func (s *Supervisor) resolveUser(svc *service) (*process.User, error) {
	if svc.def.User == "" {
		return nil, nil
	}
	u, err := process.LookupUser(svc.def.User, passwdFile, groupFile)
	if err == nil {
		err = process.CanAssume(u, geteuid(), getegid())
	}
	if err != nil {
		return nil, err // it names the spec
	}
	return u, nil
}

// stdio is the descriptors 0-2 of svc's run and finish: stdin /dev/null
// (a logger's: its pipe), stdout the container's (a producer's: its
// logger's pipe), stderr the container's, the container's streams through
// the Output when there is one. opened are the pipe ends to close once
// the child has them. Fd puts the logger pipe's ends in blocking mode: a
// producer must block on a full pipe, never see EAGAIN and drop a line.
func (s *Supervisor) stdio(svc *service) (files []uintptr, opened []*os.File, err error) {
	files = []uintptr{s.devNull.Fd(), 1, 2}
	if svc.stdin != nil {
		files[0] = svc.stdin.Fd()
	}
	if svc.logger != nil && svc.logger.feed != nil {
		files[1] = svc.logger.feed.Fd()
	}
	opened, err = s.output.Prefix(svc.def.Name, files)
	return files, opened, err
}

// withFD returns files with fd placed at descriptor n, gaps closed.
func withFD(files []uintptr, n int, fd uintptr) []uintptr {
	for len(files) <= n {
		files = append(files, process.Closed)
	}
	files[n] = fd
	return files
}

// exitArgs are finish's arguments for a run that ended with status:
// the exit code (256 when a signal killed it), the signal number (0 if
// none), and the service name (README "Services", as s6 and runit pass
// them).
func exitArgs(status unix.WaitStatus, name string) []string {
	code, sig := status.ExitStatus(), 0
	if status.Signaled() {
		code, sig = 256, int(status.Signal())
	}
	return []string{strconv.Itoa(code), strconv.Itoa(sig), name}
}
