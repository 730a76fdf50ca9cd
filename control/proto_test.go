package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		line    string
		wantCmd string
		wantErr string
	}{
		{`{"v":1,"cmd":"status"}`, CmdStatus, ""},
		{`{"v":1,"cmd":"status","names":["web"]}`, CmdStatus, ""},
		{`{"v":1,"cmd":"start","names":["a","b"],"timeout_ms":500}`, CmdStart, ""},
		{`{"v":1,"cmd":"signal","names":["a"],"signal":"HUP"}`, CmdSignal, ""},
		{`{"v":1,"cmd":"wait","names":["a"],"until":"down"}`, CmdWait, ""},
		{`{"v":1,"cmd":"halt","code":7}`, CmdHalt, ""},
		{`{"v":1,"cmd":"check"}`, CmdCheck, ""},
		{`{"v":1,"cmd":"reload"}`, CmdReload, ""},
		{`{"v":2,"cmd":"status"}`, "", "version 2"},
		{`{"cmd":"status"}`, "", "version 0"},
		{`{"v":1,"cmd":"explode"}`, "", `unknown command "explode"`},
		{`{"v":1,"cmd":"start"}`, "", "no service named"},
		{`{"v":1,"cmd":"signal","names":["a"]}`, "", "no signal"},
		{`{"v":1,"cmd":"wait","names":["a"],"until":"later"}`, "", `until "later"`},
		{`{"v":1,"cmd":"halt","code":300}`, "", "code 300"},
		{`{"v":1,"cmd":"stop","names":["a"],"timeout_ms":-1}`, "", "timeout -1ms"},
		{`{"v":1,"cmd":"stop","names":["a"],"no_wait":true}`, CmdStop, ""},
		{`{"v":1,"cmd":"wait","names":["a"],"until":"up","no_wait":true}`, "", "no_wait is only for"},
		{`{"v":1,"cmd":"status","extra":1}`, "", "unknown field"},
		{`{"v":1,"cmd":"status"} {"v":1}`, "", "more than one"},
		{`not json`, "", "decode request"},
		{``, "", "decode request"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			r, err := DecodeRequest([]byte(tt.line))
			if tt.wantErr == "" {
				if err != nil || r.Command != tt.wantCmd {
					t.Errorf("DecodeRequest(%s) = %+v, %v; want command %s", tt.line, r, err, tt.wantCmd)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DecodeRequest(%s) error = %v; want one saying %q", tt.line, err, tt.wantErr)
			}
		})
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"cmd":"status"}`, `{"v":1,"cmd":"start","names":["a"],"timeout_ms":5}`,
		`{"v":1,"cmd":"halt","code":255}`, `{"v":1,"cmd":"wait","names":["x"],"until":"ready"}`,
		`{"v":1,"CMD":"signal","names":["\u00e9\ud800"],"signal":"HUP","x":1}`,
		`{`, `null`, `[]`, "\x00\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		// The hand-written decoder takes what encoding/json takes, as it takes it.
		var want Request
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		wantErr := dec.Decode(&want)
		if wantErr == nil && dec.More() {
			wantErr = errors.New("more than one JSON value")
		}
		got, err := decodeRequestJSON(line)
		if (err != nil) != (wantErr != nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeRequestJSON(%q) = %#v, %v; encoding/json: %#v, %v", line, got, err, want, wantErr)
		}
		r, err := DecodeRequest(line)
		if err != nil {
			return
		}
		if d, limited := r.Timeout(); r.Version != Version || r.validate() != nil || limited && d <= 0 || !limited && r.Command != CmdWait {
			t.Errorf("DecodeRequest(%q) = %+v accepted; want a valid request", line, r)
		}
		// What was accepted goes back on the wire as encoding/json writes
		// it, and reads back the same.
		enc := appendRequest(nil, r)
		if b, _ := json.Marshal(r); !bytes.Equal(enc, b) {
			t.Errorf("appendRequest(%+v) = %s; json.Marshal: %s", r, enc, b)
		}
		if again, err := DecodeRequest(enc); err != nil || !equalRequests(again, r) {
			t.Errorf("DecodeRequest(appendRequest(%+v)) = %+v, %v; want it back", r, again, err)
		}
	})
}

// equalRequests compares requests as the wire carries them: an empty
// list of names is no names.
func equalRequests(a, b Request) bool {
	if len(a.Names) == 0 && len(b.Names) == 0 {
		a.Names, b.Names = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

func TestReadRequest(t *testing.T) {
	big := bytes.Repeat([]byte("x"), MaxRequest+10)
	tests := []struct {
		name    string
		in      io.Reader
		want    string
		wantErr bool
	}{
		{"line", strings.NewReader("abc\nrest"), "abc", false},
		{"eof ends", strings.NewReader("abc"), "abc", false},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader("abc\n")), "abc", false},
		{"longer than a buffer", strings.NewReader(strings.Repeat("y", 10000) + "\n"), strings.Repeat("y", 10000), false},
		{"exactly the limit", bytes.NewReader(append(bytes.Repeat([]byte("z"), MaxRequest-1), '\n')), strings.Repeat("z", MaxRequest-1), false},
		{"too long", bytes.NewReader(big), "", true},
		{"empty", strings.NewReader(""), "", true},
		{"error", iotest.ErrReader(errors.New("boom")), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readRequest(tt.in)
			if string(got) != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("readRequest() = %.20q, %v; want %.20q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
