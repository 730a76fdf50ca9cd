package client

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-init/vigil/control"
)

// TestSvstatHuman: the human line for each kind of state, as s6-svstat
// writes it.
func TestSvstatHuman(t *testing.T) {
	tests := []struct {
		name    string
		st      control.Service
		numeric bool
		want    string
	}{
		{"up", control.Service{State: "up", Wanted: true, NormallyUp: true, Pid: 28056, Ready: true, SinceMs: 2500, ReadyMs: 2400, ExitCode: -1},
			false, "up (pid 28056) 2 seconds, ready 2 seconds"},
		{"up, ready later", control.Service{State: "up", Wanted: true, NormallyUp: true, Pid: 123, Ready: true, SinceMs: 45000, ReadyMs: 44000, ExitCode: -1},
			false, "up (pid 123) 45 seconds, ready 44 seconds"},
		{"starting", control.Service{State: "starting", Wanted: true, NormallyUp: true, Pid: 7, SinceMs: 999, ReadyMs: 5000, ExitCode: -1},
			false, "up (pid 7) 0 seconds"},
		{"started with a down file", control.Service{State: "up", Wanted: true, Pid: 28245, Ready: true, ExitCode: -1},
			false, "up (pid 28245) 0 seconds, normally down, ready 0 seconds"},
		{"stopping", control.Service{State: "stopping", Pid: 28245, NormallyUp: true, ExitCode: -1},
			false, "up (pid 28245) 0 seconds, want down"},
		{"down file, never started", control.Service{State: "down", SinceMs: 2000, ReadyMs: 2000, ExitCode: -1},
			false, "down (exitcode 0) 2 seconds, ready 2 seconds"},
		{"down file, started, exited", control.Service{State: "backoff", Wanted: true, ExitCode: 3},
			false, "down (exitcode 3) 0 seconds, want up, ready 0 seconds"},
		{"stopped", control.Service{State: "down", NormallyUp: true, Signal: 15, ExitCode: -1},
			false, "down (signal SIGTERM) 0 seconds, normally up, ready 0 seconds"},
		{"stopped, -n", control.Service{State: "down", NormallyUp: true, Signal: 15, ExitCode: -1},
			true, "down (signal 15) 0 seconds, normally up, ready 0 seconds"},
		{"killed, down file", control.Service{State: "failed", Signal: 9, ExitCode: -1},
			false, "down (signal SIGKILL) 0 seconds, ready 0 seconds"},
		{"finishing", control.Service{State: "finishing", Wanted: true, NormallyUp: true, ExitCode: 1, SinceMs: 1200},
			false, "down (exitcode 1) 1 seconds, normally up, want up"},
		{"stopping what run left", control.Service{State: "stopping", NormallyUp: true, Signal: 15, ExitCode: -1},
			false, "down (signal SIGTERM) 0 seconds, normally up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toS6State(tt.st, time.Now()).human(tt.numeric); got != tt.want {
				t.Errorf("human(%+v) = %q; want %q", tt.st, got, tt.want)
			}
		})
	}
}

// TestSvstatFields: the -o fields and letters, through the whole helper
// with a fake vigil.
func TestSvstatFields(t *testing.T) {
	svcs := map[string]control.Service{
		"web":  {Name: "web", State: "up", Wanted: true, NormallyUp: true, Pid: 42, Ready: true, SinceMs: 61500, ReadyMs: 60000, ExitCode: -1},
		"dead": {Name: "dead", State: "down", NormallyUp: true, Signal: 15, ExitCode: -1, SinceMs: 3000, ReadyMs: 2000},
		"quit": {Name: "quit", State: "backoff", Wanted: true, ExitCode: 0},
		"new":  {Name: "new", State: "starting", Wanted: true, Pid: 9, ExitCode: -1},
	}
	tests := []struct {
		args string
		want string
	}{
		{"-o up,ready,pid,exitcode,signal /run/service/dead", "false false -1 -1 SIGTERM"},
		{"-o up,ready,pid,exitcode,signal /run/service/web", "true true 42 -1 NA"},
		{"-u web", "true"},
		{"-ur new", "true false"},
		{"-ur quit", "false false"},
		{"-wNpgest web", "true true 42 42 -1 NA 61"},
		{"-o wantedup,normallyup,signum,updownfor,readyfor,paused dead", "false true 15 3 2 false"},
		{"-e quit", "0"},
		{"-p quit", "-1"},
		{"/run/service/web", "up (pid 42) 61 seconds, ready 60 seconds"},
		{"-n dead", "down (signal 15) 3 seconds, normally up, ready 2 seconds"},
	}
	for _, tt := range tests {
		var out, errs strings.Builder
		tl := fakeTool("s6-svstat", strings.Fields(tt.args), &out, &errs, fakeVigil(svcs, nil))
		if code := tl.svstat(); code != 0 || out.String() != tt.want+"\n" {
			t.Errorf("s6-svstat %s = %d, %q (stderr %q); want 0, %q", tt.args, code, out.String(), errs.String(), tt.want+"\n")
		}
	}
	var out, errs strings.Builder
	tl := fakeTool("s6-svstat", []string{"/run/service/nosuch"}, &out, &errs, fakeVigil(svcs, nil))
	if code := tl.svstat(); code != 1 || !strings.Contains(errs.String(), "s6-svstat: fatal: unable to read status for /run/service/nosuch") {
		t.Errorf("s6-svstat nosuch = %d, stderr %q; want 1 and s6's message", code, errs.String())
	}
}

func TestTai64n(t *testing.T) {
	at := time.Unix(0x66f1a2b3, 0x1234)
	if got, want := tai64n(at), "@4000000066f1a2bd00001234"; got != want {
		t.Errorf("tai64n(%v) = %s; want %s", at, got, want)
	}
}

// fakeTool is a helper run with a fake vigil, in no service directory.
func fakeTool(name string, args []string, stdout, stderr *strings.Builder, do func(control.Request) (control.Response, error)) *tool {
	return &tool{name: name, args: args, stdout: stdout, stderr: stderr, do: do,
		lookupEnv: func(string) (string, bool) { return "", false }}
}

// fakeVigil answers status from svcs, and records every other request in
// *sent (when sent is not nil) with an OK.
func fakeVigil(svcs map[string]control.Service, sent *[]control.Request) func(control.Request) (control.Response, error) {
	return func(req control.Request) (control.Response, error) {
		if req.Command != control.CmdStatus {
			if sent != nil {
				*sent = append(*sent, req)
			}
			return control.Ok(), nil
		}
		resp := control.Ok()
		for _, name := range req.Names {
			st, ok := svcs[name]
			if !ok {
				return control.Fail(fmt.Errorf("unknown service %q", name)), nil
			}
			resp.Services = append(resp.Services, st)
		}
		if len(req.Names) == 0 {
			for _, name := range slices.Sorted(maps.Keys(svcs)) {
				resp.Services = append(resp.Services, svcs[name])
			}
		}
		return resp, nil
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
