package process

import (
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want unix.Signal
	}{
		{"TERM", unix.SIGTERM},
		{"SIGQUIT", unix.SIGQUIT},
		{"hup", unix.SIGHUP},
		{"sigint", unix.SIGINT},
		{"SigUsr1", unix.SIGUSR1},
		{"KILL", unix.SIGKILL},
		{"STOP", unix.SIGSTOP},
		{"WINCH", unix.SIGWINCH},
		{"IOT", unix.SIGABRT},
		{"CLD", unix.SIGCHLD},
		{"POLL", unix.SIGIO},
		{"PWR", unix.SIGPWR},
		{"1", 1},
		{"9", 9},
		{"015", 15},
		{"32", 32},
		{"64", 64},
		{"RTMIN", 34},
		{"SIGRTMIN", 34},
		{"RTMIN+0", 34},
		{"rtmin+3", 37},
		{"RTMIN+30", 64},
		{"RTMAX", 64},
		{"RTMAX-2", 62},
		{"SIGRTMAX-30", 34},
	}
	for _, tt := range tests {
		got, err := ParseSignal(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSignal(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSignalErrors(t *testing.T) {
	for _, in := range []string{
		"", "0", "65", "100", "99999999999999999999", "-9", "+15", "15.0", " TERM", "TERM\n",
		"FOO", "SIG", "SIGSIGTERM", "SIG15", "RTMIN+", "RTMIN+31", "RTMIN-1", "RTMAX+1", "RTMAX-31",
		"RTMIN+003", "RTMAX-", "RTMIN3", "TERM+1",
	} {
		if got, err := ParseSignal(in); err == nil {
			t.Errorf("ParseSignal(%q) = %d, nil; want an error", in, got)
		}
	}
}

func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"TERM", "sigquit", "9", "RTMIN+3", "RTMAX-2", "0", "65", "SIG", "rtmin+", "iot"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := ParseSignal(s)
		if err != nil {
			return
		}
		if sig < 1 || sig > 64 {
			t.Fatalf("ParseSignal(%q) = %d; want 1..64", s, sig)
		}
		if again, err := ParseSignal(strconv.Itoa(int(sig))); err != nil || again != sig {
			t.Errorf("ParseSignal(%d) = %d, %v; want %d", sig, again, err, sig)
		}
	})
}
