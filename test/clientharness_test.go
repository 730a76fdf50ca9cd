package test

// Helpers for the client tests: run `vigil COMMAND …` (client mode: vigilBin
// is named vigil) against a vigil running as PID 1 on a svcTree, read its
// status, wait for a service's state.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// clientTimeout bounds one run of the client: longer than the 30 s a
// waiting command waits by default.
const clientTimeout = 60 * time.Second

// clientResult is what one run of the client did.
type clientResult struct {
	prog           string // "vigil", or the helper name it ran as
	args           []string
	stdout, stderr string
	code           int
	took           time.Duration
}

func (r clientResult) String() string {
	return fmt.Sprintf("%s %s: exit %d after %v\nstdout:\n%s\nstderr:\n%s",
		r.prog, strings.Join(r.args, " "), r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// clientEnv is the client's environment: the test's without any VIGIL_
// variable, then env.
func clientEnv(env ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIGIL_") {
			out = append(out, kv)
		}
	}
	return append(out, env...)
}

// runClientErr runs vigilBin (client mode) with args. It returns an error
// only when the client could not run or did not end within clientTimeout;
// it does not touch t, so goroutines may call it.
func runClientErr(env []string, stdin io.Reader, args ...string) (clientResult, error) {
	return runClientVia(nil, env, stdin, args...)
}

// runClientVia is runClientErr with the client exec'd by wrap (nsenter …,
// setpriv …), when wrap is not empty.
func runClientVia(wrap, env []string, stdin io.Reader, args ...string) (clientResult, error) {
	return runProgram(wrap, env, stdin, vigilBin, args...)
}

// runProgram is runClientVia for the binary at path: vigilBin, or a link
// to it under a helper's name.
func runProgram(wrap, env []string, stdin io.Reader, path string, args ...string) (clientResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	argv := append(append(slices.Clone(wrap), path), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin = stdin
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	r := clientResult{prog: filepath.Base(path), args: args, stdout: out.String(), stderr: errOut.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		return r, fmt.Errorf("%s %s: no result within %v", r.prog, strings.Join(args, " "), clientTimeout)
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		return r, fmt.Errorf("%s %s: %v", r.prog, strings.Join(args, " "), err)
	}
	return r, nil
}

// runClient is runClientErr failing the test on an error.
func runClient(t *testing.T, env []string, stdin io.Reader, args ...string) clientResult {
	t.Helper()
	r, err := runClientErr(env, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// clientEnv is the client's environment for this tree: the same run dir
// as vigil's.
func (tr *svcTree) clientEnv(extra ...string) []string {
	return clientEnv(append([]string{"VIGIL_RUN_DIR=" + tr.run}, extra...)...)
}

// client runs `vigil args…` against the vigil running on this tree.
func (tr *svcTree) client(args ...string) clientResult {
	tr.t.Helper()
	return runClient(tr.t, tr.clientEnv(), nil, args...)
}

// clientWant runs `vigil args…` and fails the test unless it exits want.
func (tr *svcTree) clientWant(want int, args ...string) clientResult {
	tr.t.Helper()
	r := tr.client(args...)
	if r.code != want {
		tr.t.Fatalf("exit code of %v; want %d", r, want)
	}
	return r
}

// waitControl waits until vigil answers on its control socket.
func (tr *svcTree) waitControl() {
	tr.t.Helper()
	poll(tr.t, "vigil to answer `vigil status`", func() (bool, string) {
		r := tr.client("status")
		return r.code == 0, r.String()
	})
}

// svcStatus is one object of `vigil status --json`.
type svcStatus struct {
	Name     string `json:"name"`
	State    string `json:"state"`
	Wanted   bool   `json:"wanted"`
	Pid      int    `json:"pid"`
	UptimeMs int64  `json:"uptime_ms"`
	Ready    bool   `json:"ready"`
	Restarts int    `json:"restarts"`
	LastExit string `json:"last_exit"`
	Fault    string `json:"fault"`
}

// status returns `vigil status --json names…`, failing the test unless it
// exits 0 with a JSON array.
func (tr *svcTree) status(names ...string) []svcStatus {
	tr.t.Helper()
	r := tr.clientWant(0, append([]string{"status", "--json"}, names...)...)
	var sts []svcStatus
	if err := json.Unmarshal([]byte(r.stdout), &sts); err != nil {
		tr.t.Fatalf("%v\ndecode: %v", r, err)
	}
	return sts
}

// statusOf returns the status of the one service name.
func (tr *svcTree) statusOf(name string) svcStatus {
	tr.t.Helper()
	sts := tr.status(name)
	if len(sts) != 1 || sts[0].Name != name {
		tr.t.Fatalf("vigil status --json %s = %+v; want one entry for %s", name, sts, name)
	}
	return sts[0]
}

// waitStatus polls the status of name until cond holds and returns it.
func (tr *svcTree) waitStatus(name, what string, cond func(svcStatus) bool) svcStatus {
	tr.t.Helper()
	var st svcStatus
	poll(tr.t, fmt.Sprintf("service %s to be %s", name, what), func() (bool, string) {
		st = tr.statusOf(name)
		return cond(st), fmt.Sprintf("status: %+v", st)
	})
	return st
}

// waitReady waits until vigil answers and the named services are ready.
func (tr *svcTree) waitReady(names ...string) {
	tr.t.Helper()
	tr.waitControl()
	tr.clientWant(0, append([]string{"wait", "--ready", "--timeout", lineTimeout.String()}, names...)...)
}

// statusColumns are the headers of `vigil status`, in order.
var statusColumns = []string{"NAME", "STATE", "PID", "UPTIME", "READY", "RESTARTS", "LAST EXIT"}

// parseStatusTable reads the table `vigil status` prints: the header, then
// one row per service, every cell starting at its header's column. It
// returns the rows by service name, each cell keyed by its header.
func parseStatusTable(t *testing.T, out string) map[string]map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	header := regexp.MustCompile(`^NAME +STATE +PID +UPTIME +READY +RESTARTS +LAST EXIT$`)
	if len(lines) == 0 || !header.MatchString(lines[0]) {
		t.Fatalf("vigil status: first line %q; want the header %q, aligned; output:\n%s", lines[0], strings.Join(statusColumns, " "), out)
	}
	var cols []int
	for _, c := range statusColumns {
		cols = append(cols, strings.Index(lines[0], c))
	}
	rows := map[string]map[string]string{}
	for _, l := range lines[1:] {
		row := map[string]string{}
		for i, c := range cols {
			aligned := len(l) > c && l[c] != ' ' && (c == 0 || l[c-1] == ' ')
			if !aligned {
				t.Fatalf("vigil status: row %q: no cell at column %d (%s); output:\n%s", l, c, statusColumns[i], out)
			}
			end := len(l)
			if i+1 < len(cols) {
				end = min(cols[i+1], len(l))
			}
			row[statusColumns[i]] = strings.TrimSpace(l[c:end])
		}
		rows[row["NAME"]] = row
	}
	return rows
}

// sleeper is a run script that records its pid and sleeps.
func sleeper(name string) string {
	return shScript(publish(name+".pid", "$$") + "\nexec sleep 1000")
}

func keys[V any](m map[string]V) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// timeoutSlack is how much later than its --timeout a command that timed
// out may return: generous, the machine is noisy.
const timeoutSlack = 4 * time.Second

// checkTook checks that a command given --timeout d gave up after about d.
func checkTook(t *testing.T, r clientResult, d time.Duration) {
	t.Helper()
	if r.took < d*8/10 || r.took > d+timeoutSlack {
		t.Errorf("vigil %s gave up after %v; want about %v (at most %v)", strings.Join(r.args, " "), r.took.Round(time.Millisecond), d, d+timeoutSlack)
	}
}

// rawReply sends req on a new connection to the control socket (in parts,
// with pauses in between when given several) and reads what comes back
// until the server closes. It returns the reply line (if any) and how the
// read ended.
func rawReply(t *testing.T, sock string, parts ...[]byte) (reply []byte, readErr error, took time.Duration) {
	t.Helper()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatalf("dial %s: %v", sock, err)
	}
	defer conn.Close()
	start := time.Now()
	conn.SetDeadline(start.Add(lineTimeout))
	go func() {
		// A write error is fine: the server may close before reading all.
		for _, p := range parts {
			if _, err := conn.Write(p); err != nil {
				return
			}
		}
	}()
	reply, readErr = bufio.NewReader(conn).ReadBytes('\n')
	return reply, readErr, time.Since(start)
}

// checkRefused checks that a bad request got an error reply (containing
// wantErr) or a closed connection, not a success.
func checkRefused(t *testing.T, reply []byte, readErr error, wantErr string) {
	t.Helper()
	if len(reply) == 0 {
		if readErr == nil || os.IsTimeout(readErr) {
			t.Errorf("no reply and no close: %v", readErr)
		}
		return // closed without a reply
	}
	var resp struct {
		V     int    `json:"v"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(reply, &resp); err != nil {
		t.Errorf("reply %q: not JSON: %v", reply, err)
		return
	}
	if resp.OK || resp.Error == "" || resp.V != 1 {
		t.Errorf("reply %q; want {\"v\":1,\"ok\":false,\"error\":…}", reply)
	}
	if !strings.Contains(resp.Error, wantErr) {
		t.Errorf("error %q; want it to mention %q", resp.Error, wantErr)
	}
	t.Logf("reply: %s", strings.TrimSpace(string(reply)))
}
