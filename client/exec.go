package client

import (
	"errors"
	"fmt"
	"os"

	"github.com/vigil-init/vigil/execline"
	"github.com/vigil-init/vigil/process"
)

// withContenv execs its command with the container environment: the
// current one with vigil's env snapshot ($VIGIL_RUN_DIR/env, as init
// scripts left it) applied on top, as s6-overlay's with-contenv does.
func (c *command) withContenv() int {
	if len(c.args) == 0 {
		return c.usageError(errors.New("no command given"))
	}
	dir := snapshotDir()
	entries, err := process.ReadEnvDir(dir)
	if err != nil {
		fmt.Fprintf(c.stderr, "vigil with-contenv: read env snapshot: %v (is vigil running, with a writable VIGIL_RUN_DIR?)\n", err)
		return exitUnreachable
	}
	return c.exec(c.args, process.ApplyEnv(os.Environ(), entries))
}

// setuser execs its command as a user, with that user's groups and HOME,
// USER and LOGNAME, resolved as for a service's user file.
func (c *command) setuser() int {
	if len(c.args) < 2 {
		return c.usageError(errors.New("want a user and a command"))
	}
	u, err := process.LookupUser(c.args[0], process.PasswdPath, process.GroupPath)
	if err != nil {
		return c.fail(err)
	}
	if err := switchUser(u); err != nil {
		return c.fail(err)
	}
	return c.exec(c.args[1:], process.ApplyEnv(os.Environ(), u.Environ()))
}

// switchUser sets the groups, gid and uid of the process (every thread,
// since Go 1.16) to u's. Without root only u being vigil's own user works.
func switchUser(u *process.User) error {
	if os.Geteuid() != 0 {
		if uint32(os.Geteuid()) == u.Uid && uint32(os.Getegid()) == u.Gid {
			return nil
		}
		return fmt.Errorf("switch to %s: running as uid %d, not root", u.Spec, os.Geteuid())
	}
	groups := make([]int, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = int(g)
	}
	if err := (process.IDs{Groups: groups, SetGroups: true, Gid: &u.Gid, Uid: &u.Uid}).Apply(); err != nil {
		return fmt.Errorf("switch to %s: %w", u.Spec, err)
	}
	return nil
}

// exec replaces the process with argv, found in PATH: 127 when it is not
// found, 126 when it cannot be executed.
func (c *command) exec(argv []string, env []string) int {
	err := execline.Exec(argv, env)
	fmt.Fprintf(c.stderr, "vigil %s: %v\n", c.name, err)
	return process.FailureCode(err)
}
