package process

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// The account databases LookupUser reads. They are parsed here, not
// through os/user, which can pull in cgo and would break the static build.
const (
	PasswdPath = "/etc/passwd"
	GroupPath  = "/etc/group"
)

// UserForm is the accepted form of a user spec, for error messages.
const UserForm = "want user, user:group, uid or uid:gid"

// User is a resolved user spec: who a process runs as.
type User struct {
	Spec   string   // the spec as written, for messages
	Uid    uint32   //
	Gid    uint32   //
	Groups []uint32 // supplementary groups, from /etc/group
	Name   string   // USER and LOGNAME: the passwd name, or the number when there is no entry
	Home   string   // HOME: from /etc/passwd, "/" when there is no entry
}

// accounts is the content of an account database, or why it could not be
// read (only "does not exist" is kept: it matters only if a name is used).
type accounts struct {
	path string
	data []byte
	err  error
}

// passwdEntry is one line of /etc/passwd.
type passwdEntry struct {
	name     string
	uid, gid uint32
	home     string
}

// LookupUser resolves spec ("user", "user:group", "uid" or "uid:gid",
// names and numbers mixed freely) against the passwd and group files at
// passwdPath and groupPath. A name must have an entry; a numeric uid
// without one runs as that number with HOME "/" and, unless a group is
// given, the same number as gid. An explicit group overrides the primary
// group. Groups holds the primary gid and every group listing the user's
// name as a member, sorted. A missing file is an error only when a name
// has to be looked up in it. Its errors are *UserError.
func LookupUser(spec, passwdPath, groupPath string) (*User, error) {
	u, err := lookupUser(spec, passwdPath, groupPath)
	if err != nil {
		return nil, &UserError{Spec: spec, Err: err}
	}
	return u, nil
}

// UserError is a user spec that cannot be resolved: the spec, and the
// cause, which names the part of the spec at fault.
type UserError struct {
	Spec string
	Err  error
}

func (e *UserError) Error() string { return fmt.Sprintf("look up user %q: %v", e.Spec, e.Err) }

// Unwrap returns the cause.
func (e *UserError) Unwrap() error { return e.Err }

func lookupUser(spec, passwdPath, groupPath string) (*User, error) {
	passwd, err := readAccounts(passwdPath)
	if err != nil {
		return nil, err
	}
	group, err := readAccounts(groupPath)
	if err != nil {
		return nil, err
	}
	return resolveUser(spec, passwd, group)
}

// readAccounts reads an account database. A missing file is not an error
// yet: it is kept in accounts.err for when a name needs it.
func readAccounts(path string) (accounts, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return accounts{path: path, err: err}, nil
	}
	if err != nil {
		return accounts{}, err
	}
	return accounts{path: path, data: data}, nil
}

// CheckUserSpec says what is wrong with the form of spec, without looking
// anything up: a user part, an optional ":group" part, and numbers in the
// range of ids.
func CheckUserSpec(spec string) error {
	_, _, _, err := splitUserSpec(spec)
	return err
}

// splitUserSpec splits spec into its parts, checking its form.
func splitUserSpec(spec string) (userPart, groupPart string, hasGroup bool, err error) {
	userPart, groupPart, hasGroup = strings.Cut(spec, ":")
	if userPart == "" || (hasGroup && groupPart == "") || strings.Contains(groupPart, ":") {
		return "", "", false, fmt.Errorf("invalid user %q; %s", spec, UserForm)
	}
	if _, _, err := parseID(userPart, "uid"); err != nil {
		return "", "", false, err
	}
	if _, _, err := parseID(groupPart, "gid"); err != nil {
		return "", "", false, err
	}
	return userPart, groupPart, hasGroup, nil
}

// resolveUser resolves spec against the content of the two databases.
func resolveUser(spec string, passwd, group accounts) (*User, error) {
	userPart, groupPart, hasGroup, err := splitUserSpec(spec)
	if err != nil {
		return nil, err
	}
	u, known, err := resolveUid(userPart, passwd)
	if err != nil {
		return nil, err
	}
	u.Spec = spec
	if hasGroup {
		if u.Gid, err = resolveGid(groupPart, group); err != nil {
			return nil, err
		}
	}
	u.Groups = []uint32{u.Gid}
	if known {
		u.Groups = append(u.Groups, memberOf(u.Name, group.data)...)
	}
	slices.Sort(u.Groups)
	u.Groups = slices.Compact(u.Groups)
	return u, nil
}

// resolveUid resolves the user part of a spec. known reports whether the
// user has a passwd entry (and so a name that group member lists can hold).
func resolveUid(s string, passwd accounts) (u *User, known bool, err error) {
	uid, numeric, err := parseID(s, "uid")
	if err != nil {
		return nil, false, err
	}
	if !numeric && passwd.err != nil {
		return nil, false, fmt.Errorf("user %q: %w", s, passwd.err)
	}
	e, ok := findPasswd(passwd.data, func(e passwdEntry) bool {
		if numeric {
			return e.uid == uid
		}
		return e.name == s
	})
	switch {
	case ok:
		return &User{Uid: e.uid, Gid: e.gid, Name: e.name, Home: e.home}, true, nil
	case numeric:
		name := strconv.FormatUint(uint64(uid), 10)
		return &User{Uid: uid, Gid: uid, Name: name, Home: "/"}, false, nil
	default:
		return nil, false, fmt.Errorf("unknown user %q: no such name in %s", s, passwd.path)
	}
}

// resolveGid resolves the group part of a spec: a number, or a name from
// the group database.
func resolveGid(s string, group accounts) (uint32, error) {
	gid, numeric, err := parseID(s, "gid")
	if err != nil || numeric {
		return gid, err
	}
	if group.err != nil {
		return 0, fmt.Errorf("group %q: %w", s, group.err)
	}
	for _, f := range records(group.data, 3) {
		if f[0] != s {
			continue
		}
		if gid, ok, _ := parseID(f[2], "gid"); ok {
			return gid, nil
		}
	}
	return 0, fmt.Errorf("unknown group %q: no such name in %s", s, group.path)
}

// memberOf returns the gids of the groups whose member list holds name.
func memberOf(name string, group []byte) []uint32 {
	var gids []uint32
	for _, f := range records(group, 4) {
		gid, ok, err := parseID(f[2], "gid")
		if !ok || err != nil {
			continue
		}
		for _, m := range strings.Split(f[3], ",") {
			if strings.TrimSpace(m) == name {
				gids = append(gids, gid)
				break
			}
		}
	}
	return gids
}

// findPasswd returns the first well-formed passwd entry that match accepts.
func findPasswd(data []byte, match func(passwdEntry) bool) (passwdEntry, bool) {
	for _, f := range records(data, 4) {
		uid, ok1, err1 := parseID(f[2], "uid")
		gid, ok2, err2 := parseID(f[3], "gid")
		if !ok1 || !ok2 || err1 != nil || err2 != nil {
			continue
		}
		e := passwdEntry{name: f[0], uid: uid, gid: gid, home: "/"}
		if len(f) > 5 && f[5] != "" {
			e.home = f[5]
		}
		if match(e) {
			return e, true
		}
	}
	return passwdEntry{}, false
}

// records splits an account database into the colon-separated fields of
// its lines, skipping blank lines, comments, NIS compat lines ("+", "-")
// and lines with fewer than min fields.
func records(data []byte, min int) [][]string {
	var out [][]string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" || strings.ContainsAny(line[:1], "#+-") {
			continue
		}
		if f := strings.Split(line, ":"); len(f) >= min && f[0] != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseID parses a uid or gid. numeric is false when s is not made of
// digits (a name); a number out of range is an error. The largest uint32 is
// out of range: it is (uid_t)-1, "leave unchanged" to setresuid(2).
func parseID(s, what string) (id uint32, numeric bool, err error) {
	if s == "" || !isDigits(s) {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == math.MaxUint32 {
		return 0, true, fmt.Errorf("%s %s out of range; want 0..%d", what, s, uint32(math.MaxUint32-1))
	}
	return uint32(n), true, nil
}

// Environ returns the HOME, LOGNAME and USER entries for u, sorted by name
// like an envdir's. They are applied before the service's env/, which can
// override them.
func (u *User) Environ() []EnvEntry {
	return []EnvEntry{
		{Name: "HOME", Value: u.Home},
		{Name: "LOGNAME", Value: u.Name},
		{Name: "USER", Value: u.Name},
	}
}

// CanAssume returns why a process with effective ids euid and egid cannot
// start processes as u: only root can change uid or gid, so anyone else
// can only run them as itself.
func CanAssume(u *User, euid, egid int) error {
	if euid == 0 || (int64(u.Uid) == int64(euid) && int64(u.Gid) == int64(egid)) {
		return nil
	}
	return fmt.Errorf("running as uid %d gid %d, cannot switch to uid %d gid %d (%q): only root can",
		euid, egid, u.Uid, u.Gid, u.Spec)
}

// LookupGroup returns the gid of the group named name in the group file at
// groupPath, as getgrnam(3) finds it; a number is taken as the gid it is.
func LookupGroup(name, groupPath string) (uint32, error) {
	group, err := readAccounts(groupPath)
	if err == nil {
		var gid uint32
		if gid, err = resolveGid(name, group); err == nil {
			return gid, nil
		}
	}
	return 0, fmt.Errorf("look up group %q: %w", name, err)
}

// MemberGroups returns the gids of the groups in the group file at
// groupPath that list name as a member, in file order: the supplementary
// groups without the primary one, as s6-envuidgid's GIDLIST holds them.
func MemberGroups(name, groupPath string) ([]uint32, error) {
	data, err := os.ReadFile(groupPath)
	if err != nil {
		return nil, fmt.Errorf("read groups of %q: %w", name, err)
	}
	return memberOf(name, data), nil
}
