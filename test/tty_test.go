package test

import (
	"testing"

	"golang.org/x/sys/unix"
)

// infoLine matches the helper's "info" line: pid, pgid and tcgetpgrp(0).
const infoLine = `^info pid=(\d+) pgid=(\d+) ppid=\d+ sid=\d+ tpgid=(-?\d+) tperr=(\S+)$`

// TestForegroundGroup: the CMD leads its own process group, which becomes
// the terminal's foreground group when stdin is vigil's controlling
// terminal (so Ctrl-C reaches it, not vigil); with any other stdin it
// still starts.
func TestForegroundGroup(t *testing.T) {
	t.Parallel()
	t.Run("controlling terminal", func(t *testing.T) {
		t.Parallel()
		p := openPty(t)
		noEcho(t, p)
		v := start(t, opts{tty: p, ctty: true}, helperBin, "signals", "on", "INT", "0", "info", "ready", "wait")
		m := v.expect(infoLine)
		pid, pgid, tpgid := atoi(t, m[1]), atoi(t, m[2]), atoi(t, m[3])
		if pgid != pid {
			t.Errorf("CMD pgid = %d; want its pid %d", pgid, pid)
		}
		if tpgid != pgid {
			t.Errorf("CMD tcgetpgrp(0) = %d (%s); want its pgid %d", tpgid, m[4], pgid)
		}
		v.expect(`^ready `)
		// Ctrl-C typed on the terminal: SIGINT to its foreground group.
		if _, err := p.master.Write([]byte{3}); err != nil {
			t.Fatalf("write ^C to the pty: %v", err)
		}
		v.expect(signalLine("", unix.SIGINT))
		if got := v.wait(); got != 0 {
			t.Errorf("exit code after ^C to a CMD exiting 0 on SIGINT = %d; want 0", got)
		}
	})
	t.Run("stdin /dev/null", func(t *testing.T) {
		t.Parallel()
		v := start(t, opts{}, helperBin, "info", "exit", "0")
		m := v.expect(infoLine)
		if pid, pgid := atoi(t, m[1]), atoi(t, m[2]); pgid != pid {
			t.Errorf("CMD pgid = %d; want its pid %d", pgid, pid)
		}
		if got := v.wait(); got != 0 {
			t.Errorf("exit code = %d; want 0", got)
		}
	})
	t.Run("terminal that is not the controlling one", func(t *testing.T) {
		t.Parallel()
		p := openPty(t)
		v := start(t, opts{stdin: p.slave}, helperBin, "info", "exit", "0")
		m := v.expect(infoLine)
		if pid, pgid := atoi(t, m[1]), atoi(t, m[2]); pgid != pid {
			t.Errorf("CMD pgid = %d; want its pid %d", pgid, pid)
		}
		if got := v.wait(); got != 0 {
			t.Errorf("exit code = %d; want 0", got)
		}
	})
}

// noEcho turns off the terminal's echo, so that typed characters (^C) do
// not end up in the lines read from the master.
func noEcho(t *testing.T, p *pty) {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(p.slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatalf("get termios: %v", err)
	}
	tio.Lflag &^= unix.ECHO | unix.ECHOCTL
	if err := unix.IoctlSetTermios(int(p.slave.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatalf("set termios: %v", err)
	}
}
