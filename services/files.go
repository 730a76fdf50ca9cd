package services

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

// passwdFile and groupFile are what Load resolves user files against;
// tests point them at their own files.
var (
	passwdFile = process.PasswdPath
	groupFile  = process.GroupPath
)

// The effective ids of vigil, variables so tests can pretend not to be root.
var (
	geteuid = os.Geteuid
	getegid = os.Getegid
)

// executable returns the absolute path of file, checking that it is a
// regular file (symlinks followed) that u (vigil itself when nil) may
// execute; with anyBit, only that some execute bit is set (u is not known
// yet). An absent optional file gives "".
func (p *parser) executable(file string, u *process.User, anyBit, required bool) string {
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
	case p.shebang && fi.Mode()&0o111 == 0:
		if shebangOf(path) == nil {
			p.fail(file, fmt.Sprintf("not executable (mode %v) and no #! line to run it with", fi.Mode().Perm()), nil)
		}
	case anyBit && fi.Mode()&0o111 == 0:
		p.fail(file, fmt.Sprintf("not executable (mode %v); want chmod +x", fi.Mode().Perm()), nil)
	case !anyBit:
		if problem := checkExec(fi, u); problem != "" {
			p.fail(file, problem, nil)
		}
	}
	return path
}

// checkExec returns why u (vigil itself when nil) cannot execute the
// regular file fi, or "". It applies the classic mode-bit rule (owner, else
// group, else other; root needs any x bit); ACLs are left to exec.
func checkExec(fi fs.FileInfo, u *process.User) string {
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
func runAs(u *process.User) (uid uint32, gids []uint32) {
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

// user reads the user file, if any: its spec, whose form is checked now.
// It is resolved at each start (README "Services", user), not here: an
// init script may create the user first, and a user vigil cannot become
// fails its own service when it starts, not the whole boot. execAs is the
// user when it resolves now and vigil can become it, for the checks of
// executable; nil otherwise (then only an execute bit is asked for).
func (p *parser) user() (spec string, execAs *process.User) {
	spec, ok := p.readTrimmed("user", process.UserForm)
	if !ok {
		return "", nil
	}
	if err := process.CheckUserSpec(spec); err != nil {
		p.fail("user", err.Error(), err)
		return "", nil
	}
	u, err := process.LookupUser(spec, passwdFile, groupFile)
	if err != nil || process.CanAssume(u, geteuid(), getegid()) != nil {
		return spec, nil
	}
	return spec, u
}

// env reads env/, if present.
func (p *parser) env() []process.EnvEntry {
	path := filepath.Join(p.dir, "env")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	entries, err := process.ReadEnvDir(path)
	var de *process.EnvDirError
	if errors.As(err, &de) {
		p.fail("env/"+de.File, cause(de.Err), de.Err)
	}
	return entries
}

// downSignal parses down-signal; SIGTERM when absent.
func (p *parser) downSignal() unix.Signal {
	s, ok := p.readTrimmed("down-signal", process.SignalForm)
	if !ok {
		return unix.SIGTERM
	}
	sig, err := process.ParseSignal(s)
	if err != nil {
		p.fail("down-signal", fmt.Sprintf("invalid value %q; %s", s, process.SignalForm), err)
		return unix.SIGTERM
	}
	return sig
}
