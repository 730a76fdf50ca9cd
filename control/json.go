package control

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The wire format's JSON, written by hand for the three fixed types:
// encoding/json's decoder costs vigil's binary ~75 KB for three structs
// (the encoder stays linked: log/slog holds it). The bytes are
// encoding/json's, byte for byte (json_test.go compares them on random
// values): fields in struct order with their tags' names, omitempty as
// tagged, strings escaped as json.Marshal escapes them (<, >, &, U+2028,
// U+2029 too; invalid UTF-8 as \ufffd). The decoder takes what
// encoding/json takes for these types: any order, whitespace, keys matched
// exactly or else case-insensitively, null leaving a field as it is, the
// last of a repeated key winning, \u escapes and surrogate pairs.

// appendRequest appends r as JSON, as json.Marshal(r).
func appendRequest(b []byte, r Request) []byte {
	b = appendInt(append(b, `{"v":`...), int64(r.Version))
	b = appendString(append(b, `,"cmd":`...), r.Command)
	if len(r.Names) > 0 {
		b = appendStrings(append(b, `,"names":`...), r.Names)
	}
	if r.Signal != "" {
		b = appendString(append(b, `,"signal":`...), r.Signal)
	}
	if r.Until != "" {
		b = appendString(append(b, `,"until":`...), r.Until)
	}
	if r.Code != 0 {
		b = appendInt(append(b, `,"code":`...), int64(r.Code))
	}
	if r.TimeoutMs != 0 {
		b = appendInt(append(b, `,"timeout_ms":`...), r.TimeoutMs)
	}
	if r.NoWait {
		b = append(b, `,"no_wait":true`...)
	}
	return append(b, '}')
}

// appendResponse appends r as JSON, as json.Marshal(r).
func appendResponse(b []byte, r Response) []byte {
	b = appendInt(append(b, `{"v":`...), int64(r.Version))
	b = appendBool(append(b, `,"ok":`...), r.OK)
	if r.Error != "" {
		b = appendString(append(b, `,"error":`...), r.Error)
	}
	if len(r.Services) > 0 {
		b = appendServices(append(b, `,"services":`...), r.Services)
	}
	for _, f := range []struct {
		key  string
		list []string
	}{{`,"problems":`, r.Problems}, {`,"added":`, r.Added}, {`,"removed":`, r.Removed}} {
		if len(f.list) > 0 {
			b = appendStrings(append(b, f.key...), f.list)
		}
	}
	return append(b, '}')
}

// appendServices appends svcs as a JSON array, as json.Marshal(svcs).
func appendServices(b []byte, svcs []Service) []byte {
	if svcs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range svcs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(b, `{"name":`...), s.Name)
		b = appendString(append(b, `,"state":`...), s.State)
		b = appendBool(append(b, `,"wanted":`...), s.Wanted)
		b = appendInt(append(b, `,"pid":`...), int64(s.Pid))
		b = appendInt(append(b, `,"uptime_ms":`...), s.UptimeMs)
		b = appendBool(append(b, `,"ready":`...), s.Ready)
		b = appendInt(append(b, `,"restarts":`...), int64(s.Restarts))
		b = appendString(append(b, `,"last_exit":`...), s.LastExit)
		b = appendString(append(b, `,"fault":`...), s.Fault)
		b = appendBool(append(b, `,"normally_up":`...), s.NormallyUp)
		b = appendInt(append(b, `,"since_ms":`...), s.SinceMs)
		b = appendInt(append(b, `,"ready_ms":`...), s.ReadyMs)
		b = appendInt(append(b, `,"exit_code":`...), int64(s.ExitCode))
		b = appendInt(append(b, `,"signal":`...), int64(s.Signal))
		b = append(b, '}')
	}
	return append(b, ']')
}

// ServicesJSON is svcs as `vigil status --json` prints them: a JSON array
// indented by two spaces, and a newline ("[]" for none), as a json.Encoder
// with SetIndent("", "  ") writes them.
func ServicesJSON(svcs []Service) []byte {
	if svcs == nil {
		svcs = []Service{}
	}
	return append(indent(nil, appendServices(nil, svcs)), '\n')
}

// indent appends the compact JSON src to dst with each element on a line
// of its own, two spaces per level, as json.Indent(dst, src, "", "  ").
func indent(dst, src []byte) []byte {
	depth, inString, escaped := 0, false, false
	newline := func() {
		dst = append(dst, '\n')
		for range depth {
			dst = append(dst, "  "...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case inString:
			dst = append(dst, c)
			inString = escaped || c != '"'
			escaped = !escaped && c == '\\'
		case c == '"':
			dst, inString = append(dst, c), true
		case c == '{' || c == '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst, i = append(dst, src[i+1]), i+1 // empty: stays "{}", "[]"
				continue
			}
			depth++
			newline()
		case c == '}' || c == ']':
			depth--
			newline()
			dst = append(dst, c)
		case c == ',':
			dst = append(dst, c)
			newline()
		case c == ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as json.Marshal escapes
// it.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			default: // other control characters, and <, >, & (json.Marshal's HTML escaping)
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}

// errSyntax is the decoder's error for what is not JSON.
var errSyntax = errors.New("invalid JSON")

// decoder reads one JSON value of a known shape from b. The first error
// sticks; later reads return zero values.
type decoder struct {
	b   []byte
	i   int
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// ws skips whitespace and reports the next byte, 0 at the end.
func (d *decoder) ws() byte {
	for d.i < len(d.b) {
		switch c := d.b[d.i]; c {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return c
		}
	}
	return 0
}

// end checks that nothing but whitespace is left.
func (d *decoder) end() {
	if d.ws(); d.i < len(d.b) {
		d.fail(errors.New("more than one JSON value"))
	}
}

// literal consumes word (null, true, false) if it comes next.
func (d *decoder) literal(word string) bool {
	if d.err == nil && d.ws() == word[0] {
		if !strings.HasPrefix(string(d.b[d.i:]), word) {
			d.fail(errSyntax)
			return false
		}
		d.i += len(word)
		return true
	}
	return false
}

// object reads an object, calling field for each key with the decoder at
// its value; field reads the value, or returns false for a key it does not
// know. A null object reads as none.
func (d *decoder) object(field func(key string) bool, unknown func(key string)) {
	if d.literal("null") || d.err != nil {
		return
	}
	if d.ws() != '{' {
		d.fail(errSyntax)
		return
	}
	d.i++
	if d.ws() == '}' {
		d.i++
		return
	}
	for d.err == nil {
		key := d.str()
		if d.ws() != ':' {
			d.fail(errSyntax)
			return
		}
		d.i++
		if !field(key) {
			unknown(key)
		}
		switch d.ws() {
		case ',':
			d.i++
		case '}':
			d.i++
			return
		default:
			d.fail(errSyntax)
		}
	}
}

// array reads an array, calling elem with the decoder at each element. A
// null array reads as none and reports false.
func (d *decoder) array(elem func()) bool {
	if d.literal("null") || d.err != nil {
		return false
	}
	if d.ws() != '[' {
		d.fail(errSyntax)
		return false
	}
	d.i++
	if d.ws() == ']' {
		d.i++
		return true
	}
	for d.err == nil {
		elem()
		switch d.ws() {
		case ',':
			d.i++
		case ']':
			d.i++
			return true
		default:
			d.fail(errSyntax)
		}
	}
	return true
}

// skip reads any value.
func (d *decoder) skip() {
	switch d.ws() {
	case '{':
		d.object(func(string) bool { d.skip(); return true }, nil)
	case '[':
		d.array(d.skip)
	case '"':
		d.str()
	case 't':
		d.literal("true")
	case 'f':
		d.literal("false")
	case 'n':
		d.literal("null")
	default:
		d.number()
	}
}

// number reads a number as JSON writes it and returns its text, and
// whether it is an integer (no fraction, no exponent).
func (d *decoder) number() (text string, integer bool) {
	start := d.i
	digits := func() bool {
		n := d.i
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
		}
		return d.i > n
	}
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	lead := d.i
	if !digits() || d.b[lead] == '0' && d.i-lead > 1 {
		d.fail(errSyntax)
		return "", false
	}
	integer = true
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if !digits() {
			d.fail(errSyntax)
		}
		integer = false
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if !digits() {
			d.fail(errSyntax)
		}
		integer = false
	}
	return string(d.b[start:d.i]), integer
}

// int64 reads an integer into *p; null leaves it.
func (d *decoder) int64(p *int64) {
	if d.literal("null") || d.err != nil {
		return
	}
	if c := d.ws(); c != '-' && (c < '0' || c > '9') {
		d.fail(errSyntax)
		return
	}
	text, integer := d.number()
	n, err := strconv.ParseInt(text, 10, 64)
	if d.err == nil && (!integer || err != nil) {
		d.fail(errors.New("number " + text + " is not an integer in range"))
		return
	}
	*p = n
}

func (d *decoder) int(p *int) {
	n := int64(*p)
	d.int64(&n)
	*p = int(n)
}

// bool reads true or false into *p; null leaves it.
func (d *decoder) bool(p *bool) {
	switch {
	case d.literal("null"):
	case d.literal("true"):
		*p = true
	case d.literal("false"):
		*p = false
	default:
		d.fail(errSyntax)
	}
}

// string reads a string into *p; null leaves it.
func (d *decoder) string(p *string) {
	if !d.literal("null") {
		*p = d.str()
	}
}

// strings reads an array of strings into *p: null is nil, [] an empty
// list, a null element "".
func (d *decoder) strings(p *[]string) {
	list := []string{}
	if !d.array(func() {
		var s string
		d.string(&s)
		list = append(list, s)
	}) {
		list = nil
	}
	if d.err == nil {
		*p = list
	}
}

// str reads a string value: escapes resolved, invalid UTF-8 and lone
// surrogates replaced by U+FFFD, as encoding/json does.
func (d *decoder) str() string {
	if d.err != nil {
		return ""
	}
	if d.ws() != '"' {
		d.fail(errSyntax)
		return ""
	}
	d.i++
	var out []byte
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			s := string(d.b[start:d.i])
			if out != nil {
				s = string(append(out, d.b[start:d.i]...))
			}
			d.i++
			return s
		case c < ' ':
			d.fail(errSyntax)
			return ""
		case c == '\\':
			out = append(out, d.b[start:d.i]...)
			d.i++
			out = d.escape(out)
			start = d.i
		case c < utf8.RuneSelf:
			d.i++
		default:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				out = append(append(out, d.b[start:d.i]...), "\uFFFD"...)
				start = d.i + 1
			}
			d.i += size
		}
		if d.err != nil {
			return ""
		}
	}
	d.fail(errSyntax)
	return ""
}

// escape resolves the escape after a backslash and appends it to out.
func (d *decoder) escape(out []byte) []byte {
	if d.i >= len(d.b) {
		d.fail(errSyntax)
		return out
	}
	c := d.b[d.i]
	d.i++
	switch c {
	case '"', '\\', '/':
		return append(out, c)
	case 'b':
		return append(out, '\b')
	case 'f':
		return append(out, '\f')
	case 'n':
		return append(out, '\n')
	case 'r':
		return append(out, '\r')
	case 't':
		return append(out, '\t')
	case 'u':
		r := d.hex4()
		if utf16.IsSurrogate(r) {
			// A pair when a low surrogate follows; U+FFFD otherwise, and
			// what follows is read on its own.
			if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
				save := d.i
				d.i += 2
				if pair := utf16.DecodeRune(r, d.hex4()); pair != utf8.RuneError {
					return utf8.AppendRune(out, pair)
				}
				d.i, d.err = save, nil
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(out, r)
	}
	d.fail(errSyntax)
	return out
}

// hex4 reads four hex digits.
func (d *decoder) hex4() rune {
	if d.i+4 > len(d.b) {
		d.fail(errSyntax)
		return 0
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		d.fail(errSyntax)
		return 0
	}
	d.i += 4
	return rune(n)
}

// key matches a decoded key against a field's name: exactly, or else
// case-insensitively, as encoding/json matches them.
func key(got, name string) bool { return got == name || strings.EqualFold(got, name) }

// decodeRequestJSON decodes line into a Request, refusing unknown fields
// (as a json.Decoder with DisallowUnknownFields).
func decodeRequestJSON(line []byte) (Request, error) {
	var r Request
	d := &decoder{b: line}
	d.object(func(k string) bool {
		switch {
		case key(k, "v"):
			d.int(&r.Version)
		case key(k, "cmd"):
			d.string(&r.Command)
		case key(k, "names"):
			d.strings(&r.Names)
		case key(k, "signal"):
			d.string(&r.Signal)
		case key(k, "until"):
			d.string(&r.Until)
		case key(k, "code"):
			d.int(&r.Code)
		case key(k, "timeout_ms"):
			d.int64(&r.TimeoutMs)
		case key(k, "no_wait"):
			d.bool(&r.NoWait)
		default:
			return false
		}
		return true
	}, func(k string) { d.fail(errors.New("unknown field " + strconv.Quote(k))) })
	d.end()
	return r, d.err
}

// decodeResponseJSON decodes line into a Response, skipping fields it does
// not know (a newer server's), as json.Unmarshal does.
func decodeResponseJSON(line []byte) (Response, error) {
	var r Response
	d := &decoder{b: line}
	d.object(func(k string) bool {
		switch {
		case key(k, "v"):
			d.int(&r.Version)
		case key(k, "ok"):
			d.bool(&r.OK)
		case key(k, "error"):
			d.string(&r.Error)
		case key(k, "services"):
			d.services(&r.Services)
		case key(k, "problems"):
			d.strings(&r.Problems)
		case key(k, "added"):
			d.strings(&r.Added)
		case key(k, "removed"):
			d.strings(&r.Removed)
		default:
			return false
		}
		return true
	}, func(string) { d.skip() })
	d.end()
	return r, d.err
}

func (d *decoder) services(p *[]Service) {
	list := []Service{}
	if !d.array(func() {
		var s Service
		d.service(&s)
		list = append(list, s)
	}) {
		list = nil
	}
	if d.err == nil {
		*p = list
	}
}

func (d *decoder) service(s *Service) {
	d.object(func(k string) bool {
		switch {
		case key(k, "name"):
			d.string(&s.Name)
		case key(k, "state"):
			d.string(&s.State)
		case key(k, "wanted"):
			d.bool(&s.Wanted)
		case key(k, "pid"):
			d.int(&s.Pid)
		case key(k, "uptime_ms"):
			d.int64(&s.UptimeMs)
		case key(k, "ready"):
			d.bool(&s.Ready)
		case key(k, "restarts"):
			d.int(&s.Restarts)
		case key(k, "last_exit"):
			d.string(&s.LastExit)
		case key(k, "fault"):
			d.string(&s.Fault)
		case key(k, "normally_up"):
			d.bool(&s.NormallyUp)
		case key(k, "since_ms"):
			d.int64(&s.SinceMs)
		case key(k, "ready_ms"):
			d.int64(&s.ReadyMs)
		case key(k, "exit_code"):
			d.int(&s.ExitCode)
		case key(k, "signal"):
			d.int(&s.Signal)
		default:
			return false
		}
		return true
	}, func(string) { d.skip() })
}
