package test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// collect reads vigil's stdout lines until want says it has enough, and
// returns them; it fails the test after lineTimeout without a new line.
func (v *vigil) collect(want func(lines []string) bool) []string {
	v.t.Helper()
	got := append([]string(nil), v.pending...)
	v.pending = nil
	for !want(got) {
		select {
		case l, ok := <-v.lines:
			if !ok {
				v.t.Fatalf("stdout closed after %d lines", len(got))
			}
			got = append(got, l)
		case <-time.After(lineTimeout):
			v.t.Fatalf("no new stdout line within %v; %d so far", lineTimeout, len(got))
		}
	}
	return got
}

// TestOutputManyWriters: ten services write 10 000 numbered lines each on
// both streams at full speed: every line reaches vigil's stdout or stderr
// (the one it was written to) once, whole, after its writer's name.
func TestOutputManyWriters(t *testing.T) {
	t.Parallel()
	const services, lines = 10, 10000
	tr := newSvcTree(t)
	for i := range services {
		name := fmt.Sprintf("w%d", i)
		tr.service(name, map[string]string{
			"run": shScript(fmt.Sprintf(`seq 1 %d | sed 's/^/%s out /' &
seq 1 %d | sed 's/^/%s err /' >&2 &
wait
exec sleep 1000`, lines, name, lines, name)),
		})
	}
	v := tr.start(nil)
	out := v.collect(func(l []string) bool { return len(l) >= services*lines })
	v.termNoCmd()
	checkNumbered(t, "stdout", out, "out", services, lines)
	var errs []string
	for _, l := range v.stderr() {
		if !strings.HasPrefix(l, "vigil: ") {
			errs = append(errs, l)
		}
	}
	checkNumbered(t, "stderr", errs, "err", services, lines)
}

// checkNumbered checks that lines are exactly "wI | wI STREAM N" for every
// writer I and N from 1 to n, once each.
func checkNumbered(t *testing.T, where string, lines []string, stream string, writers, n int) {
	t.Helper()
	seen := map[string]bool{}
	for _, l := range lines {
		name, rest, ok := strings.Cut(l, " | ")
		num, found := strings.CutPrefix(rest, name+" "+stream+" ")
		k, err := strconv.Atoi(num)
		if !ok || !found || err != nil || k < 1 || k > n || seen[l] {
			t.Fatalf("%s line %q: want \"wI | wI %s N\", each once", where, l, stream)
		}
		seen[l] = true
	}
	if len(seen) != writers*n {
		t.Errorf("%s: %d lines; want %d", where, len(seen), writers*n)
	}
}

// TestOutputLines: a 100 KiB line is cut in pieces of 16 KiB, each after
// the name, those after the first marked "+"; a partial last line is
// written when its writer ends, also when it is killed mid-line; '\r'
// and bytes that are not UTF-8 pass as they are; init and finish scripts
// are prefixed with their file names.
func TestOutputLines(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("big", map[string]string{
		"run":     shScript(`head -c 102400 /dev/zero | tr '\0' x; echo; exec sleep 1000`),
		"restart": "never\n",
	})
	tr.service("part", map[string]string{"run": shScript(`printf 'no newline'`), "restart": "never\n"})
	tr.service("raw", map[string]string{"run": shScript(`printf 'a\rb\377\376\n'; exec sleep 1000`)})
	tr.service("cut", map[string]string{"run": shScript(`printf 'cut short'; ` + publish("cut", "$$") + `; exec sleep 1000`)})
	tr.script(tr.init, "10-hello", shScript("echo hello from init"))
	tr.script(tr.finish, "99-bye", shScript("echo bye from finish >&2"))
	v := tr.start(nil)
	v.expectRunning(`^10-hello \| hello from init$`)
	v.expectRunning(`^part \| no newline$`)
	if got := v.expectRunning(`^raw \| (.*)$`)[1]; got != "a\rb\xff\xfe" {
		t.Errorf("raw's line = %q; want %q", got, "a\rb\xff\xfe")
	}
	pid := v.nsHostPid(atoi(t, tr.waitFile("cut")))
	if err := os.NewSyscallError("kill", sysKill(pid)); err != nil {
		t.Fatal(err)
	}
	v.expectRunning(`^cut \| cut short$`)
	pieces := v.collect(func(l []string) bool { return len(matching(l, `^big [|+] `)) >= 7 })
	var got []string
	for _, l := range matching(pieces, `^big [|+] `) {
		got = append(got, fmt.Sprintf("%s %d", l[:5], len(l)-6))
	}
	want := "big | 16384,big + 16384,big + 16384,big + 16384,big + 16384,big + 16384,big + 4096"
	if strings.Join(got, ",") != want {
		t.Errorf("pieces of the 100 KiB line: %s; want %s", strings.Join(got, ","), want)
	}
	v.termNoCmd()
	if len(matching(v.stderr(), `^99-bye \| bye from finish$`)) != 1 {
		t.Errorf("stderr: want the finish script's line, prefixed")
	}
}

// TestOutputPrefixOff: VIGIL_LOG_PREFIX=false leaves services on vigil's
// own stdout and stderr: bytes unchanged, no pipe of vigil's between.
func TestOutputPrefixOff(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.service("web", map[string]string{"run": shScript(`printf 'as is\n'
` + publish("fd1", "$(readlink /proc/$$/fd/1)") + `
` + publish("fd2", "$(readlink /proc/$$/fd/2)") + `
exec sleep 1000`)})
	v := tr.start([]string{"VIGIL_LOG_PREFIX=false"})
	v.expectRunning(`^as is$`)
	for _, fd := range []string{"1", "2"} {
		mine, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", v.vigilPid(), fd))
		if got := tr.waitFile("fd" + fd); err != nil || got != mine {
			t.Errorf("service's fd %s = %q; want vigil's own, %q (%v)", fd, got, mine, err)
		}
	}
	v.termNoCmd()
}

// TestOutputBlocked: while vigil's stdout is not read, services block on
// their pipes and vigil's memory stays bounded; once it is read again,
// every line arrives.
func TestOutputBlocked(t *testing.T) {
	t.Parallel()
	const lines = 200000 // 100-byte lines: about 20 MB
	tr := newSvcTree(t)
	for _, name := range []string{"a", "b"} {
		tr.service(name, map[string]string{
			"run": shScript(fmt.Sprintf(`seq 1 %d | sed 's/$/ %s/' | sed 's/^/%s /'; exec sleep 1000`,
				lines, strings.Repeat("x", 90), name)),
		})
	}
	v := tr.start(nil)
	// The test reads nothing now: the harness's buffer and the pipe fill,
	// and vigil's writes block.
	pid := v.vigilPid()
	var rss []int
	for range 10 {
		time.Sleep(100 * time.Millisecond) // samples of memory while blocked
		rss = append(rss, vmRSS(t, pid))
	}
	peak := 0
	for _, r := range rss {
		peak = max(peak, r)
	}
	t.Logf("vigil's RSS while its stdout is blocked: %v KiB", rss)
	if peak > 30<<10 {
		t.Errorf("vigil's RSS reached %d KiB while blocked; want it bounded (well under 30 MiB)", peak)
	}
	got := v.collect(func(l []string) bool { return len(l) >= 2*lines })
	v.termNoCmd()
	n := 0
	for _, l := range got {
		if strings.HasPrefix(l, "a | a ") || strings.HasPrefix(l, "b | b ") {
			n++
		}
	}
	if n != 2*lines {
		t.Errorf("%d lines arrived; want %d", n, 2*lines)
	}
}

// vmRSS is the resident set of pid in KiB.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return atoi(t, strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// sysKill sends SIGKILL to pid.
func sysKill(pid int) error { return unix.Kill(pid, unix.SIGKILL) }
