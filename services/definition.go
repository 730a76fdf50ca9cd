package services

import (
	"time"

	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

// Definition is one service, parsed and validated: a service directory
// (README "Services"), an s6-rc source (README "s6-overlay v3 images"),
// an init script, or one of the points of the boot that s6-overlay names.
type Definition struct {
	Name string // the directory entry's name; a logger is named "NAME/log"
	Dir  string // absolute path of the service directory (symlinks resolved)
	Kind Kind   // a longrun (supervised process) or a oneshot

	Run    string // absolute path of run (required, executable)
	Finish string // absolute path of finish, "" if none
	Check  string // absolute path of check, "" if none
	// Shebang: run and finish may lack the execute bit, as in s6-rc sources
	// (s6-rc-compile copies them with mode 0755): their #! line runs them.
	Shebang bool

	// A oneshot's up and down: one command line each (an s6-rc source's
	// execline, or an init script's path); nil is a no-op that succeeds.
	Up, DownCmd            []string
	TimeoutUp, TimeoutDown Timeout // a oneshot's limits; NoLimit when absent
	Hidden                 bool    // not listed by status: an init script, a point of the boot
	Point                  bool    // a point of the boot (legacy-services, …): stopping what it follows does not undo it
	Prefix                 string  // the name its output lines carry, when not Name (an init script's file)
	Consumer               string  // the service reading its stdout: its log/, or producer-for
	Reloadable             bool    // from VIGIL_SERVICES_DIR: `vigil reload` rereads it

	Down           bool               // a down file exists: not started at boot
	NotificationFD int                // N ≥ 3 from notification-fd; 0 if none
	TimeoutKill    Timeout            // from timeout-kill, else Defaults.TimeoutKill; NoLimit: never SIGKILL
	TimeoutFinish  Timeout            // from timeout-finish, else Defaults.TimeoutFinish
	DownSignal     unix.Signal        // from down-signal; SIGTERM when absent
	Dependencies   []string           // from dependencies and dependencies.d/, sorted, unique
	Env            []process.EnvEntry // from env/, in file-name order
	User           string             // the user file's spec ("www", "33:33"), resolved at each start; "" when absent
	Restart        Restart            // from restart; RestartAlways when absent
	Essential      bool               // an essential file exists
	KeepOrphans    bool               // a keep-orphans file exists: what run leaves in its process group is left alone

	Log *Definition // the logger from log/, nil if none
}

// Kind is what a definition starts.
type Kind int

// The kinds of definition.
const (
	Longrun Kind = iota // a process kept running: restarted, stopped at shutdown
	Oneshot             // a command run once at boot (up), and maybe once at shutdown (down)
)

// Timeout is how long something may take before vigil steps in: a
// duration, or no limit at all. A definition's timeouts are resolved when
// it is loaded (the file's value, else vigil's default), so no "use the
// default" or "no limit" number ever reaches a timer.
type Timeout struct {
	d       time.Duration
	limited bool
}

// NoLimit is the Timeout that never runs out: a 0 in timeout-kill or
// timeout-finish, as in s6.
var NoLimit = Timeout{}

// Limit is the Timeout of d.
func Limit(d time.Duration) Timeout { return Timeout{d: d, limited: true} }

// Duration returns the limit; ok is false for NoLimit.
func (t Timeout) Duration() (d time.Duration, ok bool) { return t.d, t.limited }

func (t Timeout) String() string {
	if !t.limited {
		return "no limit"
	}
	return t.d.String()
}

// Defaults are the values a definition takes for the files it lacks.
type Defaults struct {
	TimeoutKill   time.Duration // VIGIL_SERVICES_GRACETIME
	TimeoutFinish time.Duration // VIGIL_FINISH_TIMEOUT
}

// Restart is a restart policy.
type Restart string

// The values of a restart file.
const (
	RestartAlways    Restart = "always"
	RestartOnFailure Restart = "on-failure"
	RestartNever     Restart = "never"
)
