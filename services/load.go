package services

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

// maxNotificationFD bounds notification-fd: the spawner hands a child its
// fds as a slice indexed by number, and no real service uses more.
const maxNotificationFD = 1<<16 - 1

// DefinitionError is a broken service definition: the service, the file
// within its directory ("run", "log/notification-fd") and the problem.
type DefinitionError struct {
	Service string // the service's name; "" for the services directory itself
	File    string // the file within the service directory; "" for the directory
	Problem string // what is wrong and, where useful, the accepted form
	Err     error  // the underlying error, if any, for errors.Is
}

// Error reads "service NAME: FILE: PROBLEM".
func (e *DefinitionError) Error() string {
	switch {
	case e.Service == "":
		return "services directory " + e.File + ": " + e.Problem
	case e.File == "":
		return "service " + e.Service + ": " + e.Problem
	}
	return "service " + e.Service + ": " + e.File + ": " + e.Problem
}

// Unwrap returns the underlying error.
func (e *DefinitionError) Unwrap() error { return e.Err }

// Load reads and validates every service directory in dir (README "Services") and
// returns the definitions sorted by name. A missing dir means no services.
// Entries beginning with "." and top-level files are ignored; symlinks to
// directories are followed. The first problem found, in name order, is
// returned as a *DefinitionError; dependency cycles are looked for once
// every service has loaded.
func Load(dir string, defaults Defaults) ([]*Definition, error) {
	names, err := listServices(dir)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	known := make(map[string]bool, len(names))
	for _, name := range names {
		known[name] = true
	}
	defs := make([]*Definition, 0, len(names))
	for _, name := range names {
		d, err := loadService(name, filepath.Join(dir, name), known, defaults)
		if err != nil {
			return nil, err
		}
		defs = append(defs, d)
	}
	if err := checkCycles(defs); err != nil {
		return nil, err
	}
	return defs, nil
}

// listServices returns the names of the service directories in dir,
// sorted. A symlink that leads nowhere is an error: it is most likely a
// service whose target is missing, and skipping it would start the
// container without it.
func listServices(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &DefinitionError{File: dir, Problem: cause(err), Err: err}
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				return nil, &DefinitionError{Service: name, Problem: "broken symlink: " + cause(err), Err: err}
			}
			isDir = fi.IsDir()
		}
		if isDir {
			names = append(names, name)
		}
	}
	return names, nil
}

// ValidName reports whether name is a service name: one or more of
// letters, digits and _ . @ - (README "Services"). A byte loop, not a
// regexp: it is all the matching vigil needs.
func ValidName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == '@' || c == '-'
		if !ok {
			return false
		}
	}
	return name != ""
}

// nameForm is the accepted form of a service name, for error messages.
const nameForm = "want letters, digits and _ . @ -"

// loadService parses the service directory at path. known holds the names
// of all services, for its dependencies.
func loadService(name, path string, known map[string]bool, defaults Defaults) (*Definition, error) {
	if !ValidName(name) {
		return nil, &DefinitionError{Service: name, Problem: "invalid name; " + nameForm}
	}
	p := &parser{service: name, defaults: defaults}
	p.dir = p.resolve(path)
	d, execAs := p.common(name)
	d.Check = p.executable("check", execAs, d.User != "" && execAs == nil, false)
	d.Down = p.exists("down")
	d.Essential = p.exists("essential")
	d.KeepOrphans = p.exists("keep-orphans")
	d.Restart = p.restart()
	d.Dependencies = p.dependencies(known)
	d.Log = p.logger()
	if p.err != nil {
		return nil, p.err
	}
	return d, nil
}

// parser reads the files of one service directory (or its log/), keeping
// the first problem found: later steps still run, but cannot replace it.
type parser struct {
	service  string   // the service's name, for errors
	prefix   string   // "log/" while reading the logger, for errors
	dir      string   // the directory being read, absolute, symlinks resolved
	defaults Defaults // for the files that are absent
	shebang  bool     // an s6-rc source: run and finish need no execute bit, a #! line will do
	err      error    // the first *DefinitionError
}

// fail records a problem with file, unless one is recorded already.
func (p *parser) fail(file, problem string, err error) {
	if p.err == nil {
		file = strings.TrimSuffix(p.prefix+file, "/") // "log/" for log/ itself
		p.err = &DefinitionError{Service: p.service, File: file, Problem: problem, Err: err}
	}
}

// resolve returns path made absolute with its symlinks resolved.
func (p *parser) resolve(path string) string {
	abs, err := filepath.Abs(path)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		p.fail("", "resolve directory: "+cause(err), err)
		return path
	}
	return abs
}

// common parses the files a service and its logger share. execAs is the
// user the executables were checked for (see user).
func (p *parser) common(name string) (d *Definition, execAs *process.User) {
	d = &Definition{Name: name, Dir: p.dir, DownSignal: unix.SIGTERM, Restart: RestartAlways}
	d.User, execAs = p.user()
	anyBit := d.User != "" && execAs == nil
	d.Run = p.executable("run", execAs, anyBit, true)
	d.Finish = p.executable("finish", execAs, anyBit, false)
	d.NotificationFD = p.notificationFD()
	d.TimeoutKill = p.timeout("timeout-kill", p.defaults.TimeoutKill)
	d.TimeoutFinish = p.timeout("timeout-finish", p.defaults.TimeoutFinish)
	d.DownSignal = p.downSignal()
	d.Env = p.env()
	return d, execAs
}

// logger parses log/, if the service has one.
func (p *parser) logger() *Definition {
	path := filepath.Join(p.dir, "log")
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		p.fail("log", cause(err), err)
		return nil
	case !fi.IsDir():
		p.fail("log", "not a directory; want a directory with its own run", nil)
		return nil
	}
	lp := &parser{service: p.service, prefix: "log/", defaults: p.defaults, err: p.err}
	lp.dir = lp.resolve(path)
	d, _ := lp.common(p.service + "/log")
	p.err = lp.err
	return d
}

// read returns the content of an optional file; ok is false when the file
// does not exist (or cannot be read: then a problem is recorded).
func (p *parser) read(file string) (data []byte, ok bool) {
	data, err := os.ReadFile(filepath.Join(p.dir, file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false
	}
	if err != nil {
		p.fail(file, "cannot read: "+cause(err), err)
		return nil, false
	}
	return data, true
}

// readTrimmed returns the content of an optional file without surrounding
// white space. An empty file is a problem: want says what it should hold.
func (p *parser) readTrimmed(file, want string) (s string, ok bool) {
	data, ok := p.read(file)
	if !ok {
		return "", false
	}
	s = string(bytes.TrimSpace(data))
	if s == "" {
		p.fail(file, "empty; "+want, nil)
		return "", false
	}
	return s, true
}

// exists reports whether file exists, whatever it is.
func (p *parser) exists(file string) bool {
	_, err := os.Lstat(filepath.Join(p.dir, file))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		p.fail(file, cause(err), err)
	}
	return err == nil
}

// notificationFD parses notification-fd: a number N ≥ 3.
func (p *parser) notificationFD() int {
	n, _ := p.number("notification-fd", "want a file descriptor number from 3 to 65535", 3, maxNotificationFD)
	return int(n)
}

// timeout parses timeout-kill or timeout-finish: whole milliseconds, 0 for
// no limit. An absent (or invalid) file gives def, vigil's default.
func (p *parser) timeout(file string, def time.Duration) Timeout {
	const want = "want a whole number of milliseconds (0 for no limit)"
	n, ok := p.number(file, want, 0, math.MaxInt64/int64(time.Millisecond))
	switch {
	case !ok:
		return Limit(def)
	case n == 0:
		return NoLimit
	}
	return Limit(time.Duration(n) * time.Millisecond)
}

// number parses an optional file holding a decimal number from min to max;
// ok is false when the file is absent or invalid (a problem is recorded).
func (p *parser) number(file, want string, min, max int64) (n int64, ok bool) {
	s, ok := p.readTrimmed(file, want)
	if !ok {
		return 0, false
	}
	u, err := strconv.ParseUint(s, 10, 63) // digits only: no sign, no "0x"
	n = int64(u)
	if err != nil || n < min || n > max {
		p.fail(file, fmt.Sprintf("invalid value %q; %s", s, want), nil)
		return 0, false
	}
	return n, true
}

// restart parses restart; RestartAlways when absent.
func (p *parser) restart() Restart {
	const want = "want always, on-failure or never"
	s, ok := p.readTrimmed("restart", want)
	if !ok {
		return RestartAlways
	}
	switch r := Restart(s); r {
	case RestartAlways, RestartOnFailure, RestartNever:
		return r
	}
	p.fail("restart", fmt.Sprintf("invalid value %q; %s", s, want), nil)
	return RestartAlways
}

// dependencies merges dependencies and dependencies.d/, each name checked
// against known (and against the service itself), sorted and unique.
func (p *parser) dependencies(known map[string]bool) []string {
	var deps []string
	if data, ok := p.read("dependencies"); ok {
		names, err := parseDependencies(data)
		if err != nil {
			p.fail("dependencies", err.Error(), err)
		}
		p.checkDeps("dependencies", names, known)
		deps = append(deps, names...)
	}
	deps = append(deps, p.dependenciesDir(known)...)
	slices.Sort(deps)
	return slices.Compact(deps)
}

// dependenciesDir reads dependencies.d/: one entry per name, dot files
// ignored.
func (p *parser) dependenciesDir(known map[string]bool) []string {
	const file = "dependencies.d"
	entries, err := os.ReadDir(filepath.Join(p.dir, file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		p.fail(file, cause(err), err)
		return nil
	}
	var names []string
	for _, e := range entries {
		if name := e.Name(); !strings.HasPrefix(name, ".") {
			names = append(names, name)
		}
	}
	p.checkDeps(file, names, known)
	return names
}

// checkDeps records the first name that is invalid, the service itself or
// unknown.
func (p *parser) checkDeps(file string, names []string, known map[string]bool) {
	for _, name := range names {
		switch {
		case !ValidName(name):
			p.fail(file, fmt.Sprintf("invalid service name %q; %s", name, nameForm), nil)
		case name == p.service:
			p.fail(file, "a service cannot depend on itself", nil)
		case !known[name]:
			p.fail(file, fmt.Sprintf("unknown service %q", name), nil)
		}
	}
}

// parseDependencies parses a dependencies file: one service name per line,
// with surrounding white space, blank lines and "#" comments (to the end of
// the line) allowed. Names are returned in file order.
func parseDependencies(data []byte) ([]string, error) {
	var names []string
	for i, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		name := strings.TrimSpace(line)
		if name != "" && !ValidName(name) {
			return nil, fmt.Errorf("line %d: invalid service name %q; %s", i+1, name, nameForm)
		}
		if name != "" {
			names = append(names, name)
		}
	}
	return names, nil
}

// checkCycles returns the first dependency cycle, in name order, as an
// error naming the whole cycle ("a -> b -> a").
func checkCycles(defs []*Definition) error {
	deps := make(map[string][]string, len(defs))
	for _, d := range defs {
		deps[d.Name] = d.Dependencies
	}
	done := make(map[string]bool, len(defs))
	for _, d := range defs {
		if cycle := findCycle(d.Name, deps, done, nil); cycle != nil {
			problem := "dependency cycle " + strings.Join(cycle, " -> ")
			return &DefinitionError{Service: cycle[0], File: "dependencies", Problem: problem}
		}
	}
	return nil
}

// findCycle walks deps depth first from name, reached through path, and
// returns the first cycle found. done holds the names known to be on none.
func findCycle(name string, deps map[string][]string, done map[string]bool, path []string) []string {
	if i := slices.Index(path, name); i >= 0 {
		return append(slices.Clone(path[i:]), name)
	}
	if done[name] {
		return nil
	}
	path = append(path, name)
	for _, dep := range deps[name] {
		if cycle := findCycle(dep, deps, done, path); cycle != nil {
			return cycle
		}
	}
	done[name] = true
	return nil
}

// cause is err's text without the operation and path an *fs.PathError
// adds: the file is named by the DefinitionError already.
func cause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
