package boot

import (
	"io"
	"reflect"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		cmd  []string
		code int
		done bool
	}{
		{nil, nil, 0, false},
		{[]string{"sh", "-c", "exit 3"}, []string{"sh", "-c", "exit 3"}, 0, false},
		{[]string{"--", "sh", "--help"}, []string{"sh", "--help"}, 0, false},
		{[]string{"--", "--help"}, []string{"--help"}, 0, false},
		{[]string{"sh", "--help"}, []string{"sh", "--help"}, 0, false},
		{[]string{"--"}, []string{}, 0, false},
		{[]string{"--help"}, nil, exitOK, true},
		{[]string{"--version", "sh"}, nil, exitOK, true},
		{[]string{"-x", "sh"}, nil, exitConfig, true},
	}
	for _, tt := range tests {
		cmd, code, done := parseArgs(tt.args, io.Discard, io.Discard)
		if !reflect.DeepEqual(cmd, tt.cmd) || code != tt.code || done != tt.done {
			t.Errorf("parseArgs(%q) = %q, %d, %v; want %q, %d, %v", tt.args, cmd, code, done, tt.cmd, tt.code, tt.done)
		}
	}
}
