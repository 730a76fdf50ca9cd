package client

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/execline"
)

// ExitcodeFile is where s6-overlay images write the code the container is
// to exit with, before they call halt: under VIGIL_S6_RUN_DIR, which vigil
// exports to its children (/run unless set).
func ExitcodeFile() string {
	return filepath.Join(cmp.Or(os.Getenv("VIGIL_S6_RUN_DIR"), control.DefaultS6RunDir), control.S6ExitcodeFile)
}

// readExitcode reads the exit code file as s6-overlay's shutdown does: no
// file or an empty one is 0, else a whole number, surrounding blanks and
// newline allowed, taken modulo 256 as exit(2) would (a finish script that
// writes its $1, 256 for a killed service, makes 0). Anything else is an
// error naming the file and what it holds.
func readExitcode(path string) (int, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("read exit code: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("exit code file %s holds %q: want a whole number", path, s)
	}
	return int(n % 256), nil
}

// haltCode is the code a halt asks for: the exit code file's, or 1 when
// it cannot be read (said on stderr): a code nobody can read is reported
// as a failure, never as a success.
func (t *tool) haltCode() int {
	code, err := readExitcode(ExitcodeFile())
	if err != nil {
		t.warn("%v; halting with 1", err)
		return 1
	}
	return code
}

// halt is s6-overlay's /run/s6/basedir/bin/halt: vigil shuts down, and
// the container exits with the code in ExitcodeFile. It takes no options
// (s6-linux-init's -f, -w and the like are for machines, not containers).
// Exit 0 asked, 111 vigil could not be told.
func (t *tool) halt() int {
	if len(t.args) > 0 {
		return t.usage(fmt.Errorf("unexpected argument %q", t.args[0]), "halt")
	}
	if _, err := t.call(control.Request{Command: control.CmdHalt, Code: t.haltCode()}); err != nil {
		return t.fatal(s6System, "unable to halt: %v", err)
	}
	return 0
}

const svscanctlUsage = "s6-svscanctl [ -ahntqi ] scandir"

// svscanctl is s6-svscanctl: -t, -q and -i shut vigil down, the container
// exiting with ExitcodeFile's code as after halt (s6-overlay v2's way of
// stopping a container); -a, -h and -n rescan the service directory
// (vigil reload: new services start, removed ones stop). -z, -b and -N are
// refused (usage, 100). The scan directory is not checked: vigil has one.
// Exit 0 sent, 100 usage or no vigil answering, 111 refused.
func (t *tool) svscanctl() int {
	opts, rest, err := execline.Getopt(t.args, "zabhitqnN")
	switch {
	case err != nil:
		return t.usage(err, svscanctlUsage)
	case len(rest) == 0:
		return t.usage(errors.New("no scan directory given"), svscanctlUsage)
	}
	var reload, halt bool
	for _, o := range opts {
		switch o.Letter {
		case 'a', 'h', 'n':
			reload = true
		case 't', 'q', 'i':
			halt = true
		default:
			return t.usage(fmt.Errorf("option -%c is not supported by vigil", o.Letter), svscanctlUsage)
		}
	}
	if reload {
		if _, err := t.call(control.Request{Command: control.CmdReload}); err != nil {
			return t.svscanFailed(err)
		}
	}
	if halt {
		if _, err := t.call(control.Request{Command: control.CmdHalt, Code: t.haltCode()}); err != nil {
			return t.svscanFailed(err)
		}
	}
	return 0
}

func (t *tool) svscanFailed(err error) int {
	if errors.Is(err, control.ErrUnreachable) {
		return t.fatal(s6Usage, "unable to control %s: %v", t.args[len(t.args)-1], err)
	}
	return t.fatal(s6System, "unable to control %s: %v", t.args[len(t.args)-1], err)
}
