package boot

import (
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// s6Prefix is the prefix of s6-overlay's variables. Like VIGIL_, it is
// the only way they are read: split_words, no unprefixed fallback.
const s6Prefix = "S6"

// s6Config is s6-overlay v3's variables (README "s6-overlay v3 images"):
// each one fills in its VIGIL_ counterpart when that is unset, or is
// accepted and ignored, with a debug line saying why.
type s6Config struct {
	KillGracetime             S6Millis  `split_words:"true"` // VIGIL_KILL_GRACETIME
	ServicesGracetime         S6Millis  `split_words:"true"` // VIGIL_SERVICES_GRACETIME
	KillFinishMaxtime         S6Millis  `split_words:"true"` // VIGIL_FINISH_TIMEOUT
	CmdWaitForServicesMaxtime S6Millis  `split_words:"true"` // VIGIL_READY_TIMEOUT (0: no limit, as in s6-overlay)
	BehaviourIfStage2Fails    S6Stage2  `split_words:"true"` // VIGIL_INIT_FAILURE: 0, 1 continue; 2 stop
	Verbosity                 S6Verbose `split_words:"true"` // VIGIL_LOG_LEVEL: 0 error, 1 warn, 2 info, 3-5 debug
	RuntimeProfile            S6Word    `split_words:"true"` // the dirs under /etc/cont-profile.d/NAME
	RuntimeBundledir          S6Word    `split_words:"true"` // where user and user2 are defined
	CmdArg0                   S6Word    `split_words:"true"` // words put before the CMD
	Stage2Hook                S6Word    `split_words:"true"` // run before the definitions are read
	SyncDisks                 S6Bool    `split_words:"true"` // sync(2) before exit

	KeepEnv            S6Ignored `split_words:"true"`
	ReadOnlyRoot       S6Ignored `split_words:"true"`
	Logging            S6Ignored `split_words:"true"`
	LoggingScript      S6Ignored `split_words:"true"`
	CatchallUser       S6Ignored `split_words:"true"`
	CmdUseTerminal     S6Ignored `split_words:"true"`
	CmdReceiveSignals  S6Ignored `split_words:"true"`
	CmdWaitForServices S6Ignored `split_words:"true"`
	ServicesReadytime  S6Ignored `split_words:"true"`
	FixAttrsHidden     S6Ignored `split_words:"true"`
	GlobalPath         S6Ignored `split_words:"true"`

	YesIWantAWorldWritableRunBecauseKubernetes S6Ignored `split_words:"true"`
}

// s6Ignored says why each accepted S6_ variable changes nothing.
var s6Ignored = map[string]string{
	"S6_KEEP_ENV":              "vigil gives services, scripts and the CMD the container's environment; with-contenv reads it itself",
	"S6_READ_ONLY_ROOT":        "vigil needs no writable root: without a writable run dir it runs on",
	"S6_LOGGING":               "service output goes to the container's streams with the name in front; use log/ for files",
	"S6_LOGGING_SCRIPT":        "see S6_LOGGING",
	"S6_CATCHALL_USER":         "see S6_LOGGING",
	"S6_CMD_USE_TERMINAL":      "the CMD always has the container's stdio",
	"S6_CMD_RECEIVE_SIGNALS":   "vigil always forwards signals to the CMD",
	"S6_CMD_WAIT_FOR_SERVICES": "the CMD always waits until every service is ready",
	"S6_SERVICES_READYTIME":    "readiness is exact: nothing is slept",
	"S6_FIX_ATTRS_HIDDEN":      "fix-attrs.d is not applied",
	"S6_GLOBAL_PATH":           "children get the container's PATH (with /command added when it exists)",
	"S6_YES_I_WANT_A_WORLD_WRITABLE_RUN_BECAUSE_KUBERNETES": "vigil does not refuse a world-writable /run",
}

// loadS6 reads the S6_ variables and applies them to cfg where the VIGIL_
// variable is unset. It returns the names that were set and ignored.
func loadS6(cfg *Config) (ignored []string, err error) {
	var s6 s6Config
	if err := processEnv(s6Prefix, &s6); err != nil {
		return nil, err
	}
	unset := func(name string) bool { return os.Getenv(envPrefix+"_"+name) == "" }
	if s6.KillGracetime.set && unset("KILL_GRACETIME") {
		cfg.KillGracetime = Duration(s6.KillGracetime.d)
	}
	if s6.ServicesGracetime.set && unset("SERVICES_GRACETIME") {
		cfg.ServicesGracetime = Duration(s6.ServicesGracetime.d)
	}
	if s6.KillFinishMaxtime.set && unset("FINISH_TIMEOUT") {
		cfg.FinishTimeout = Duration(s6.KillFinishMaxtime.d)
	}
	if s6.CmdWaitForServicesMaxtime.set && unset("READY_TIMEOUT") {
		cfg.ReadyTimeout = Duration(s6.CmdWaitForServicesMaxtime.d)
	}
	if s6.BehaviourIfStage2Fails.set && unset("INIT_FAILURE") {
		cfg.InitFailure = s6.BehaviourIfStage2Fails.policy
	}
	if s6.Verbosity.set && unset("LOG_LEVEL") {
		cfg.LogLevel = s6.Verbosity.level
	}
	if p := s6.RuntimeProfile.v; p != "" {
		root := filepath.Join("/etc/cont-profile.d", p)
		for name, dir := range map[string]*Path{"SERVICES_DIR": &cfg.ServicesDir, "INIT_DIR": &cfg.InitDir,
			"FINISH_DIR": &cfg.FinishDir, "S6_OVERLAY_DIR": &cfg.S6OverlayDir} {
			if unset(name) {
				*dir = Path(filepath.Join(root, filepath.Base(string(*dir))))
			}
		}
	}
	cfg.bundleDir = s6.RuntimeBundledir.v
	if s6.CmdArg0.v != "" {
		cfg.cmdArg0 = strings.Fields(s6.CmdArg0.v)
	}
	if s6.Stage2Hook.v != "" {
		cfg.stage2Hook = strings.Fields(s6.Stage2Hook.v) // word-split, not a shell line, as s6-overlay does
	}
	cfg.syncDisks = s6.SyncDisks.v
	for name := range s6Ignored {
		if os.Getenv(name) != "" {
			ignored = append(ignored, name)
		}
	}
	return ignored, nil
}

// logS6Ignored says, at debug, which S6_ variables change nothing and why.
func logS6Ignored(log *slog.Logger, names []string) {
	for _, name := range names {
		log.Debug("accepted and ignored", "variable", name, "why", s6Ignored[name])
	}
}

const (
	wantMillis  = "a whole number of milliseconds"
	wantStage2  = "0, 1 (continue) or 2 (stop)"
	wantVerbose = "a number from 0 to 5"
	wantS6Bool  = "0 or 1"
)

// S6Millis is an s6-overlay time: whole milliseconds.
type S6Millis struct {
	d   time.Duration
	set bool
}

// Decode implements envconfig.Decoder.
func (m *S6Millis) Decode(s string) error {
	if s == "" {
		return nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return wantError(wantMillis)
	}
	*m = S6Millis{d: time.Duration(n) * time.Millisecond, set: true}
	return nil
}

// S6Stage2 is S6_BEHAVIOUR_IF_STAGE2_FAILS.
type S6Stage2 struct {
	policy InitFailure
	set    bool
}

// Decode implements envconfig.Decoder.
func (b *S6Stage2) Decode(s string) error {
	switch strings.TrimSpace(s) {
	case "":
	case "0", "1":
		*b = S6Stage2{policy: InitContinue, set: true}
	case "2":
		*b = S6Stage2{policy: InitStop, set: true}
	default:
		return wantError(wantStage2)
	}
	return nil
}

// S6Verbose is S6_VERBOSITY.
type S6Verbose struct {
	level LogLevel
	set   bool
}

// Decode implements envconfig.Decoder.
func (v *S6Verbose) Decode(s string) error {
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 5 {
		return wantError(wantVerbose)
	}
	levels := []slog.Level{slog.LevelError, slog.LevelWarn, slog.LevelInfo}
	level := slog.LevelDebug
	if n < len(levels) {
		level = levels[n]
	}
	*v = S6Verbose{level: LogLevel(level), set: true}
	return nil
}

// S6Word is a string taken as it is.
type S6Word struct{ v string }

// Decode implements envconfig.Decoder.
func (w *S6Word) Decode(s string) error { w.v = s; return nil }

// S6Bool is 0 (or empty) or 1.
type S6Bool struct{ v bool }

// Decode implements envconfig.Decoder.
func (b *S6Bool) Decode(s string) error {
	switch strings.TrimSpace(s) {
	case "", "0":
	case "1":
		b.v = true
	default:
		return wantError(wantS6Bool)
	}
	return nil
}

// S6Ignored is a variable vigil accepts and does nothing with.
type S6Ignored struct{}

// Decode implements envconfig.Decoder.
func (S6Ignored) Decode(string) error { return nil }
