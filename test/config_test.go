package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// durationVars are the variables of README "Configuration" that take a duration.
var durationVars = []string{
	"VIGIL_READY_TIMEOUT",
	"VIGIL_SERVICES_GRACETIME",
	"VIGIL_FINISH_TIMEOUT",
	"VIGIL_KILL_GRACETIME",
	"VIGIL_SHUTDOWN_TIMEOUT",
}

// configRun runs vigil with env and a CMD that creates a file and exits 3;
// it returns vigil, its exit code and whether the CMD ran.
func configRun(t *testing.T, env ...string) (v *vigil, code int, ran bool) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "ran")
	v = start(t, opts{env: env}, helperBin, "touch", file, "exit", "3")
	code = v.wait()
	_, err := os.Stat(file)
	return v, code, err == nil
}

// TestConfigInvalid: an invalid value is one line on stderr naming the
// variable and the value, exit 100, and the CMD does not start.
func TestConfigInvalid(t *testing.T) {
	t.Parallel()
	type bad struct {
		name, value string
		hints       []string // words of the accepted form the message must give
	}
	var tests []bad
	for _, name := range durationVars {
		for _, value := range []string{"abc", "-5s", "1.5", "-100", "5 s"} {
			tests = append(tests, bad{name, value, nil})
		}
	}
	tests = append(tests,
		bad{"VIGIL_INIT_FAILURE", "maybe", []string{"stop", "continue"}},
		bad{"VIGIL_LOG_PREFIX", "perhaps", nil},
		bad{"VIGIL_LOG_LEVEL", "loud", []string{"error", "warn", "info", "debug"}},
	)
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			v, code, ran := configRun(t, tt.name+"="+tt.value)
			if code != 100 {
				t.Errorf("exit code = %d; want 100", code)
			}
			if ran {
				t.Errorf("CMD ran; want it not started")
			}
			lines := v.stderr()
			if len(lines) != 1 {
				t.Fatalf("stderr = %q; want exactly one line", lines)
			}
			for _, want := range append([]string{tt.name, tt.value}, tt.hints...) {
				if !strings.Contains(lines[0], want) {
					t.Errorf("stderr line %q does not contain %q", lines[0], want)
				}
			}
		})
	}
}

// TestConfigValid: the accepted forms, and the empty value (the default).
func TestConfigValid(t *testing.T) {
	t.Parallel()
	var tests []string
	for _, name := range durationVars {
		for _, value := range []string{"250ms", "1500", "0", "1.5s", ""} {
			tests = append(tests, name+"="+value)
		}
	}
	for _, value := range []string{"stop", "continue", ""} {
		tests = append(tests, "VIGIL_INIT_FAILURE="+value)
	}
	for _, value := range []string{"true", "false", "1", "0", ""} {
		tests = append(tests, "VIGIL_LOG_PREFIX="+value)
	}
	for _, value := range []string{"error", "warn", "info", "debug", ""} {
		tests = append(tests, "VIGIL_LOG_LEVEL="+value)
	}
	for _, kv := range tests {
		t.Run(kv, func(t *testing.T) {
			t.Parallel()
			_, code, ran := configRun(t, kv)
			if code != 3 || !ran {
				t.Errorf("with %s: exit code %d, CMD ran %t; want 3 (the CMD's), true", kv, code, ran)
			}
		})
	}
}

// TestConfigUnprefixedIgnored: only VIGIL_ names configure vigil; an
// application's own KILL_GRACETIME is none of its business.
func TestConfigUnprefixedIgnored(t *testing.T) {
	t.Parallel()
	tests := []string{
		"KILL_GRACETIME=abc",
		"SHUTDOWN_TIMEOUT=abc",
		"SERVICES_GRACETIME=abc",
		"READY_TIMEOUT=abc",
		"FINISH_TIMEOUT=abc",
		"LOG_LEVEL=loud",
		"LOG_PREFIX=perhaps",
		"INIT_FAILURE=maybe",
	}
	for _, kv := range tests {
		t.Run(kv, func(t *testing.T) {
			t.Parallel()
			_, code, ran := configRun(t, kv)
			if code != 3 || !ran {
				t.Errorf("with %s: exit code %d, CMD ran %t; want 3 (the CMD's), true", kv, code, ran)
			}
		})
	}
}
