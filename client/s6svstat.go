package client

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-init/vigil/control"
	"github.com/vigil-init/vigil/execline"
	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

const svstatUsage = "s6-svstat [ -uwNrpgest | -o up,wantedup,normallyup,ready,paused,pid,pgid,exitcode,signal,signum,updownsince,readysince,updownfor,readyfor ] [ -n ] servicedir"

// svstatLetters are s6-svstat's one-letter fields.
var svstatLetters = map[byte]string{
	'u': "up", 'w': "wantedup", 'N': "normallyup", 'r': "ready", 'p': "pid",
	'g': "pgid", 'e': "exitcode", 's': "signal", 't': "updownfor",
}

// svstatFields print each field of s6-svstat -o from a service's state.
var svstatFields = map[string]func(s6State) string{
	"up":          func(s s6State) string { return strconv.FormatBool(s.up) },
	"wantedup":    func(s s6State) string { return strconv.FormatBool(s.want) },
	"normallyup":  func(s s6State) string { return strconv.FormatBool(s.normallyUp) },
	"ready":       func(s s6State) string { return strconv.FormatBool(s.up && s.ready) },
	"paused":      func(s s6State) string { return "false" },
	"pid":         func(s s6State) string { return strconv.Itoa(s.pid) },
	"pgid":        func(s s6State) string { return strconv.Itoa(s.pid) }, // each service leads its group
	"exitcode":    func(s s6State) string { return strconv.Itoa(s.exitCode) },
	"signal":      func(s s6State) string { return s.signalName() },
	"signum":      func(s s6State) string { return strconv.Itoa(s.signum) },
	"updownsince": func(s s6State) string { return tai64n(s.now.Add(-s.since)) },
	"readysince":  func(s s6State) string { return tai64n(s.now.Add(-s.readySince)) },
	"updownfor":   func(s s6State) string { return strconv.FormatInt(int64(s.since/time.Second), 10) },
	"readyfor":    func(s s6State) string { return strconv.FormatInt(int64(s.readySince/time.Second), 10) },
}

// svstatArgs is an s6-svstat command line, read.
type svstatArgs struct {
	fields  []string // in order; none: the human line
	numeric bool     // -n: a signal as its number in the human line
	dir     string
}

func parseSvstat(args []string) (svstatArgs, error) {
	var a svstatArgs
	opts, rest, err := execline.Getopt(args, "no:uwNrpgest")
	if err != nil {
		return a, err
	}
	for _, o := range opts {
		switch o.Letter {
		case 'n':
			a.numeric = true
		case 'o':
			for _, f := range strings.Split(o.Arg, ",") {
				if svstatFields[f] == nil {
					return a, fmt.Errorf("invalid option field: %s", f)
				}
				a.fields = append(a.fields, f)
			}
		default:
			a.fields = append(a.fields, svstatLetters[o.Letter])
		}
	}
	if len(rest) == 0 {
		return a, errors.New("no service directory given")
	}
	a.dir = rest[0] // s6-svstat reads one; the rest is ignored, as s6 does
	return a, nil
}

// svstat is s6-svstat: the human line or the fields asked for, of one
// service. Exit 0, 1 when vigil has no such service or cannot be reached
// (s6: no supervisor running), 100 usage. paused is always false: vigil
// does not track SIGSTOP.
func (t *tool) svstat() int {
	a, err := parseSvstat(t.args)
	if err != nil {
		return t.usage(err, svstatUsage)
	}
	names, err := t.serviceNames([]string{a.dir})
	if err != nil {
		return t.usage(err, svstatUsage)
	}
	sts, err := t.status(names)
	if err != nil || len(sts) != 1 {
		return t.fatal(1, "unable to read status for %s: %v", a.dir, err)
	}
	s := toS6State(sts[0], time.Now())
	if len(a.fields) == 0 {
		fmt.Fprintln(t.stdout, s.human(a.numeric))
		return 0
	}
	out := make([]string, len(a.fields))
	for i, f := range a.fields {
		out[i] = svstatFields[f](s)
	}
	fmt.Fprintln(t.stdout, strings.Join(out, " "))
	return 0
}

// s6State is a service's status as s6-supervise would keep it.
type s6State struct {
	up         bool // run runs
	ready      bool // up: ready; down: done stopping (no finish, no orphans left), ready to start
	want       bool
	normallyUp bool
	pid        int // -1 when down
	exitCode   int // -1 when up or killed by a signal; 0 before the first exit
	signum     int // -1 when up or not killed by a signal
	since      time.Duration
	readySince time.Duration
	now        time.Time
}

// toS6State reads a service's vigil status as s6 state. Stopping with no
// pid (what run left is being stopped) and finishing are s6's "finishing":
// down and not ready.
func toS6State(st control.Service, now time.Time) s6State {
	s := s6State{
		up: st.Pid != 0, want: st.Wanted, normallyUp: st.NormallyUp,
		pid: -1, exitCode: -1, signum: -1, now: now,
		since:      time.Duration(st.SinceMs) * time.Millisecond,
		readySince: time.Duration(st.ReadyMs) * time.Millisecond,
	}
	switch {
	case s.up:
		s.pid, s.ready = st.Pid, st.Ready
	case st.Signal != 0:
		s.signum, s.ready = st.Signal, st.State != "stopping" && st.State != "finishing"
	default:
		s.exitCode, s.ready = max(st.ExitCode, 0), st.State != "stopping" && st.State != "finishing"
	}
	return s
}

func (s s6State) signalName() string {
	if s.signum < 0 {
		return "NA"
	}
	return process.SignalName(unix.Signal(s.signum))
}

// human is s6-svstat's line: "up (pid 123) 45 seconds, ready 44 seconds",
// "down (exitcode 3) 0 seconds, want up, ready 0 seconds", "down (signal
// SIGTERM) 2 seconds, normally up, ready 2 seconds"; "normally …" and
// "want …" only where they differ from the state, as s6 writes them.
func (s s6State) human(numeric bool) string {
	var b strings.Builder
	switch {
	case s.up:
		fmt.Fprintf(&b, "up (pid %d) ", s.pid)
	case s.signum >= 0 && numeric:
		fmt.Fprintf(&b, "down (signal %d) ", s.signum)
	case s.signum >= 0:
		fmt.Fprintf(&b, "down (signal %s) ", s.signalName())
	default:
		fmt.Fprintf(&b, "down (exitcode %d) ", s.exitCode)
	}
	fmt.Fprintf(&b, "%d seconds", s.since/time.Second)
	switch {
	case s.up && !s.normallyUp:
		b.WriteString(", normally down")
	case !s.up && s.normallyUp:
		b.WriteString(", normally up")
	}
	switch {
	case !s.up && s.want:
		b.WriteString(", want up")
	case s.up && !s.want:
		b.WriteString(", want down")
	}
	if s.ready {
		fmt.Fprintf(&b, ", ready %d seconds", s.readySince/time.Second)
	}
	return b.String()
}

// tai64n is t as an external TAI64N label, "@" and 24 hex digits, as
// skalibs writes it: 2^62 + 10 + the Unix seconds (skalibs' default clock
// counts no leap seconds), then the nanoseconds.
func tai64n(t time.Time) string {
	return fmt.Sprintf("@%016x%08x", uint64(1)<<62+10+uint64(t.Unix()), t.Nanosecond())
}
