package client

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigil-init/vigil/control"
)

// TestHelperRequests: what each helper asks of vigil, and its exit code,
// against a fake vigil holding web (up), db (up) and off (down).
func TestHelperRequests(t *testing.T) {
	svcs := map[string]control.Service{
		"web":     {Name: "web", State: "up", Wanted: true, Pid: 42, Ready: true},
		"web/log": {Name: "web/log", State: "up", Wanted: true, Pid: 41, Ready: true},
		"db":      {Name: "db", State: "up", Wanted: true, Pid: 43, Ready: true},
		"off":     {Name: "off", State: "down", ExitCode: -1},
	}
	tests := []struct {
		tool, args string
		code       int
		want       string // the requests, one JSON object each, space-separated
		stdout     string
	}{
		{"s6-svc", "-u /run/service/off", 0, `{"v":0,"cmd":"start","names":["off"],"no_wait":true}`, ""},
		{"s6-svc", "-d /run/service/web /run/service/db", 0, `{"v":0,"cmd":"stop","names":["web","db"],"no_wait":true}`, ""},
		{"s6-svc", "-wD -d web", 0, `{"v":0,"cmd":"stop","names":["web"],"no_wait":true} {"v":0,"cmd":"wait","names":["web"],"until":"down","timeout_ms":315360000000}`, ""},
		{"s6-svc", "-wU -T 5000 -u off", 0, `{"v":0,"cmd":"start","names":["off"],"no_wait":true} {"v":0,"cmd":"wait","names":["off"],"until":"ready","timeout_ms":5000}`, ""},
		{"s6-svc", "-r web off", 0, `{"v":0,"cmd":"restart","names":["web"],"no_wait":true}`, ""},
		{"s6-svc", "-wR -T 800 -r web", 0, `{"v":0,"cmd":"restart","names":["web"],"timeout_ms":800}`, ""},
		{"s6-svc", "-h /var/run/s6/services/web", 0, `{"v":0,"cmd":"signal","names":["web"],"signal":"HUP"}`, ""},
		{"s6-svc", "-a /run/service/web/log", 0, `{"v":0,"cmd":"signal","names":["web/log"],"signal":"ALRM"}`, ""},
		{"s6-svc", "-kt web off", 0, `{"v":0,"cmd":"signal","names":["web"],"signal":"KILL"} {"v":0,"cmd":"signal","names":["web"],"signal":"TERM"}`, ""},
		{"s6-svc", "-t off", 0, ``, ""},
		{"s6-svc", "-O -x web", 0, ``, ""},
		{"s6-svc", "-D -U web", 0, `{"v":0,"cmd":"stop","names":["web"],"no_wait":true} {"v":0,"cmd":"start","names":["web"],"no_wait":true}`, ""},
		{"s6-svc", "-u nosuch", 100, ``, ""},
		{"s6-svc", "-o web", 100, ``, ""},
		{"s6-svwait", "-U web db", 0, `{"v":0,"cmd":"wait","names":["web","db"],"until":"ready","timeout_ms":315360000000}`, ""},
		{"s6-svwait", "-d -t 100 off", 0, `{"v":0,"cmd":"wait","names":["off"],"until":"down","timeout_ms":100}`, ""},
		{"s6-svwait", "nosuch", 111, ``, ""},
		{"s6-svok", "/run/service/web", 0, ``, ""},
		{"s6-svok", "/run/service/nosuch", 1, ``, ""},
		{"s6-svok", "", 100, ``, ""},
		{"s6-svscanctl", "-t /run/service", 0, `{"v":0,"cmd":"halt"}`, ""},
		{"s6-svscanctl", "-an /run/service", 0, `{"v":0,"cmd":"reload"}`, ""},
		{"s6-svscanctl", "-z /run/service", 100, ``, ""},
		{"s6-rc", "-a list", 0, ``, "db\nweb\nweb/log\n"},
		{"s6-rc", "-da list", 0, ``, "off\n"},
		{"s6-rc", "list off", 0, ``, "off\n"},
		{"s6-rc", "-u change off", 0, `{"v":0,"cmd":"start","names":["off"],"timeout_ms":315360000000}`, ""},
		{"s6-rc", "-t 2000 -d change web db", 0, `{"v":0,"cmd":"stop","names":["web","db"],"timeout_ms":2000}`, ""},
		{"s6-rc", "-da change", 0, `{"v":0,"cmd":"stop","names":["db","web","web/log"],"timeout_ms":315360000000}`, ""},
		{"s6-rc", "list nosuch", 3, ``, ""},
		{"s6-rc", "-pu change web", 100, ``, ""},
	}
	for _, tt := range tests {
		var sent []control.Request
		var out, errs strings.Builder
		tl := fakeTool(tt.tool, strings.Fields(tt.args), &out, &errs, fakeVigil(svcs, &sent))
		code := helpers[tt.tool](tl)
		var got []string
		for _, req := range sent {
			b, _ := json.Marshal(req)
			got = append(got, string(b))
		}
		if code != tt.code || strings.Join(got, " ") != tt.want || out.String() != tt.stdout {
			t.Errorf("%s %s = %d, stdout %q, requests:\n\t%s\nstderr %q\nwant %d, stdout %q, requests:\n\t%s",
				tt.tool, tt.args, code, out.String(), strings.Join(got, "\n\t"), errs.String(), tt.code, tt.stdout, strings.ReplaceAll(tt.want, "} {", "}\n\t{"))
		}
	}
}
