package services

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The account databases LookupUser reads. They are parsed here, not
// through os/user, which can pull in cgo and would break the static build.
const (
	PasswdPath = "/etc/passwd"
	GroupPath  = "/etc/group"
)

// passwdFile and groupFile are what Load resolves user files against;
// tests point them at their own files.
var (
	passwdFile = PasswdPath
	groupFile  = GroupPath
)

// userForm is the accepted form of a user spec, for error messages.
const userForm = "want user, user:group, uid or uid:gid"

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
// has to be looked up in it.
func LookupUser(spec, passwdPath, groupPath string) (*User, error) {
	u, err := lookupUser(spec, passwdPath, groupPath)
	if err != nil {
		return nil, fmt.Errorf("look up user %q: %w", spec, err)
	}
	return u, nil
}

// lookupUser is LookupUser with errors that do not repeat the spec.
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

// resolveUser resolves spec against the content of the two databases.
func resolveUser(spec string, passwd, group accounts) (*User, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" || (hasGroup && groupPart == "") {
		return nil, fmt.Errorf("invalid user %q; %s", spec, userForm)
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

// The effective ids of vigil, variables so tests can pretend not to be root.
var (
	geteuid = os.Geteuid
	getegid = os.Getegid
)

// checkSwitch returns why vigil cannot run processes as u: only root can
// change uid or gid, so any other vigil can only run them as itself.
func checkSwitch(u *User) error {
	euid, egid := geteuid(), getegid()
	if euid == 0 || (int64(u.Uid) == int64(euid) && int64(u.Gid) == int64(egid)) {
		return nil
	}
	return fmt.Errorf("vigil runs as uid %d gid %d and cannot switch to uid %d gid %d (%q); run the container as root or remove the user file",
		euid, egid, u.Uid, u.Gid, u.Spec)
}

// executable returns the absolute path of file, checking that it is a
// regular file (symlinks followed) that u (vigil itself when nil) may
// execute. An absent optional file gives "".
func (p *parser) executable(file string, u *User, required bool) string {
	path := filepath.Join(p.dir, file)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && required:
		p.fail(file, "missing; want an executable file", err)
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(path); lerr == nil {
			p.fail(file, "broken symlink; want an executable file", err)
		}
		return ""
	case err != nil:
		p.fail(file, cause(err), err)
	case fi.IsDir():
		p.fail(file, "is a directory; want an executable file", nil)
	case !fi.Mode().IsRegular():
		p.fail(file, "not a regular file; want an executable file", nil)
	default:
		if problem := checkExec(fi, u); problem != "" {
			p.fail(file, problem, nil)
		}
	}
	return path
}

// checkExec returns why u (vigil itself when nil) cannot execute the
// regular file fi, or "". It applies the classic mode-bit rule (owner, else
// group, else other; root needs any x bit); ACLs are left to exec.
func checkExec(fi fs.FileInfo, u *User) string {
	mode := fi.Mode().Perm()
	uid, gids := runAs(u)
	if mode&0o111 == 0 {
		return fmt.Sprintf("not executable (mode %v); want chmod +x", mode)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if uid == 0 || !ok {
		return ""
	}
	bit := fs.FileMode(0o001)
	switch {
	case st.Uid == uid:
		bit = 0o100
	case slices.Contains(gids, st.Gid):
		bit = 0o010
	}
	if mode&bit == 0 {
		return fmt.Sprintf("not executable by uid %d (mode %v, owner %d:%d)", uid, mode, st.Uid, st.Gid)
	}
	return ""
}

// runAs returns the uid and groups processes run as: u's, or vigil's own.
func runAs(u *User) (uid uint32, gids []uint32) {
	if u != nil {
		return u.Uid, append([]uint32{u.Gid}, u.Groups...)
	}
	gids = []uint32{uint32(getegid())}
	groups, _ := unix.Getgroups() // an error only leaves out supplementary groups
	for _, g := range groups {
		gids = append(gids, uint32(g))
	}
	return uint32(geteuid()), gids
}

// user resolves the user file, if any, and checks vigil may switch to it.
func (p *parser) user() *User {
	spec, ok := p.readTrimmed("user", userForm)
	if !ok {
		return nil
	}
	u, err := lookupUser(spec, passwdFile, groupFile)
	if err == nil {
		err = checkSwitch(u)
	}
	if err != nil {
		p.fail("user", err.Error(), err)
		return nil
	}
	return u
}
