package client

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/execline"
)

// The helpers of s6-overlay v3 that the binary answers to by the base name
// of argv[0] (README "s6-overlay v3 images"), mapped onto vigil's
// own commands: images written for s6-overlay run unchanged.
//
// Each is the subset real images call, with s6's exit codes and message
// forms ("s6-svc: fatal: …"); a flag that is not supported is refused
// with s6's usage code, 100, and a message naming it.

// HelperNames are the helper programs: main maps each name to Helper(name),
// and the image links each one at /command/NAME and /usr/bin/NAME, except
// halt, which lives only at HaltPath (a /usr/bin/halt would shadow the
// system's).
var HelperNames = []string{
	"with-contenv", "printcontenv",
	"s6-setuidgid", "s6-envuidgid", "s6-applyuidgid",
	"s6-notifyoncheck",
	"s6-svc", "s6-svstat", "s6-svwait", "s6-svok", "s6-svscanctl",
	"s6-rc",
	"halt",
}

// HaltPath is where s6-overlay's halt is, and where images call it.
const HaltPath = "/run/s6/basedir/bin/halt"

// NotifyCheckName is the argv[0] under which s6-notifyoncheck re-executes
// the binary as its checker; main maps it to Helper(NotifyCheckName). It
// is internal: no image links it.
const NotifyCheckName = "vigil-notifyoncheck"

// InstallPaths are the paths at which an image links the binary under
// each helper name, as s6-overlay installs its programs.
func InstallPaths() []string {
	var paths []string
	for _, name := range HelperNames {
		if name == "halt" {
			paths = append(paths, HaltPath)
			continue
		}
		paths = append(paths, "/command/"+name, "/usr/bin/"+name)
	}
	return paths
}

// Links are every path at which an image links the binary (README
// "Invocation"): /usr/bin/vigil, the helpers (InstallPaths), and the
// execline programs at /command/NAME only (a /usr/bin/cd or /usr/bin/exec
// would shadow what the image has). `vigil links` prints them, for
// `make image` and for images that install vigil another way.
func Links() []string {
	links := append([]string{"/usr/bin/vigil"}, InstallPaths()...)
	for _, name := range execline.Builtins {
		links = append(links, "/command/"+name)
	}
	return links
}

// helpers are the helpers' mains, by name.
var helpers = map[string]func(*tool) int{
	"with-contenv":     (*tool).withContenv,
	"printcontenv":     (*tool).printContenv,
	"s6-setuidgid":     (*tool).setuidgid,
	"s6-envuidgid":     (*tool).envuidgid,
	"s6-applyuidgid":   (*tool).applyuidgid,
	"s6-notifyoncheck": (*tool).notifyOnCheck,
	NotifyCheckName:    (*tool).notifyChecker,
	"s6-svc":           (*tool).svc,
	"s6-svstat":        (*tool).svstat,
	"s6-svwait":        (*tool).svwait,
	"s6-svok":          (*tool).svok,
	"s6-svscanctl":     (*tool).svscanctl,
	"s6-rc":            (*tool).rc,
	"halt":             (*tool).halt,
}

// Helper returns the main of the helper called name (one of HelperNames,
// or NotifyCheckName), nil for any other name. It takes the words after
// argv[0] and returns the exit code.
func Helper(name string) func(args []string) int {
	run := helpers[name]
	if run == nil {
		return nil
	}
	return func(args []string) int {
		t := &tool{
			name: name, args: args, stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv,
			do: func(req control.Request) (control.Response, error) { return control.Do(runDir(), req) },
		}
		return run(t)
	}
}

// Exit codes every s6 program shares.
const (
	s6Usage  = 100 // wrong usage
	s6System = 111 // a system call failed, or vigil cannot be told
)

// tool is one run of a helper: its arguments, where it writes, and how it
// reaches vigil (control.Do on the run dir; the tests put a fake there).
type tool struct {
	name           string
	args           []string
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	do             func(control.Request) (control.Response, error)
}

// getenv is the variable's value, "" when unset.
func (t *tool) getenv(name string) string {
	v, _ := t.lookupEnv(name)
	return v
}

// fatal says why the helper stops, as s6 programs do, and returns code.
func (t *tool) fatal(code int, format string, args ...any) int {
	fmt.Fprintf(t.stderr, "%s: fatal: %s\n", t.name, fmt.Sprintf(format, args...))
	return code
}

// warn says something went not quite as asked.
func (t *tool) warn(format string, args ...any) {
	fmt.Fprintf(t.stderr, "%s: warning: %s\n", t.name, fmt.Sprintf(format, args...))
}

// usage reports a wrong command line with its usage line and returns 100.
func (t *tool) usage(err error, usage string) int {
	fmt.Fprintf(t.stderr, "%s: fatal: %v\n%s: usage: %s\n", t.name, err, t.name, usage)
	return s6Usage
}

// call sends req to vigil; a refusal is an error too.
func (t *tool) call(req control.Request) (control.Response, error) {
	resp, err := t.do(req)
	switch {
	case err != nil:
		return resp, err
	case !resp.OK:
		return resp, errors.New(resp.Error)
	}
	return resp, nil
}

// status returns the status of the named services (all with none). An
// answer that is not OK can only mean a name vigil does not know: it is
// returned as errUnknown.
func (t *tool) status(names []string) ([]control.Service, error) {
	resp, err := t.do(control.Request{Command: control.CmdStatus, Names: names})
	switch {
	case err != nil:
		return nil, err
	case !resp.OK:
		return nil, fmt.Errorf("%w: %s", errUnknown, resp.Error)
	}
	return resp.Services, nil
}

// errUnknown is a service directory that stands for no service vigil has.
var errUnknown = errors.New("no such service")

// serviceNames maps service directories to service names (serviceName).
func (t *tool) serviceNames(dirs []string) ([]string, error) {
	cwd, _ := os.Getwd()
	names := make([]string, len(dirs))
	for i, dir := range dirs {
		name, err := serviceName(dir, cwd, t.getenv("VIGIL_SERVICE"))
		if err != nil {
			return nil, err
		}
		names[i] = name
	}
	return names, nil
}

// serviceName is the vigil service that a service directory, as scripts
// pass it to s6 tools, stands for: its base name, whatever the directory
// it is in (/run/service/NAME, /var/run/s6/services/NAME,
// /run/s6/legacy-services/NAME, /run/s6-rc/servicedirs/NAME,
// /etc/services.d/NAME, /etc/s6-overlay/s6-rc.d/NAME, …), NAME/log for
// DIR/log, and a bare name as it is. A relative path is taken from cwd; a
// script's own directory (".", "./log", ".." from a logger) is named by
// service, its VIGIL_SERVICE, since vigil runs it there and the directory
// may be a symlink under another name.
func serviceName(dir, cwd, service string) (string, error) {
	if dir != "" && dir != "." && dir != ".." && dir != "log" && !strings.Contains(dir, "/") {
		return dir, nil
	}
	abs := filepath.Clean(dir)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(cwd, abs)
	}
	if service != "" && cwd != "" {
		switch abs {
		case filepath.Clean(cwd):
			return service, nil
		case filepath.Join(cwd, "log"):
			return service + "/log", nil
		case filepath.Dir(filepath.Clean(cwd)):
			if producer, ok := strings.CutSuffix(service, "/log"); ok {
				return producer, nil
			}
		}
	}
	base, parent := filepath.Base(abs), filepath.Base(filepath.Dir(abs))
	if base == "log" {
		base = parent + "/log"
	}
	if dir == "" || strings.HasPrefix(base, "/") || strings.HasPrefix(base, ".") {
		return "", fmt.Errorf("service directory %q: names no service", dir)
	}
	return base, nil
}
