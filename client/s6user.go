package client

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/vigil-init/vigil/execline"
	"github.com/vigil-init/vigil/process"
)

// setuidgid is s6-setuidgid ACCOUNT PROG…: exec PROG as ACCOUNT (user,
// user:group, uid or uid:gid, as a service's user file takes it), with
// its uid, gid and supplementary groups, and, unlike s6, with HOME, USER
// and LOGNAME set from /etc/passwd as `vigil setuser` sets them: s6 leaves
// root's there, and a daemon then writes its dotfiles to /root. An empty
// ACCOUNT execs PROG as it is. The user is looked up at each call, so a
// user an init script created or renumbered (PUID/PGID) is found.
func (t *tool) setuidgid() int {
	if len(t.args) < 2 {
		return t.usage(errors.New("want an account and a program"), "s6-setuidgid account prog...")
	}
	account, argv := t.args[0], t.args[1:]
	env := os.Environ()
	if account != "" {
		u, err := process.LookupUser(account, process.PasswdPath, process.GroupPath)
		if err != nil {
			return t.fatal(1, "%v", err)
		}
		if err := switchUser(u); err != nil {
			return t.fatal(s6System, "%v", err)
		}
		env = process.ApplyEnv(env, u.Environ())
	}
	err := execline.Exec(argv, env)
	return t.fatal(process.FailureCode(err), "%v", err)
}

const envuidgidUsage = "s6-envuidgid [ -i | -D defaultuid:defaultgid:defaultgidlist ] [ -u | -g | -B ] [ -n ] account prog..."

// What s6-envuidgid sets, as bits.
const (
	setUID     = 1
	setGID     = 2
	setGIDList = 4
)

// envuidgidArgs is an s6-envuidgid command line, read.
type envuidgidArgs struct {
	what     int  // setUID|setGID|setGIDList without -u, -g, -B
	numeric  bool // -n: a name not found is read as a number
	insist   bool // no -D: a name not found is an error
	defaults ids  // -D
	account  string
	argv     []string
}

// ids are the values s6-envuidgid sets.
type ids struct {
	uid, gid uint32
	groups   []uint32
}

func parseEnvuidgid(args []string) (envuidgidArgs, error) {
	a := envuidgidArgs{what: setUID | setGID | setGIDList, insist: true}
	opts, rest, err := execline.Getopt(args, "ugBniD:")
	if err != nil {
		return a, err
	}
	for _, o := range opts {
		switch o.Letter {
		case 'u':
			a.what = setUID
		case 'g':
			a.what = setGID
		case 'B':
			a.what = setUID | setGID
		case 'n':
			a.what &= setUID | setGID
			a.numeric = true
		case 'i':
			a.insist = true
		case 'D':
			if a.defaults, err = parseDefaults(o.Arg); err != nil {
				return a, err
			}
			a.insist = false
		}
	}
	if len(rest) < 2 {
		return a, errors.New("want an account and a program")
	}
	a.account, a.argv = rest[0], rest[1:]
	return a, nil
}

// parseDefaults reads -D uid:gid:gidlist; each part may be empty (0, or
// no groups), and the later ones left out.
func parseDefaults(s string) (ids, error) {
	var d ids
	parts := strings.SplitN(s, ":", 3)
	bad := fmt.Errorf("option -D %q: want uid:gid:gidlist (numbers, the list comma-separated)", s)
	for i, p := range parts[:min(len(parts), 2)] {
		if p == "" {
			continue
		}
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return d, bad
		}
		if i == 0 {
			d.uid = uint32(n)
		} else {
			d.gid = uint32(n)
		}
	}
	if len(parts) == 3 && parts[2] != "" {
		for _, g := range strings.Split(parts[2], ",") {
			n, err := strconv.ParseUint(g, 10, 32)
			if err != nil {
				return d, bad
			}
			d.groups = append(d.groups, uint32(n))
		}
	}
	return d, nil
}

// envuidgid is s6-envuidgid: exec PROG with UID, GID and GIDLIST set for
// ACCOUNT, as s6 does (names looked up as getpwnam and getgrnam would;
// GIDLIST the groups that list the user as a member).
func (t *tool) envuidgid() int {
	a, err := parseEnvuidgid(t.args)
	if err != nil {
		return t.usage(err, envuidgidUsage)
	}
	v, err := resolveEnvuidgid(a)
	if err != nil {
		return t.fatal(1, "%v", err)
	}
	var set []process.EnvEntry
	if a.what&setUID != 0 {
		set = append(set, process.EnvEntry{Name: "UID", Value: strconv.FormatUint(uint64(v.uid), 10)})
	}
	if a.what&setGID != 0 {
		set = append(set, process.EnvEntry{Name: "GID", Value: strconv.FormatUint(uint64(v.gid), 10)})
	}
	if a.what&setGIDList != 0 {
		set = append(set, process.EnvEntry{Name: "GIDLIST", Value: joinIDs(v.groups)})
	}
	err = execline.Exec(a.argv, process.ApplyEnv(os.Environ(), set))
	return t.fatal(process.FailureCode(err), "%v", err)
}

// resolveEnvuidgid looks the account up as s6-envuidgid does: what is not
// found takes -n's number or -D's default, or is an error.
func resolveEnvuidgid(a envuidgidArgs) (ids, error) {
	v := a.defaults
	user, group := a.account, ""
	switch a.what {
	case setGID:
		user, group = "", a.account
	case setUID | setGID:
		user, group, _ = strings.Cut(a.account, ":")
	}
	if group != "" {
		gid, err := process.LookupGroup(group, process.GroupPath)
		n, numErr := strconv.ParseUint(group, 10, 32)
		switch {
		case err == nil && !isNumber(group):
			v.gid = gid
		case a.numeric && numErr == nil:
			v.gid = uint32(n)
		case a.insist:
			return v, fmt.Errorf("unknown group: %s", group)
		}
	}
	if user != "" {
		u, found := lookupUserName(user)
		n, numErr := strconv.ParseUint(user, 10, 32)
		switch {
		case found:
			v.uid = u.Uid
			if a.what == setUID|setGID|setGIDList {
				groups, err := process.MemberGroups(user, process.GroupPath)
				if err != nil {
					return v, err
				}
				v.gid, v.groups = u.Gid, groups
			}
		case a.numeric && numErr == nil:
			v.uid = uint32(n)
		case a.insist:
			return v, fmt.Errorf("unknown user: %s", user)
		}
	}
	return v, nil
}

// lookupUserName finds the passwd entry named name, as getpwnam does: a
// number or a name with a colon is no name.
func lookupUserName(name string) (*process.User, bool) {
	if isNumber(name) || strings.Contains(name, ":") {
		return nil, false
	}
	u, err := process.LookupUser(name, process.PasswdPath, process.GroupPath)
	return u, err == nil
}

// isNumber reports whether s is a non-empty run of ASCII digits.
func isNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func joinIDs(ids []uint32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatUint(uint64(id), 10)
	}
	return strings.Join(s, ",")
}

const applyuidgidUsage = "s6-applyuidgid [ -z ] [ -u uid ] [ -g gid ] [ -G gidlist ] [ -U ] prog..."

// applyuidgidArgs is an s6-applyuidgid command line, read: each id is set
// only when given.
type applyuidgidArgs struct {
	uid, gid  *uint32
	groups    []int
	setGroups bool
	unexport  bool // -z: UID, GID and GIDLIST leave the environment
	argv      []string
}

// parseApplyuidgid reads the command line; -U takes UID, GID and GIDLIST
// from the environment (all three must be set), and a later -u, -g or -G
// overrides them.
func parseApplyuidgid(args []string, lookupEnv func(string) (string, bool)) (applyuidgidArgs, error) {
	var a applyuidgidArgs
	opts, rest, err := execline.Getopt(args, "zUu:g:G:")
	if err != nil {
		return a, err
	}
	id := func(what, s string) (*uint32, error) {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s %q: want a number", what, s)
		}
		v := uint32(n)
		return &v, nil
	}
	list := func(what, s string) ([]int, error) {
		gids := []int{} // set, even when empty: setgroups(0, …) drops every group
		if s == "" {
			return gids, nil
		}
		for _, g := range strings.Split(s, ",") {
			n, err := strconv.ParseUint(g, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("%s %q: want numbers, comma-separated", what, s)
			}
			gids = append(gids, int(n))
		}
		return gids, nil
	}
	for _, o := range opts {
		switch o.Letter {
		case 'z':
			a.unexport = true
		case 'u':
			a.uid, err = id("option -u", o.Arg)
		case 'g':
			a.gid, err = id("option -g", o.Arg)
		case 'G':
			a.groups, err = list("option -G", o.Arg)
			a.setGroups = true
		case 'U':
			env := map[string]string{}
			for _, name := range []string{"UID", "GID", "GIDLIST"} {
				v, ok := lookupEnv(name)
				if !ok {
					return a, fmt.Errorf("-U: %s is not set", name)
				}
				env[name] = v
			}
			if a.uid, err = id("UID", env["UID"]); err == nil {
				if a.gid, err = id("GID", env["GID"]); err == nil {
					a.groups, err = list("GIDLIST", env["GIDLIST"])
					a.setGroups = true
				}
			}
		}
		if err != nil {
			return a, err
		}
	}
	if len(rest) == 0 {
		return a, errors.New("no program given")
	}
	a.argv = rest
	return a, nil
}

// applyuidgid is s6-applyuidgid: set the groups, gid and uid given (in
// that order: after setuid the others could not be set), then exec.
func (t *tool) applyuidgid() int {
	a, err := parseApplyuidgid(t.args, t.lookupEnv)
	if err != nil {
		return t.usage(err, applyuidgidUsage)
	}
	if err := (process.IDs{Groups: a.groups, SetGroups: a.setGroups, Gid: a.gid, Uid: a.uid}).Apply(); err != nil {
		return t.fatal(s6System, "%v", err)
	}
	env := os.Environ()
	if a.unexport {
		env = process.ApplyEnv(env, []process.EnvEntry{{Name: "UID", Unset: true}, {Name: "GID", Unset: true}, {Name: "GIDLIST", Unset: true}})
	}
	err = execline.Exec(a.argv, env)
	return t.fatal(process.FailureCode(err), "%v", err)
}
