package execline

import (
	"fmt"
	"path/filepath"
)

// unsupported are the programs of execline 2.9 (skarnet.org/software/
// execline, "Reference") that vigil does not provide: a command line that
// would run one is refused before it runs (README "execline in vigil").
var unsupported = map[string]bool{
	"case": true, "dollarat": true, "elgetopt": true, "elgetpositionals": true,
	"elglob": true, "envfile": true, "execline": true,
	"execline-shell": true, "execline-startup": true, "fdblock": true,
	"fdreserve": true, "forbacktickx": true, "forstdin": true, "forx": true,
	"getcwd": true, "getpid": true, "heredoc": true, "homeof": true,
	"ifte": true, "ifthenelse": true, "import": true, "loopwhilex": true,
	"multidefine": true, "multisubstitute": true, "pipeline": true,
	"piperw": true, "posix-cd": true, "posix-umask": true, "runblock": true,
	"shift": true, "trap": true, "tryexec": true, "wait": true,
	"withstdinas": true,
}

// Check walks argv, an execline command line such as an up or down file
// gives, the way its chain of programs will run it: for a builtin, its
// options and blocks are parsed as the program will parse them, each block
// is checked, and the walk goes on with what it execs into; an execline
// program vigil does not provide is an error naming it; any other program
// is external and ends the walk (its arguments are its own). Programs are
// known by their base name, so /command/foreground is foreground.
//
// A nil error means no program of the chain will refuse its command line
// as such; what substitutions put into it at run time is not known here.
// An empty argv is the no-op and is fine.
func Check(argv []string) error {
	for len(argv) > 0 {
		name := filepath.Base(argv[0])
		if unsupported[name] {
			return fmt.Errorf("unsupported execline program %q", argv[0])
		}
		parse := programs[name]
		if parse == nil {
			return nil
		}
		cmd, err := parse(invocation{argv0: argv[0], name: name}, argv[1:])
		if err != nil {
			return fmt.Errorf("%s: %w", argv[0], err)
		}
		children, next := cmd.chain()
		for _, child := range children {
			if err := Check(child); err != nil {
				return err
			}
		}
		argv = next
	}
	return nil
}
