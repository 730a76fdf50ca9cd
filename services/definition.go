package services

import (
	"time"

	"golang.org/x/sys/unix"
)

// Definition is one service directory, parsed and validated (SPEC §4).
type Definition struct {
	Name string // the directory entry's name; a logger is named "NAME/log"
	Dir  string // absolute path of the service directory (symlinks resolved)

	Run    string // absolute path of run (required, executable)
	Finish string // absolute path of finish, "" if none
	Check  string // absolute path of check, "" if none

	Down           bool          // a down file exists: not started at boot
	NotificationFD int           // N ≥ 3 from notification-fd; 0 if none
	TimeoutKill    time.Duration // from timeout-kill; 0 means the default (VIGIL_SERVICES_GRACETIME), NoTimeout (a 0 in the file) never SIGKILL
	TimeoutFinish  time.Duration // from timeout-finish; 0 means the default (VIGIL_FINISH_TIMEOUT), NoTimeout (a 0 in the file) no limit
	DownSignal     unix.Signal   // from down-signal; SIGTERM when absent
	Dependencies   []string      // from dependencies and dependencies.d/, sorted, unique
	Env            []EnvEntry    // from env/, in file-name order
	User           *User         // from user; nil when absent
	Restart        Restart       // from restart; RestartAlways when absent
	Essential      bool          // an essential file exists

	Log *Definition // the logger from log/, nil if none
}

// EnvEntry is one file of an envdir: set Name to Value, or unset it.
type EnvEntry struct {
	Name  string
	Value string
	Unset bool // the file was empty
}

// User is a resolved user file: who the service's processes run as.
type User struct {
	Spec   string   // the file's content as written, for messages
	Uid    uint32   //
	Gid    uint32   //
	Groups []uint32 // supplementary groups, from /etc/group
	Name   string   // USER and LOGNAME: the passwd name, or the number when there is no entry
	Home   string   // HOME: from /etc/passwd, "/" when there is no entry
}

// Restart is a restart policy.
type Restart string

// The values of a restart file.
const (
	RestartAlways    Restart = "always"
	RestartOnFailure Restart = "on-failure"
	RestartNever     Restart = "never"
)
