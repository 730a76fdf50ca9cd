package execline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/vigil-init/vigil/process"
	"github.com/vigil-init/vigil/reaper"
)

// Exit codes of execline's programs (exitcodes.html); 126 and 127, a
// program that cannot be exec'd, are process's.
const (
	exitUsage = 100 // the command line is wrong
	exitSys   = 111 // a system call failed
)

// command is a builtin's command line, parsed and checked before anything
// is done.
type command interface {
	// chain says how the command line goes on: the command lines it runs
	// (its blocks, unquoted) and the one it execs into after, nil when it
	// ends there. Check walks them.
	chain() (children [][]string, next []string)
	// run does what the command line says. It returns only when the
	// process is to exit, with that code.
	run() int
}

// invocation is how a builtin was called.
type invocation struct {
	argv0  string // argv[0] as called: a name or a path
	name   string // the builtin: argv0's base name
	strict int    // EXECLINE_STRICT: 1 warns of unquoted words in blocks, 2 refuses them
}

// parseFunc parses the arguments of one builtin (the words after its name).
type parseFunc func(inv invocation, args []string) (command, error)

// programs are the builtins, by name.
var programs = map[string]parseFunc{
	"execlineb":      parseExeclineb,
	"foreground":     parseForeground,
	"background":     parseBackground,
	"if":             parseIf,
	"ifelse":         parseIfelse,
	"backtick":       parseBacktick,
	"exec":           parseExec,
	"cd":             parseCd,
	"execline-cd":    parseCd,
	"umask":          parseUmask,
	"execline-umask": parseUmask,
	"fdmove":         parseFdmove,
	"fdclose":        parseFdclose,
	"fdswap":         parseFdswap,
	"redirfd":        parseRedirfd,
	"importas":       parseImportas,
	"define":         parseDefine,
	"emptyenv":       parseEmptyenv,
	"export":         parseExport,
	"unexport":       parseUnexport,
	"exit":           parseExit,
	"eltest":         parseEltest,
	"s6-echo":        parseEcho,
	"s6-sleep":       parseSleep,
}

// Builtins are the names of the programs vigil's binary is, besides vigil
// itself (README "execline in vigil"), sorted. main maps each to Main; the
// image links /command/NAME and /usr/bin/NAME to vigil. Do not modify it.
var Builtins = slices.Sorted(func(yield func(string) bool) {
	for name := range programs {
		if !yield(name) {
			return
		}
	}
})

// IsBuiltin says whether name, a bare program name, is one of Builtins:
// vigil's own binary runs it when PATH has no program of that name.
func IsBuiltin(name string) bool {
	_, ok := programs[name]
	return ok
}

// Main runs the builtin that argv0 (argv[0] as called, a name or a path)
// names, with args (the words after argv[0]), and returns its exit code:
// in general it does not return, as it execs into the rest of its command
// line. A command line it refuses exits 100 with a message on stderr.
func Main(argv0 string, args []string) int {
	inv := invocation{argv0: argv0, name: filepath.Base(argv0), strict: strictLevel()}
	parse := programs[inv.name]
	if parse == nil {
		fmt.Fprintf(os.Stderr, "%s: not one of vigil's execline programs\n", inv.name)
		return exitUsage
	}
	cmd, err := parse(inv, args)
	if err != nil {
		return fatal(inv.name, exitUsage, "%v", err)
	}
	return cmd.run()
}

// strictLevel reads EXECLINE_STRICT as execline does: a number, 0 when
// unset or not one.
func strictLevel() int {
	n, _ := parseUint(os.Getenv("EXECLINE_STRICT"))
	return int(min(n, 2))
}

// usageError is a command line of the wrong shape for its program.
type usageError struct {
	problem, usage string
}

func (e *usageError) Error() string { return e.problem + "; usage: " + e.usage }

// warn prints a warning of program prog on stderr, as execline does.
func warn(prog, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s: warning: %s\n", prog, fmt.Sprintf(format, args...))
}

// fatal prints why program prog gives up and returns the exit code.
func fatal(prog string, code int, format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "%s: fatal: %s\n", prog, fmt.Sprintf(format, args...))
	return code
}

// LookPath finds file in path as process.LookPath does, except that a
// builtin's bare name not found there is vigil's own binary
// (/proc/self/exe, run with that name as argv[0]): a chain of execline
// programs then works in an image without /command links.
func LookPath(file, path string) (string, error) {
	p, err := process.LookPath(file, path)
	if self := process.SelfExe(); errors.Is(err, unix.ENOENT) && IsBuiltin(file) && self != "" {
		return self, nil
	}
	return p, err
}

// execNext execs into argv with env, as execline's programs chain: argv[0]
// is looked up in the caller's PATH, not in env's (export PATH … and exec
// -c do not change where the next program is found). An empty argv is the
// program that exits 0. It returns only with an exit code: 0 for an empty
// argv, 126 or 127 (with a message) when the exec fails.
func execNext(prog string, argv, env []string) int {
	if len(argv) == 0 {
		return 0
	}
	return execAs(prog, argv[0], argv, env)
}

// execAs is execNext with the program to run and its argv[0] apart, for
// exec -a and -l.
func execAs(prog, file string, argv, env []string) int {
	path, err := LookPath(file, os.Getenv("PATH"))
	if err == nil {
		err = process.ExecPath(path, argv, env)
	}
	return fatal(prog, process.FailureCode(err), "unable to exec %s: %v", file, err)
}

// Exec replaces the calling process with argv, found in env's PATH or, for
// a builtin found nowhere, vigil's own binary: the s6 helpers exec into
// the rest of their command line with it, so that `with-contenv
// foreground { … }` works without /command links. It returns only on
// failure.
func Exec(argv, env []string) error {
	path, err := LookPath(argv[0], process.LookupEnv(env, "PATH"))
	if err != nil {
		return fmt.Errorf("exec %s: %w", argv[0], err)
	}
	return process.ExecPath(path, argv, env)
}

// spawn starts argv as a child with env and the caller's descriptors
// (stdout replaced when stdout >= 0; the caller's descriptors 3 and up are
// inherited unless close-on-exec). The child stays in the caller's process
// group: a block belongs to the service that runs it.
func spawn(argv, env []string, stdout int) (int, error) {
	path, err := LookPath(argv[0], os.Getenv("PATH"))
	if err != nil {
		return 0, err
	}
	files := process.Stdio()
	if stdout >= 0 {
		files[1] = uintptr(stdout)
	}
	return process.Start(argv, process.Attr{Path: path, Env: env, Files: files, KeepGroup: true})
}

// runBlock runs argv as a child and waits for it. An empty block is the
// program that exits 0 and is not started.
func runBlock(argv, env []string) (reaper.Exit, error) {
	if len(argv) == 0 {
		return reaper.Exit{}, nil
	}
	pid, err := spawn(argv, env, -1)
	if err != nil {
		return reaper.Exit{}, &spawnError{argv[0], err}
	}
	return reaper.Wait(pid)
}

// spawnError is a block that could not be started.
type spawnError struct {
	prog string
	err  error
}

func (e *spawnError) Error() string { return fmt.Sprintf("unable to spawn %s: %v", e.prog, e.err) }
func (e *spawnError) Unwrap() error { return e.err }

// waitStatus is how execline reports a child's end in the ? variable:
// its exit code, or 256 plus the signal that killed it.
func waitStatus(e reaper.Exit) int {
	if e.Status.Signaled() {
		return 256 + int(e.Status.Signal())
	}
	return e.Status.ExitStatus()
}

// approximate is the exit code a program gives for a child it waited for
// (exitcodes.html): 128 plus the signal that killed it, 128 for an exit
// code of 128 or more, else that code.
func approximate(e reaper.Exit) int {
	switch {
	case e.Status.Signaled():
		return 128 + int(e.Status.Signal())
	case e.Status.ExitStatus() >= 128:
		return 128
	}
	return e.Status.ExitStatus()
}

// setenv returns env with name set to value.
func setenv(env []string, name, value string) []string {
	return process.ApplyEnv(env, []process.EnvEntry{{Name: name, Value: value}})
}

// unsetenv returns env without name.
func unsetenv(env []string, name string) []string {
	return process.ApplyEnv(env, []process.EnvEntry{{Name: name, Unset: true}})
}

// lookupEnv is the value of name in env, the first one as getenv(3) finds.
func lookupEnv(env []string, name string) (string, bool) {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// itoa is strconv.Itoa, short.
func itoa(n int) string { return strconv.Itoa(n) }
