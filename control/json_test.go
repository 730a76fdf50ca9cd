package control

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// randString is a string of the kinds JSON escaping cares about: ASCII,
// control characters, quotes and backslashes, <>&, multi-byte runes,
// U+2028/U+2029, invalid UTF-8.
func randString(r *rand.Rand) string {
	pieces := []string{"a", "Z", "web", " ", "\"", "\\", "/", "<", ">", "&", "\n", "\t", "\r", "\b", "\f", "\x00", "\x01", "\x1f",
		"\x7f", "é", "日本", "😀", "\u2028", "\u2029", "\xff", "\xc3", "\xed\xa0\x80", "\ufffd", "RTMIN+3"}
	var b strings.Builder
	for range r.IntN(8) {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func randStrings(r *rand.Rand) []string {
	switch r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	list := make([]string, 1+r.IntN(3))
	for i := range list {
		list[i] = randString(r)
	}
	return list
}

func randInt(r *rand.Rand) int64 {
	switch r.IntN(4) {
	case 0:
		return 0
	case 1:
		return r.Int64()
	case 2:
		return -r.Int64()
	}
	return int64(r.IntN(300)) - 10
}

func randRequest(r *rand.Rand) Request {
	return Request{
		Version: int(randInt(r)), Command: randString(r), Names: randStrings(r), Signal: randString(r),
		Until: randString(r), Code: int(randInt(r)), TimeoutMs: randInt(r), NoWait: r.IntN(2) == 0,
	}
}

func randResponse(r *rand.Rand) Response {
	resp := Response{Version: int(randInt(r)), OK: r.IntN(2) == 0, Error: randString(r),
		Problems: randStrings(r), Added: randStrings(r), Removed: randStrings(r)}
	if n := r.IntN(4); n > 0 {
		resp.Services = make([]Service, n-1)
		for i := range resp.Services {
			resp.Services[i] = Service{
				Name: randString(r), State: randString(r), Wanted: r.IntN(2) == 0, Pid: int(randInt(r)),
				UptimeMs: randInt(r), Ready: r.IntN(2) == 0, Restarts: int(randInt(r)), LastExit: randString(r),
				Fault: randString(r), NormallyUp: r.IntN(2) == 0, SinceMs: randInt(r), ReadyMs: randInt(r),
				ExitCode: int(randInt(r)), Signal: int(randInt(r)),
			}
		}
	}
	return resp
}

// TestEncodeLikeEncodingJSON: the hand-written encoder writes exactly what
// json.Marshal writes, and each decoder reads back what either wrote.
func TestEncodeLikeEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		req := randRequest(r)
		want, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendRequest(nil, req); !bytes.Equal(got, want) {
			t.Fatalf("appendRequest(%#v) = %s; want %s (json.Marshal)", req, got, want)
		}
		var viaJSON Request
		json.Unmarshal(want, &viaJSON)
		if got, err := decodeRequestJSON(want); err != nil || !reflect.DeepEqual(got, viaJSON) {
			t.Fatalf("decodeRequestJSON(%s) = %#v, %v; want %#v (json.Unmarshal)", want, got, err, viaJSON)
		}

		resp := randResponse(r)
		want, err = json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendResponse(nil, resp); !bytes.Equal(got, want) {
			t.Fatalf("appendResponse(%#v) = %s; want %s (json.Marshal)", resp, got, want)
		}
		var respJSON Response
		json.Unmarshal(want, &respJSON)
		if got, err := decodeResponseJSON(want); err != nil || !reflect.DeepEqual(got, respJSON) {
			t.Fatalf("decodeResponseJSON(%s) = %#v, %v; want %#v (json.Unmarshal)", want, got, err, respJSON)
		}

		var indented bytes.Buffer
		enc := json.NewEncoder(&indented)
		enc.SetIndent("", "  ")
		svcs := resp.Services
		if svcs == nil {
			svcs = []Service{}
		}
		enc.Encode(svcs)
		if got := ServicesJSON(resp.Services); !bytes.Equal(got, indented.Bytes()) {
			t.Fatalf("ServicesJSON(%#v) = %s; want %s (json.Encoder, indented)", resp.Services, got, indented.Bytes())
		}
	}
}

// TestDecodeLikeEncodingJSON: lines written by hand, as a client might,
// decode as encoding/json decodes them, or fail where it fails.
func TestDecodeLikeEncodingJSON(t *testing.T) {
	lines := []string{
		` { "cmd" : "status" , "v" : 1 } `,
		`{"V":1,"CMD":"status","Names":["a"]}`,
		`{"v":1,"cmd":"stop","cmd":"start","names":["x","y"]}`,
		`{"v":1,"cmd":"st\u0061tus","names":["\ud83d\ude00","\ud800","\udc00x","\ud800\u0041","a\/b","\"\\\b\f\n\r\t"]}`,
		`{"v":null,"cmd":null,"names":null,"code":null,"no_wait":null}`,
		`{"v":1,"cmd":"x","names":[null,"a"]}`,
		"{\"v\":1,\"cmd\":\"\xff\xfeé\"}",
		`{"v":-0,"cmd":"","timeout_ms":-9223372036854775808}`,
		`null`,
		`{}`,
		`{"v":1.0}`, `{"v":1e2}`, `{"v":01}`, `{"v":-}`, `{"v":9223372036854775808}`, `{"v":"1"}`,
		`{"cmd":1}`, `{"names":"a"}`, `{"names":[1]}`, `{"no_wait":1}`, `{"no_wait":tru}`,
		`{"v":1,}`, `{"v":1`, `{"v" 1}`, `{v:1}`, `[]`, `"x"`, `1`, ``, ` `, `{"cmd":"a` + "\x01" + `"}`,
		`{"cmd":"\x"}`, `{"cmd":"\u12"}`, `{"cmd":"\u12g4"}`, `{"v":1} x`, "{\"v\":1}\x00", `{"v":1}{}`,
		`{"extra":1}`, `{"v":1,"cmd":"status","x":{"y":[1,2,{"z":null}]}}`,
	}
	for _, line := range lines {
		var want Request
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		wantErr := dec.Decode(&want)
		if wantErr == nil && dec.More() {
			wantErr = errSyntax
		}
		got, err := decodeRequestJSON([]byte(line))
		if (err != nil) != (wantErr != nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("decodeRequestJSON(%q) = %#v, %v; want %#v, %v (encoding/json)", line, got, err, want, wantErr)
		}
	}
	// Responses: unknown fields are skipped, whatever they hold.
	for _, line := range []string{
		`{"v":1,"ok":true,"new":{"a":[1,-2.5e3,true,false,null,"s"]},"services":[{"name":"w","x":[]}]}`,
		`{"v":1,"ok":true} `, `{"v":1,"ok":true} x`, `{"v":1,"ok":1}`, `{"services":[{"pid":"1"}]}`,
	} {
		var want Response
		wantErr := json.Unmarshal([]byte(line), &want)
		got, err := decodeResponseJSON([]byte(line))
		if (err != nil) != (wantErr != nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("decodeResponseJSON(%q) = %#v, %v; want %#v, %v (encoding/json)", line, got, err, want, wantErr)
		}
	}
}
