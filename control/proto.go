package control

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Version is the wire format's version. A server answers a request of
// another version with an error naming both.
const Version = 1

// Where the socket is: both sides name it from VIGIL_RUN_DIR.
const (
	DefaultRunDir = "/run/vigil"   // VIGIL_RUN_DIR when it is not set
	SocketName    = "control.sock" // the socket's name in the run dir
)

// The exit code file of s6-overlay images, under VIGIL_S6_RUN_DIR: boot
// makes it, halt reads it (README "s6-overlay v3 images").
const (
	DefaultS6RunDir = "/run"
	S6ExitcodeFile  = "s6-linux-init-container-results/exitcode"
)

// SocketPath is the control socket of the vigil whose run dir is runDir.
func SocketPath(runDir string) string { return filepath.Join(runDir, SocketName) }

// MaxRequest bounds one request line, newline included.
const MaxRequest = 64 << 10

// The commands a Request can carry.
const (
	CmdStatus  = "status"
	CmdStart   = "start"
	CmdStop    = "stop"
	CmdRestart = "restart"
	CmdSignal  = "signal"
	CmdWait    = "wait"
	CmdHalt    = "halt"
	CmdCheck   = "check"
	CmdReload  = "reload"
)

// The conditions of CmdWait.
const (
	UntilUp    = "up"
	UntilReady = "ready"
	UntilDown  = "down"
)

// Request is one command to the running vigil.
type Request struct {
	Version int      `json:"v"`
	Command string   `json:"cmd"`
	Names   []string `json:"names,omitempty"`  // services; empty = all (status)
	Signal  string   `json:"signal,omitempty"` // signal: the signal's name or number
	Until   string   `json:"until,omitempty"`  // wait: up, ready or down
	Code    int      `json:"code,omitempty"`   // halt: the container's exit code
	// TimeoutMs bounds a command that waits (start, stop, restart, wait);
	// 0 means DefaultWait, except for wait: as long as the state can still
	// be reached.
	TimeoutMs int64 `json:"timeout_ms,omitempty"`
	// NoWait makes start, stop and restart answer once the change is
	// made, without waiting for it to be done (s6-svc's asynchronous
	// commands).
	NoWait bool `json:"no_wait,omitempty"`
}

// DefaultWait is how long a waiting command waits when the request does
// not say.
const DefaultWait = 30 * time.Second

// Timeout is how long the command may wait for its state; limited is
// false for a wait without a timeout, which waits as long as the state can
// still be reached.
func (r Request) Timeout() (d time.Duration, limited bool) {
	switch {
	case r.TimeoutMs > 0:
		return time.Duration(r.TimeoutMs) * time.Millisecond, true
	case r.Command == CmdWait:
		return 0, false
	}
	return DefaultWait, true
}

// Response is the server's answer.
type Response struct {
	Version  int       `json:"v"`
	OK       bool      `json:"ok"`
	Error    string    `json:"error,omitempty"`    // why not OK
	Services []Service `json:"services,omitempty"` // status
	Problems []string  `json:"problems,omitempty"` // check: what is not healthy
	Added    []string  `json:"added,omitempty"`    // reload: services new in the directory
	Removed  []string  `json:"removed,omitempty"`  // reload: services gone from it
}

// Service is one service's status.
type Service struct {
	Name     string `json:"name"`
	State    string `json:"state"` // down, starting, up, stopping, finishing, backoff
	Wanted   bool   `json:"wanted"`
	Pid      int    `json:"pid"`       // 0 when run is not running
	UptimeMs int64  `json:"uptime_ms"` // since run started, while it runs
	Ready    bool   `json:"ready"`
	Restarts int    `json:"restarts"`
	LastExit string `json:"last_exit"` // "exit 3", "signal SIGKILL", "" before the first
	Fault    string `json:"fault"`     // why it cannot start (its user), "" when nothing is wrong
	// The rest is what s6-svstat shows.
	NormallyUp bool  `json:"normally_up"` // no down file: started at boot
	SinceMs    int64 `json:"since_ms"`    // since run last started or ended (or the service was loaded)
	ReadyMs    int64 `json:"ready_ms"`    // since it last became ready (while up) or was done stopping, finish included (while down)
	ExitCode   int   `json:"exit_code"`   // run's last exit status; -1 if a signal ended it or it never ended
	Signal     int   `json:"signal"`      // the signal that ended the last run, 0 if none
}

// DecodeRequest parses one request line (without its newline) and checks
// what can be checked without the services: version, command, arguments.
func DecodeRequest(line []byte) (Request, error) {
	r, err := decodeRequestJSON(line)
	if err != nil {
		return Request{}, fmt.Errorf("decode request: %w", err)
	}
	if r.Version != Version {
		return Request{}, fmt.Errorf("request version %d: this vigil speaks version %d", r.Version, Version)
	}
	return r, r.validate()
}

func (r Request) validate() error {
	needNames := map[string]bool{CmdStart: true, CmdStop: true, CmdRestart: true, CmdSignal: true, CmdWait: true}
	switch r.Command {
	case CmdStatus, CmdStart, CmdStop, CmdRestart, CmdSignal, CmdWait, CmdHalt, CmdCheck, CmdReload:
	default:
		return fmt.Errorf("unknown command %q", r.Command)
	}
	switch {
	case needNames[r.Command] && len(r.Names) == 0:
		return fmt.Errorf("%s: no service named", r.Command)
	case r.Command == CmdSignal && r.Signal == "":
		return errors.New("signal: no signal given")
	case r.Command == CmdWait && r.Until != UntilUp && r.Until != UntilReady && r.Until != UntilDown:
		return fmt.Errorf("wait: until %q: want up, ready or down", r.Until)
	case r.Command == CmdHalt && (r.Code < 0 || r.Code > 255):
		return fmt.Errorf("halt: code %d: want 0 to 255", r.Code)
	case r.NoWait && r.Command != CmdStart && r.Command != CmdStop && r.Command != CmdRestart:
		return fmt.Errorf("%s: no_wait is only for start, stop and restart", r.Command)
	case r.TimeoutMs < 0:
		return fmt.Errorf("timeout %dms: want a non-negative duration", r.TimeoutMs)
	}
	return nil
}

// Fail is a Response saying err.
func Fail(err error) Response {
	return Response{Version: Version, Error: err.Error()}
}

// Ok is a successful Response.
func Ok() Response {
	return Response{Version: Version, OK: true}
}
