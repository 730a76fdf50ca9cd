package client

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/vigil-init/vigil/execline"
	"github.com/vigil-init/vigil/process"
)

// snapshotDir is the container environment as vigil saved it and init
// scripts changed it: $VIGIL_RUN_DIR/env, which vigil also makes
// reachable as /run/s6/container_environment.
func snapshotDir() string { return filepath.Join(runDir(), "env") }

// keepEnv is S6_KEEP_ENV as s6-overlay's scripts test it: "0$S6_KEEP_ENV"
// compared with 0 as a number, a test that fails when it is no number.
type keepEnv int

const (
	keepZero    keepEnv = iota // unset, empty, 0: use the snapshot
	keepNonzero                // a number other than 0: the environment as it is
	keepJunk                   // no number: each script's test fails its own way
)

func readKeepEnv(v string) keepEnv {
	n, err := strconv.ParseInt("0"+v, 10, 64)
	switch {
	case err != nil:
		return keepJunk
	case n == 0:
		return keepZero
	}
	return keepNonzero
}

// withContenv is s6-overlay's with-contenv, mostly a shebang interpreter
// (`#!/command/with-contenv bash` runs `with-contenv bash SCRIPT ARGS…`).
// With S6_KEEP_ENV unset or 0 it execs its command with the container
// environment instead of its own (s6-overlay's `emptyenv -p` then
// `s6-envdir`): only PATH is kept from its own, and then the snapshot
// applies, which may set PATH too. It also keeps VIGIL_SERVICE, which the
// snapshot cannot hold, so that s6-svc in a script still knows ".". With
// S6_KEEP_ENV any other number it execs its command as it is (and, as
// s6-overlay's test does, when it is no number at all).
func (t *tool) withContenv() int {
	if len(t.args) == 0 {
		return t.usage(errors.New("no command given"), "with-contenv prog...")
	}
	env := os.Environ()
	if readKeepEnv(t.getenv("S6_KEEP_ENV")) == keepZero {
		entries, err := process.ReadEnvDir(snapshotDir())
		if err != nil {
			return t.fatal(s6System, "%v", err)
		}
		var kept []string
		for _, name := range []string{"PATH", "VIGIL_SERVICE"} {
			if v, ok := os.LookupEnv(name); ok {
				kept = append(kept, name+"="+v)
			}
		}
		env = process.ApplyEnv(kept, entries)
	}
	err := execline.Exec(t.args, env)
	return t.fatal(process.FailureCode(err), "%v", err)
}

// printContenv is s6-overlay's printcontenv VAR: the variable's value in
// the container environment, and a newline. Without S6_KEEP_ENV (or 0, or
// no number) it reads the snapshot: a variable not there exits 1 without a
// word, as s6-overlay's script does (it silences its stderr); one unset by
// an empty file prints nothing. With S6_KEEP_ENV a number other than 0 it
// prints the variable from its own environment, as s6-overlay's s6-echo
// does ("" and a newline when unset).
func (t *tool) printContenv() int {
	if len(t.args) == 0 {
		return t.fatal(s6Usage, "too few arguments")
	}
	name := t.args[0]
	if readKeepEnv(t.getenv("S6_KEEP_ENV")) == keepNonzero {
		fmt.Fprintln(t.stdout, t.getenv(name))
		return 0
	}
	entries, err := process.ReadEnvDir(snapshotDir())
	if err != nil {
		return 1
	}
	for _, e := range entries {
		if e.Name != name {
			continue
		}
		if !e.Unset {
			fmt.Fprintln(t.stdout, e.Value)
		}
		return 0
	}
	return 1
}
