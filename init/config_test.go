package boot

import (
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// allVariables are the VIGIL_* names of README "Configuration", cleared before each case
// so that the environment of the test run cannot leak in.
var allVariables = []string{
	"SERVICES_DIR", "INIT_DIR", "FINISH_DIR", "RUN_DIR", "INIT_FAILURE",
	"READY_TIMEOUT", "SERVICES_GRACETIME", "FINISH_TIMEOUT", "KILL_GRACETIME",
	"SHUTDOWN_TIMEOUT", "DISABLE", "LOG_PREFIX", "LOG_LEVEL", "S6_OVERLAY_DIR", "S6_RUN_DIR",
}

func clearEnv(t *testing.T) {
	for _, name := range allVariables {
		t.Setenv("VIGIL_"+name, "")
		t.Setenv(name, "")
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		edit func(*Config)
	}{
		{"defaults", nil, func(*Config) {}},
		{"empty means default", map[string]string{"VIGIL_KILL_GRACETIME": "", "VIGIL_SERVICES_DIR": ""}, func(*Config) {}},
		{"every variable", map[string]string{
			"VIGIL_SERVICES_DIR":       "/s",
			"VIGIL_INIT_DIR":           "/i/",
			"VIGIL_FINISH_DIR":         "/f",
			"VIGIL_RUN_DIR":            "/r",
			"VIGIL_INIT_FAILURE":       "continue",
			"VIGIL_READY_TIMEOUT":      "1.5s",
			"VIGIL_SERVICES_GRACETIME": "250",
			"VIGIL_FINISH_TIMEOUT":     "2s",
			"VIGIL_KILL_GRACETIME":     "0",
			"VIGIL_SHUTDOWN_TIMEOUT":   "1m",
			"VIGIL_DISABLE":            "web, db,,cron@1",
			"VIGIL_LOG_PREFIX":         "false",
			"VIGIL_LOG_LEVEL":          "DEBUG",
		}, func(c *Config) {
			c.ServicesDir, c.InitDir, c.FinishDir, c.RunDir = "/s", "/i", "/f", "/r"
			c.InitFailure = InitContinue
			c.ReadyTimeout = Duration(1500 * time.Millisecond)
			c.ServicesGracetime = Duration(250 * time.Millisecond)
			c.FinishTimeout = Duration(2 * time.Second)
			c.KillGracetime = 0
			c.ShutdownTimeout = Duration(time.Minute)
			c.Disable = NameList{"web", "db", "cron@1"}
			c.LogPrefix = false
			c.LogLevel = LogLevel(slog.LevelDebug)
		}},
		{"unprefixed names are not read", map[string]string{
			"KILL_GRACETIME": "abc", "SHUTDOWN_TIMEOUT": "abc", "LOG_LEVEL": "loud",
			"SERVICES_DIR": "/elsewhere", "DISABLE": "!",
		}, func(*Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			want := defaultConfig()
			tt.edit(&want)
			got, err := loadConfig()
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("loadConfig() = %+v, %v; want %+v, nil", got, err, want)
			}
		})
	}
}

func TestLoadConfigInvalid(t *testing.T) {
	tests := []struct {
		variable, value, want string
	}{
		{"VIGIL_KILL_GRACETIME", "abc", wantDuration},
		{"VIGIL_SHUTDOWN_TIMEOUT", "-5s", wantDuration},
		{"VIGIL_READY_TIMEOUT", "1.5", wantDuration},
		{"VIGIL_SERVICES_GRACETIME", "-1", wantDuration},
		{"VIGIL_FINISH_TIMEOUT", "9999999999999999999", wantDuration},
		{"VIGIL_INIT_FAILURE", "maybe", wantFailure},
		{"VIGIL_LOG_PREFIX", "perhaps", wantBool},
		{"VIGIL_LOG_LEVEL", "loud", wantLevel},
		{"VIGIL_SERVICES_DIR", "etc/services.d", wantPath},
		{"VIGIL_RUN_DIR", "run", wantPath},
		{"VIGIL_DISABLE", "web,no/slash", wantNames},
	}
	for _, tt := range tests {
		t.Run(tt.variable+"="+tt.value, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(tt.variable, tt.value)
			_, err := loadConfig()
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("loadConfig() error = %v; want a *ConfigError", err)
			}
			want := ConfigError{Variable: tt.variable, Value: tt.value, Want: tt.want}
			if *ce != want {
				t.Errorf("loadConfig() error = %+v; want %+v", *ce, want)
			}
			if msg := ce.Error(); !strings.Contains(msg, tt.variable) || !strings.Contains(msg, tt.value) {
				t.Errorf("Error() = %q; want the variable and the value in it", msg)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"1500", 1500 * time.Millisecond, true},
		{" 20 ", 20 * time.Millisecond, true},
		{"250ms", 250 * time.Millisecond, true},
		{"1.5s", 1500 * time.Millisecond, true},
		{"1m30s", 90 * time.Second, true},
		{"0s", 0, true},
		{"", 0, false},
		{"abc", 0, false},
		{"1.5", 0, false},
		{"-1", 0, false},
		{"-1s", 0, false},
		{"10x", 0, false},
		{"9223372036855", 0, false}, // milliseconds that overflow a Duration
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "1500", "250ms", "1.5s", "-1", "abc", "1h2m3.5s", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if d != 0 {
				t.Errorf("ParseDuration(%q) = %v, %v; want 0 with an error", s, d, err)
			}
			return
		}
		if d < 0 {
			t.Errorf("ParseDuration(%q) = %v; want a non-negative duration", s, d)
		}
	})
}
