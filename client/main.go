package client

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/vigil-init/vigil/control"
)

// Exit codes of client mode.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitUnreachable = 3
)

const usage = `usage: vigil COMMAND [ARG...]

Commands (talk to the running vigil through $VIGIL_RUN_DIR/control.sock):
  status [--json] [NAME...]              one line per service
  start [--timeout D] NAME...            bring up and wait until ready
  stop [--timeout D] NAME...             bring down (and keep down) and wait
  restart [--timeout D] NAME...          stop and start again, wait until ready
  signal SIG NAME...                     send SIG to each service's process group
  wait --up|--ready|--down [--timeout D] NAME...
                                         exit 0 when reached, 1 on timeout
  halt [CODE]                            graceful shutdown; the container exits CODE
  check                                  exit 0 iff boot is done and all is ready
  reload                                 rescan the service directory

Helpers (no running vigil needed):
  with-contenv CMD [ARG...]              run CMD with the container environment
  setuser USER CMD [ARG...]              run CMD as USER, with HOME, USER, LOGNAME
  log [-n N] [-s SIZE] [-t] DIR          a logger for log/run: stdin to DIR/current
  boot [--] [CMD...]                     boot mode (as /init)
  links                                  the paths an image links to the binary, one a line

Exit codes: 0 success, 1 failed, 2 usage, 3 no vigil reachable.
`

// commands are the subcommands of `vigil` (README "The client").
var commands = map[string]func(*command) int{
	"status": (*command).status, "start": (*command).change, "stop": (*command).change,
	"restart": (*command).change, "signal": (*command).signal, "wait": (*command).wait,
	"halt": (*command).halt, "check": (*command).check, "reload": (*command).reload,
	"with-contenv": (*command).withContenv, "setuser": (*command).setuser, "log": (*command).log,
	"links": (*command).links,
}

// command is one subcommand: its arguments, and where it writes.
type command struct {
	name           string
	args           []string
	stdout, stderr io.Writer
}

// Main runs client mode with args, the words after "vigil", and returns
// the exit code.
func Main(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return exitUsage
	}
	c := &command{name: args[0], args: args[1:], stdout: os.Stdout, stderr: os.Stderr}
	run := commands[c.name]
	switch {
	case run != nil:
		return run(c)
	case c.name == "help" || c.name == "--help" || c.name == "-h":
		fmt.Fprint(os.Stdout, usage)
		return exitOK
	}
	return c.usageError(fmt.Errorf("unknown command %q", c.name))
}

// links prints the paths at which an image links the binary, one a line.
func (c *command) links() int {
	if len(c.args) > 0 {
		return c.usageError(errors.New("takes no arguments"))
	}
	for _, p := range Links() {
		fmt.Fprintln(c.stdout, p)
	}
	return exitOK
}

// usageError says what is wrong with the command line and exits 2.
func (c *command) usageError(err error) int {
	fmt.Fprintf(c.stderr, "vigil %s: %v\nrun 'vigil help' for usage\n", c.name, err)
	return exitUsage
}

// fail reports err and returns its exit code: 3 when no vigil could be
// reached, 1 otherwise.
func (c *command) fail(err error) int {
	fmt.Fprintf(c.stderr, "vigil %s: %v\n", c.name, err)
	if errors.Is(err, control.ErrUnreachable) {
		return exitUnreachable
	}
	return exitFailed
}

// runDir is VIGIL_RUN_DIR as vigil itself reads it.
func runDir() string {
	if dir := os.Getenv("VIGIL_RUN_DIR"); dir != "" {
		return dir
	}
	return control.DefaultRunDir
}

// call sends req to the running vigil. A refusal is an error too.
func (c *command) call(req control.Request) (control.Response, error) {
	resp, err := control.Do(runDir(), req)
	if err != nil {
		if errors.Is(err, control.ErrUnreachable) {
			err = fmt.Errorf("%w (is vigil running?)", err)
		}
		return resp, err
	}
	if !resp.OK {
		return resp, errors.New(resp.Error)
	}
	return resp, nil
}
