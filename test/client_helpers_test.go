package test

// Black-box tests of the client's helpers that need no running vigil
// (README "The client"): with-contenv's snapshot, setuser, log.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestClientWithContenv: with-contenv gives a command the environment init
// scripts left in $VIGIL_RUN_DIR/env (set, changed, unset), from outside
// vigil as `docker exec` would.
func TestClientWithContenv(t *testing.T) {
	t.Parallel()
	tr := newSvcTree(t)
	tr.script(tr.init, "10-env", shScript(`echo from-init > "$VIGIL_RUN_DIR/env/FROM_INIT"
echo changed > "$VIGIL_RUN_DIR/env/CHANGED"
: > "$VIGIL_RUN_DIR/env/REMOVED"`))
	v := tr.start([]string{"CHANGED=original", "REMOVED=present", "KEPT=kept"})
	tr.waitControl()
	poll(t, "boot to be done (vigil check)", func() (bool, string) {
		r := tr.client("check")
		return r.code == 0, r.String()
	})
	env := tr.clientEnv("CHANGED=client", "REMOVED=client")
	r := runClient(t, env, nil, "with-contenv", "sh", "-c", `echo "${FROM_INIT-unset} ${CHANGED-unset} ${REMOVED-unset} ${KEPT-unset}"`)
	if want := "from-init changed unset kept\n"; r.code != 0 || r.stdout != want {
		t.Errorf("%v\nwant exit 0 and %q", r, want)
	}
	if r := runClient(t, env, nil, "with-contenv", "sh", "-c", "exit 5"); r.code != 5 {
		t.Errorf("%v\nwant the command's exit code 5", r)
	}
	if r := runClient(t, env, nil, "with-contenv", "/no/such/command"); r.code != 127 {
		t.Errorf("%v\nwant 127 (not found)", r)
	}
	v.termNoCmd()
}

// TestClientSetuser: setuser runs a command as a user, with its uid, gid,
// HOME, USER and LOGNAME from /etc/passwd; no vigil needed.
func TestClientSetuser(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("vigil setuser to another user needs root")
	}
	var home, gid string
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Skipf("no /etc/passwd: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Split(l, ":"); len(f) >= 7 && f[0] == "nobody" {
			gid, home = f[3], f[5]
		}
	}
	if home == "" {
		t.Skip("no user nobody in /etc/passwd")
	}
	env := clientEnv("HOME=/root", "USER=root", "LOGNAME=root")
	script := `id -u; id -g; echo $HOME $USER $LOGNAME`
	for _, user := range []string{"nobody", "65534"} {
		r := runClient(t, env, nil, "setuser", user, "sh", "-c", script)
		want := fmt.Sprintf("65534\n%s\n%s nobody nobody\n", gid, home)
		if r.code != 0 || r.stdout != want {
			t.Errorf("%v\nwant exit 0 and %q", r, want)
		}
	}
	if r := runClient(t, env, nil, "setuser", "no-such-user", "true"); r.code != 1 || !strings.Contains(r.stderr, "no-such-user") {
		t.Errorf("%v\nwant exit 1 naming the user", r)
	}
}

// TestClientLog: vigil log writes stdin to DIR/current line by line,
// rotates at -s keeping -n archives, stamps lines with -t.
func TestClientLog(t *testing.T) {
	t.Parallel()
	env := clientEnv()

	t.Run("Current", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "logs") // created by vigil log
		r := runClient(t, env, strings.NewReader("one\ntwo\nno newline"), "log", dir)
		if r.code != 0 {
			t.Fatalf("%v\nwant exit 0", r)
		}
		b, err := os.ReadFile(filepath.Join(dir, "current"))
		if want := "one\ntwo\nno newline\n"; err != nil || string(b) != want {
			t.Errorf("%s/current = %q (%v); want %q", dir, b, err, want)
		}
	})

	t.Run("AtOnce", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan clientResult, 1)
		go func() {
			r, err := runClientErr(env, pr, "log", dir)
			if err != nil {
				r.code, r.stderr = -1, err.Error()
			}
			done <- r
		}()
		defer pw.Close()
		pw.Write([]byte("first line\n"))
		current := filepath.Join(dir, "current")
		poll(t, "the line in current while stdin is open", func() (bool, string) {
			b, _ := os.ReadFile(current)
			return string(b) == "first line\n", fmt.Sprintf("current = %q", b)
		})
		pw.Close()
		pr.Close()
		if r := <-done; r.code != 0 {
			t.Errorf("%v\nwant exit 0 at EOF", r)
		}
	})

	t.Run("Rotate", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		var in strings.Builder
		var sent []string
		for i := range 40 {
			l := fmt.Sprintf("line %02d %s", i, strings.Repeat("x", 20)) // 28 bytes with its newline
			sent = append(sent, l)
			in.WriteString(l + "\n")
		}
		r := runClient(t, env, strings.NewReader(in.String()), "log", "-s", "100", "-n", "2", dir)
		if r.code != 0 {
			t.Fatalf("%v\nwant exit 0", r)
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var archives []string
		for _, e := range ents {
			switch {
			case e.Name() == "current":
			case strings.HasPrefix(e.Name(), "@") && strings.HasSuffix(e.Name(), ".s"):
				archives = append(archives, e.Name())
			default:
				t.Errorf("%s: unexpected file %s", dir, e.Name())
			}
		}
		if len(archives) != 2 {
			t.Errorf("%s: archives %v; want 2 (-n 2)", dir, archives)
		}
		sort.Strings(archives) // names sort in time order
		var kept []string
		for _, f := range append(archives, "current") {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > 100 {
				t.Errorf("%s: %d bytes; want at most 100 (-s 100)", f, len(b))
			}
			kept = append(kept, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
		}
		// What is kept is the end of what was sent, in order.
		if want := sent[len(sent)-len(kept):]; strings.Join(kept, "\n") != strings.Join(want, "\n") || len(kept) < 3 {
			t.Errorf("archives %v then current hold %q; want the last lines sent, in order", archives, kept)
		}
	})

	t.Run("Timestamps", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		before := time.Now()
		r := runClient(t, env, strings.NewReader("alpha\nbeta gamma\n"), "log", "-t", dir)
		after := time.Now()
		if r.code != 0 {
			t.Fatalf("%v\nwant exit 0", r)
		}
		b, err := os.ReadFile(filepath.Join(dir, "current"))
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (.*)$`)
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		want := []string{"alpha", "beta gamma"}
		if len(lines) != len(want) {
			t.Fatalf("current = %q; want %d lines", b, len(want))
		}
		for i, l := range lines {
			m := re.FindStringSubmatch(l)
			if m == nil || m[2] != want[i] {
				t.Errorf("line %q; want an ISO 8601 time stamp, a blank, then %q", l, want[i])
				continue
			}
			ts, err := time.Parse(time.RFC3339Nano, m[1])
			if err != nil || ts.Before(before.Add(-time.Second)) || ts.After(after.Add(time.Second)) {
				t.Errorf("line %q: time %v (%v); want between %v and %v", l, ts, err, before, after)
			}
		}
	})
}
