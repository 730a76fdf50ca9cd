package boot

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/services"
)

// envPrefix is the prefix of every variable vigil reads. Each field below
// is found by split_words under that prefix only: a field tagged
// `envconfig:"X"` would fall back to the unprefixed X (envconfig v1.4.0), so
// an application's own KILL_GRACETIME could configure the init.
const envPrefix = "VIGIL"

// Config is vigil's configuration, read from VIGIL_* variables (README "Configuration").
// Every field's type treats an empty value as unset: `-e VIGIL_X=` keeps the
// default.
type Config struct {
	ServicesDir       Path        `split_words:"true"`
	InitDir           Path        `split_words:"true"`
	FinishDir         Path        `split_words:"true"`
	RunDir            Path        `split_words:"true"`
	S6OverlayDir      Path        `split_words:"true"`
	InitFailure       InitFailure `split_words:"true"`
	ReadyTimeout      Duration    `split_words:"true"`
	ServicesGracetime Duration    `split_words:"true"`
	FinishTimeout     Duration    `split_words:"true"`
	KillGracetime     Duration    `split_words:"true"`
	ShutdownTimeout   Duration    `split_words:"true"`
	Disable           NameList    `split_words:"true"`
	LogPrefix         Flag        `split_words:"true"`
	LogLevel          LogLevel    `split_words:"true"`
	S6RunDir          Path        `split_words:"true"`

	// From s6-overlay's variables (loadS6), where VIGIL_ has no say.
	bundleDir  string   // S6_RUNTIME_BUNDLEDIR
	cmdArg0    []string // S6_CMD_ARG0
	stage2Hook []string // S6_STAGE2_HOOK
	syncDisks  bool     // S6_SYNC_DISKS
	s6Ignored  []string // the S6_ variables set that change nothing
}

// defaultConfig is the table of defaults of README "Configuration".
func defaultConfig() Config {
	return Config{
		ServicesDir:       "/etc/services.d",
		InitDir:           "/etc/cont-init.d",
		FinishDir:         "/etc/cont-finish.d",
		RunDir:            control.DefaultRunDir,
		S6OverlayDir:      "/etc/s6-overlay",
		InitFailure:       InitStop,
		ServicesGracetime: Duration(5 * time.Second),
		FinishTimeout:     Duration(5 * time.Second),
		KillGracetime:     Duration(3 * time.Second),
		ShutdownTimeout:   Duration(9 * time.Second),
		LogPrefix:         true,
		LogLevel:          LogLevel(slog.LevelInfo),
		S6RunDir:          control.DefaultS6RunDir,
	}
}

// serviceDefaults are the values service definitions take for the files
// they lack.
func (c Config) serviceDefaults() services.Defaults {
	return services.Defaults{TimeoutKill: c.ServicesGracetime.D(), TimeoutFinish: c.FinishTimeout.D()}
}

// s6Package is where s6-overlay keeps its own s6-rc sources; images add
// theirs there too (README "s6-overlay v3 images").
const s6Package = "/package/admin/s6-overlay/etc/s6-rc/sources"

// dirs are where the definitions are.
func (c Config) dirs() services.Dirs {
	overlay := string(c.S6OverlayDir)
	return services.Dirs{
		Services: string(c.ServicesDir),
		Init:     string(c.InitDir),
		Sources:  []string{filepath.Join(overlay, "s6-rc.d"), cmp.Or(c.bundleDir, filepath.Join(overlay, "user-bundles.d"))},
		Package:  s6Package,
	}
}

// ConfigError is an invalid configuration value: the variable, its value
// and the form it accepts.
type ConfigError struct {
	Variable, Value, Want string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid %s=%q: want %s", e.Variable, e.Value, e.Want)
}

// loadConfig reads the configuration from the environment.
func loadConfig() (Config, error) {
	cfg := defaultConfig()
	if err := processEnv(envPrefix, &cfg); err != nil {
		return cfg, err
	}
	var err error
	cfg.s6Ignored, err = loadS6(&cfg)
	return cfg, err
}

// processEnv is envconfig.Process with its parse errors as ConfigError,
// naming the variable, the value and the accepted form.
func processEnv(prefix string, spec any) error {
	err := envconfig.Process(prefix, spec)
	var perr *envconfig.ParseError
	if errors.As(err, &perr) {
		var want wantError
		if errors.As(perr.Err, &want) {
			return &ConfigError{Variable: perr.KeyName, Value: perr.Value, Want: string(want)}
		}
		return &ConfigError{Variable: perr.KeyName, Value: perr.Value, Want: perr.Err.Error()}
	}
	if err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	return nil
}

// wantError is a decoding error that says what form the value must take.
type wantError string

func (w wantError) Error() string { return "want " + string(w) }

const (
	wantDuration = "a duration: Go syntax like 250ms or 1.5s, or a whole number of milliseconds"
	wantPath     = "an absolute path"
	wantFailure  = "stop or continue"
	wantBool     = "true or false (also 1/0, t/f)"
	wantLevel    = "error, warn, info or debug"
	wantNames    = "comma-separated service names of [A-Za-z0-9_.@-]"
)

// Duration is a non-negative time.Duration written in Go syntax or as a
// bare number of milliseconds.
type Duration time.Duration

// Decode implements envconfig.Decoder.
func (d *Duration) Decode(s string) error {
	if s == "" {
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ParseDuration reads Go duration syntax ("250ms", "1.5s", "1m") or a bare
// whole number of milliseconds ("1500"). Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms < 0 || ms > math.MaxInt64/int64(time.Millisecond) {
			return 0, wantError(wantDuration)
		}
		return time.Duration(ms) * time.Millisecond, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, wantError(wantDuration)
	}
	return v, nil
}

// Path is an absolute file system path.
type Path string

// Decode implements envconfig.Decoder.
func (p *Path) Decode(s string) error {
	if s == "" {
		return nil
	}
	if !filepath.IsAbs(s) {
		return wantError(wantPath)
	}
	*p = Path(filepath.Clean(s))
	return nil
}

// InitFailure says what a failed init script (or a readiness timeout) does.
type InitFailure string

// The values of VIGIL_INIT_FAILURE.
const (
	InitStop     InitFailure = "stop"
	InitContinue InitFailure = "continue"
)

// Decode implements envconfig.Decoder.
func (f *InitFailure) Decode(s string) error {
	switch v := InitFailure(strings.ToLower(strings.TrimSpace(s))); v {
	case "":
	case InitStop, InitContinue:
		*f = v
	default:
		return wantError(wantFailure)
	}
	return nil
}

// Flag is a boolean in strconv.ParseBool's syntax.
type Flag bool

// Decode implements envconfig.Decoder.
func (f *Flag) Decode(s string) error {
	if s == "" {
		return nil
	}
	v, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return wantError(wantBool)
	}
	*f = Flag(v)
	return nil
}

// LogLevel is the least severe level of vigil's own messages that is shown.
type LogLevel slog.Level

// Decode implements envconfig.Decoder.
func (l *LogLevel) Decode(s string) error {
	levels := map[string]slog.Level{
		"error": slog.LevelError, "warn": slog.LevelWarn,
		"info": slog.LevelInfo, "debug": slog.LevelDebug,
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return nil
	}
	v, ok := levels[s]
	if !ok {
		return wantError(wantLevel)
	}
	*l = LogLevel(v)
	return nil
}

// NameList is a comma-separated list of service names; blanks around
// names and empty items are ignored.
type NameList []string

// Decode implements envconfig.Decoder.
func (n *NameList) Decode(s string) error {
	var names []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !services.ValidName(name) {
			return wantError(wantNames)
		}
		names = append(names, name)
	}
	*n = names
	return nil
}
