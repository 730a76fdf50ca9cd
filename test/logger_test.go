package test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLogger: a logger gets its producer's stdout, and at shutdown what the
// producer writes as it stops.
func TestLogger(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{
		"run": shScript(`trap 'echo bye; exit 0' TERM
echo one
echo two
while :; do sleep 1; done`),
		"log/run": shScript(`echo "$1" > "$OUT/logger-arg"; exec cat >> "$OUT/log"`),
	})
	v := tr.start(nil)
	tr.waitLines("log", 2)
	v.termNoCmd()
	if got, want := tr.lines("log"), []string{"one", "two", "bye"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("logger wrote %q; want %q", got, want)
	}
	t.Logf("logger's $1: %q", tr.read("logger-arg"))
}

// TestLoggerProducerRestarts: the producer's restarts do not end its
// logger's input (vigil holds the write end): one logger reads them all.
func TestLoggerProducerRestarts(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{
		"run":     shScript(`echo "run $$"; exit 1`),
		"log/run": shScript(`echo $$ >> "$OUT/logger-pids"; exec cat >> "$OUT/log"`),
	})
	v := tr.start(nil)
	tr.waitLines("log", 3)
	v.noZombieChild()
	v.termNoCmd()
	if got := tr.lines("logger-pids"); len(got) != 1 {
		t.Errorf("logger started %d times (pids %q) while its producer restarted; want once", len(got), got)
	}
	got := tr.lines("log")
	for i, l := range got {
		if !strings.HasPrefix(l, "run ") || indexOf(got[:i], l) >= 0 {
			t.Errorf("log = %q; want a line per run, each once", got)
			break
		}
	}
}

// loggerLines is how many numbered lines the producer writes.
const loggerLines = 20000

// loggerMarks are the lines after which the logger waits to be killed.
var loggerMarks = []int{5000, 12000}

// TestLoggerKilledLosesNothing: the logger is SIGKILLed twice while its
// producer writes 20000 numbered lines; the logger's restarts get every
// line exactly once, in order: the pipe between them is vigil's, it
// outlives each logger with what is buffered in it, and the producer
// neither gets EPIPE nor starts over.
//
// A logger can only lose what it has read and not yet written: that is its
// own loss, not vigil's. So this logger reads and writes one line at a
// time (dash's read takes one byte at a time from a pipe, never more than
// the line), and at each mark it stops reading and waits to be killed;
// the test kills it then, with the producer blocked on a full pipe.
func TestLoggerKilledLosesNothing(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	var marks []string
	for _, m := range loggerMarks {
		marks = append(marks, strconv.Itoa(m))
	}
	tr.service("web", map[string]string{
		"run": shScript(fmt.Sprintf("seq 1 %d\nexec sleep 1000", loggerLines)),
		"log/run": shScript(`exec >> "$OUT/log"
while IFS= read -r l; do
	printf '%s\n' "$l"
	case $l in ` + strings.Join(marks, "|") + `)
		if [ ! -e "$OUT/mark-$l" ]; then
			echo $$ > "$OUT/mark.tmp"; mv "$OUT/mark.tmp" "$OUT/mark-$l"
			sleep 1000
		fi;;
	esac
done`),
	})
	v := tr.start(nil)
	var killed []int
	for _, mark := range marks {
		nsPid := atoi(t, tr.waitFile("mark-"+mark))
		host := v.nsHostPid(nsPid)
		poll(t, "lines buffered in the logger's pipe", func() (bool, string) {
			n, err := pipeBuffered(host)
			return n > 0, fmt.Sprintf("%d bytes, %v", n, err)
		})
		if err := unix.Kill(-host, unix.SIGKILL); err != nil {
			t.Fatalf("kill logger's group %d: %v", host, err)
		}
		killed = append(killed, nsPid)
	}
	got := tr.waitLines("log", loggerLines)
	v.noZombieChild()
	v.termNoCmd()
	got = tr.lines("log")
	t.Logf("logger killed at lines %v (pids %v); %d lines logged", loggerMarks, killed, len(got))
	if killed[0] == killed[1] {
		t.Errorf("the logger killed at both marks has pid %d both times; want a restarted one", killed[0])
	}
	if n := len(matching(v.stderr(), logLine("service started", "web/log"))); n != 3 {
		t.Errorf("logger starts = %d; want 3", n)
	}
	for i, l := range got {
		if l != strconv.Itoa(i+1) {
			t.Fatalf("line %d of the log = %q; want %d (every line once, in order; %d lines in all)", i+1, l, i+1, len(got))
		}
	}
	if len(got) != loggerLines {
		t.Errorf("log has %d lines; want %d", len(got), loggerLines)
	}
}

// pipeBuffered returns how many bytes wait in the pipe that is stdin of
// pid, opened anew through /proc (reading nothing from it).
func pipeBuffered(pid int) (int, error) {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/0", pid), os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return unix.IoctlGetInt(int(f.Fd()), unix.TIOCINQ) // FIONREAD
}

// TestLoggerDrainNoLimit: a logger whose timeout-kill is 0 ("no limit", as
// in s6) reads its pipe to the end at shutdown, however long it takes; it
// never gets its down-signal. This logger dies on TERM and dawdles before
// it reads the bulk of its input, so a TERM at the start of the shutdown
// would lose everything it had not read.
func TestLoggerDrainNoLimit(t *testing.T) {
	t.Parallel()
	const n = 3000
	tr := newSvcTree(t)
	tr.service("web", map[string]string{
		"run": shScript(fmt.Sprintf("seq 1 %d\nexec sleep 1000", n)),
		"log/run": shScript(`read -r first; echo "$first" > "$OUT/log"; : > "$OUT/started"
sleep 2
exec cat >> "$OUT/log"`),
		"log/timeout-kill": "0\n",
	})
	v := tr.start(nil)
	tr.waitFile("started")
	v.termNoCmd()
	got := tr.lines("log")
	if len(got) != n || got[0] != "1" || got[n-1] != strconv.Itoa(n) {
		t.Errorf("logger wrote %d lines (first %q); want all %d, in order", len(got), got[:min(len(got), 1)], n)
	}
	if stopped := matching(v.stderr(), logLine("service stopping", "web/log")); len(stopped) > 0 {
		t.Errorf("the logger got its down-signal: %q; want none with timeout-kill 0", stopped)
	}
}

// TestVigilLogRestarts: `vigil log -t` restarted 6 times (SIGTERM, as
// `vigil restart` does it) and killed twice (SIGKILL) while its producer
// writes 30 000 numbered lines. After each TERM nothing is lost: it writes
// what it has read and leaves the rest in the pipe, which vigil holds, for
// the next logger. After a KILL at most what it had read and not written
// can be lost: the test reports how much that was, and fails beyond one
// read (16 KiB). The producer writes in 8 chunks of 3750 lines (about 20
// KiB, more than one read), each while the logger is stopped (SIGSTOP),
// so each TERM or KILL finds data in the pipe and, often, a line cut by a
// read.
func TestVigilLogRestarts(t *testing.T) {
	t.Parallel()
	const chunks, chunk = 8, 3750
	tr := newSvcTree(t)
	tr.service("web", map[string]string{
		"run": shScript(fmt.Sprintf(`k=0
while [ $k -lt %d ]; do
	while [ ! -e "$OUT/go-$k" ]; do sleep 0.01; done
	seq $((k*%d+1)) $((k*%d+%d))
	: > "$OUT/wrote-$k"
	k=$((k+1))
done
exec sleep 1000`, chunks, chunk, chunk, chunk)),
		"log/run": shScript(publish("logger", "$$") + "\nexec " + vigilBin + ` log -t "$OUT/logs"`),
	})
	v := tr.start(nil)
	events := []string{"TERM", "TERM", "KILL", "TERM", "TERM", "KILL", "TERM", "TERM"}
	var lost []int
	for k, ev := range events {
		pid := atoi(t, tr.waitFile("logger"))
		host := v.nsHostPid(pid)
		poll(t, "the logger to catch up", func() (bool, string) {
			n, err := pipeBuffered(host)
			return n == 0 && err == nil, fmt.Sprintf("%d bytes, %v", n, err)
		})
		if err := unix.Kill(host, unix.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		before := len(tr.lines("logs/current"))
		os.Remove(tr.path("logger"))
		tr.script(tr.out, fmt.Sprintf("go-%d", k), "")
		tr.waitFile(fmt.Sprintf("wrote-%d", k))
		poll(t, "the chunk waiting in the logger's pipe", func() (bool, string) {
			n, err := pipeBuffered(host)
			return n > 0, fmt.Sprintf("%d bytes, %v", n, err)
		})
		if ev == "TERM" {
			tr.clientWant(0, "restart", "web/log")
			continue
		}
		if err := unix.Kill(host, unix.SIGKILL); err != nil {
			t.Fatal(err)
		}
		lost = append(lost, before)
	}
	poll(t, "the last line logged", func() (bool, string) {
		l := tr.lines("logs/current")
		return len(l) > 0 && strings.HasSuffix(l[len(l)-1], " "+strconv.Itoa(chunks*chunk)), fmt.Sprintf("%d lines", len(l))
	})
	v.termNoCmd()
	got := tr.lines("logs/current")
	seen := make(map[int]bool, len(got))
	for _, l := range got {
		stamp, num, ok := strings.Cut(l, " ")
		n, err := strconv.Atoi(num)
		if !ok || len(stamp) != len("2006-01-02T15:04:05.000000Z") || err != nil || seen[n] {
			t.Fatalf("line %q: want one time stamp and a number seen once", l)
		}
		seen[n] = true
	}
	missing := 0
	for n := 1; n <= chunks*chunk; n++ {
		if !seen[n] {
			missing++
		}
	}
	t.Logf("%d lines logged, %d missing after %d KILLs (lines logged before each: %v)", len(got), missing, len(lost), lost)
	if missing*6 > 2*16<<10 { // lines of ≤ 5 digits and a newline
		t.Errorf("%d lines lost; want at most what two reads of 16 KiB hold", missing)
	}
	if n := len(matching(v.stderr(), logLine("service started", "web/log"))); n != 9 {
		t.Errorf("logger starts = %d; want 9", n)
	}
}
