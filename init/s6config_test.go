package boot

import (
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"
)

var allS6Variables = []string{
	"S6_KILL_GRACETIME", "S6_SERVICES_GRACETIME", "S6_KILL_FINISH_MAXTIME",
	"S6_CMD_WAIT_FOR_SERVICES_MAXTIME", "S6_BEHAVIOUR_IF_STAGE2_FAILS", "S6_VERBOSITY",
	"S6_RUNTIME_PROFILE", "S6_RUNTIME_BUNDLEDIR", "S6_CMD_ARG0", "S6_STAGE2_HOOK", "S6_SYNC_DISKS",
	"S6_KEEP_ENV", "S6_LOGGING",
}

// TestLoadS6: an S6_ variable fills in its VIGIL_ counterpart when that is
// unset, and never wins over it; the others are taken or ignored.
func TestLoadS6(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		edit    func(*Config)
		ignored []string
	}{
		{"none", nil, func(*Config) {}, nil},
		{"every mapped one", map[string]string{
			"S6_KILL_GRACETIME": "500", "S6_SERVICES_GRACETIME": "15000", "S6_KILL_FINISH_MAXTIME": "300000",
			"S6_CMD_WAIT_FOR_SERVICES_MAXTIME": "0", "S6_BEHAVIOUR_IF_STAGE2_FAILS": "1", "S6_VERBOSITY": "5",
		}, func(c *Config) {
			c.KillGracetime = Duration(500 * time.Millisecond)
			c.ServicesGracetime = Duration(15 * time.Second)
			c.FinishTimeout = Duration(300 * time.Second)
			c.ReadyTimeout = 0
			c.InitFailure = InitContinue
			c.LogLevel = LogLevel(slog.LevelDebug)
		}, nil},
		{"stage2 fails 2 is stop; verbosity 1 is warn", map[string]string{
			"S6_BEHAVIOUR_IF_STAGE2_FAILS": "2", "S6_VERBOSITY": "1", "S6_CMD_WAIT_FOR_SERVICES_MAXTIME": "30000",
		}, func(c *Config) {
			c.InitFailure, c.LogLevel, c.ReadyTimeout = InitStop, LogLevel(slog.LevelWarn), Duration(30*time.Second)
		}, nil},
		{"VIGIL_ wins", map[string]string{
			"S6_KILL_GRACETIME": "500", "VIGIL_KILL_GRACETIME": "2s",
			"S6_BEHAVIOUR_IF_STAGE2_FAILS": "0", "VIGIL_INIT_FAILURE": "stop",
		}, func(c *Config) { c.KillGracetime = Duration(2 * time.Second) }, nil},
		{"words", map[string]string{
			"S6_CMD_ARG0": "/scripts/run.sh --flag", "S6_STAGE2_HOOK": "/docker-mods  a",
			"S6_RUNTIME_BUNDLEDIR": "/etc/bundles", "S6_SYNC_DISKS": "1",
		}, func(c *Config) {
			c.cmdArg0, c.stage2Hook = []string{"/scripts/run.sh", "--flag"}, []string{"/docker-mods", "a"}
			c.bundleDir, c.syncDisks = "/etc/bundles", true
		}, nil},
		{"profile", map[string]string{"S6_RUNTIME_PROFILE": "dev", "VIGIL_INIT_DIR": "/mine"}, func(c *Config) {
			c.ServicesDir, c.FinishDir = "/etc/cont-profile.d/dev/services.d", "/etc/cont-profile.d/dev/cont-finish.d"
			c.S6OverlayDir, c.InitDir = "/etc/cont-profile.d/dev/s6-overlay", "/mine"
		}, nil},
		{"ignored", map[string]string{"S6_KEEP_ENV": "1", "S6_LOGGING": "1"}, func(*Config) {}, []string{"S6_KEEP_ENV", "S6_LOGGING"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for _, name := range allS6Variables {
				t.Setenv(name, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			want := defaultConfig()
			tt.edit(&want)
			got, err := loadConfig()
			slices.Sort(got.s6Ignored)
			want.s6Ignored = tt.ignored
			if err != nil || !equalConfig(got, want) {
				t.Errorf("loadConfig() = %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

func equalConfig(a, b Config) bool {
	return slices.Equal(a.cmdArg0, b.cmdArg0) && slices.Equal(a.stage2Hook, b.stage2Hook) &&
		slices.Equal(a.s6Ignored, b.s6Ignored) && slices.Equal(a.Disable, b.Disable) &&
		a.ServicesDir == b.ServicesDir && a.InitDir == b.InitDir && a.FinishDir == b.FinishDir &&
		a.RunDir == b.RunDir && a.S6OverlayDir == b.S6OverlayDir && a.S6RunDir == b.S6RunDir &&
		a.InitFailure == b.InitFailure && a.ReadyTimeout == b.ReadyTimeout &&
		a.ServicesGracetime == b.ServicesGracetime && a.FinishTimeout == b.FinishTimeout &&
		a.KillGracetime == b.KillGracetime && a.ShutdownTimeout == b.ShutdownTimeout &&
		a.LogPrefix == b.LogPrefix && a.LogLevel == b.LogLevel &&
		a.bundleDir == b.bundleDir && a.syncDisks == b.syncDisks
}

func TestLoadS6Invalid(t *testing.T) {
	for name, value := range map[string]string{
		"S6_KILL_GRACETIME": "3s", "S6_BEHAVIOUR_IF_STAGE2_FAILS": "3", "S6_VERBOSITY": "9", "S6_SYNC_DISKS": "yes",
	} {
		t.Run(name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(name, value)
			_, err := loadConfig()
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Variable != name || ce.Value != value {
				t.Errorf("loadConfig() with %s=%s: %v; want a ConfigError naming it", name, value, err)
			}
		})
	}
}
