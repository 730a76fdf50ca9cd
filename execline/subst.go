package execline

import (
	"errors"
	"strconv"
	"strings"
)

// subst is one key of a substitution and the words that replace it: none
// (importas of an unset variable), one, or the words of a split value.
type subst struct {
	key    string
	values []string
}

// substitute returns argv with every $key and ${key} of substs replaced,
// all keys at once (execline's el_substitute.html):
//
//   - ${key} matches anywhere in a word; $key only when the key ends at
//     the end of the word or before \ $ { or } ($key/x is no match);
//   - a match preceded by 2n backslashes becomes n backslashes and the
//     value, by 2n+1 backslashes n backslashes and the literal match;
//     backslashes before anything else, and references to keys not in
//     substs, are left as they are;
//   - a word with matches becomes one word per combination of their
//     values, the leftmost match varying slowest; a match with no value
//     removes its word. Values are not searched for matches.
//
// Block words keep their leading spaces, so a value never ends a block.
func substitute(argv []string, substs []subst) []string {
	out := make([]string, 0, len(argv))
	for _, w := range argv {
		out = expand(out, pieces(w, substs), "")
	}
	return out
}

// piece is a literal part of a word, or a match to substitute.
type piece struct {
	text string
	sub  *subst
}

// pieces cuts w into literals and matches.
func pieces(w string, substs []subst) []piece {
	var ps []piece
	var lit []byte
	for i := 0; i < len(w); {
		j := i
		for j < len(w) && w[j] == '\\' {
			j++
		}
		if j == len(w) || w[j] != '$' {
			lit = append(lit, w[i:j]...)
			if j < len(w) {
				lit = append(lit, w[j])
				j++
			}
			i = j
			continue
		}
		name, end := reference(w, j)
		s := find(substs, name)
		if s == nil {
			// Not ours: the backslashes and the $ are letters; what follows
			// is read again, since it may hold a reference itself.
			lit = append(lit, w[i:j+1]...)
			i = j + 1
			continue
		}
		escapes := j - i
		lit = append(lit, strings.Repeat(`\`, escapes/2)...)
		if escapes%2 == 1 {
			lit = append(lit, w[j:end]...)
		} else {
			ps = append(ps, piece{text: string(lit)}, piece{sub: s})
			lit = nil
		}
		i = end
	}
	return append(ps, piece{text: string(lit)})
}

// reference reads the reference to a key at w[j], a $: ${name} or $name,
// and returns the name and where the reference ends; name is "" when
// there is no well-formed reference there.
func reference(w string, j int) (name string, end int) {
	const stops = `\${}`
	if j+1 < len(w) && w[j+1] == '{' {
		k := strings.IndexAny(w[j+2:], stops)
		if k <= 0 || w[j+2+k] != '}' {
			return "", 0
		}
		return w[j+2 : j+2+k], j + 3 + k
	}
	k := strings.IndexAny(w[j+1:], stops)
	if k < 0 {
		k = len(w) - j - 1
	}
	return w[j+1 : j+1+k], j + 1 + k
}

// find is the subst of key name, or nil.
func find(substs []subst, name string) *subst {
	if name == "" {
		return nil
	}
	for i := range substs {
		if substs[i].key == name {
			return &substs[i]
		}
	}
	return nil
}

// expand appends to out the words that ps make after prefix.
func expand(out []string, ps []piece, prefix string) []string {
	for len(ps) > 0 && ps[0].sub == nil {
		prefix += ps[0].text
		ps = ps[1:]
	}
	if len(ps) == 0 {
		return append(out, prefix)
	}
	for _, v := range ps[0].sub.values {
		out = expand(out, ps[1:], prefix+v)
	}
	return out
}

// defaultDelims are the delimiters of a value when -d is not given.
const defaultDelims = " \n\r\t"

// transform is what is done to a value before it is substituted, in that
// order (el_transform.html): crunch (-C) merges each run of delimiters
// into its first one; chomp (-n) drops one delimiter at the end; split
// (-s) cuts it into words at each delimiter, or, with no delimiters
// (-d ""), reads it as netstrings.
type transform struct {
	crunch, chomp, split bool
	delims               string
}

// newTransform is the transform without options.
func newTransform() transform { return transform{delims: defaultDelims} }

// option applies one of the transform options -C -c -N -n -s -d; it
// says false for any other letter.
func (t *transform) option(o Option) bool {
	switch o.Letter {
	case 'C':
		t.crunch = true
	case 'c':
		t.crunch = false
	case 'N':
		t.chomp = false
	case 'n':
		t.chomp = true
	case 's':
		t.split = true
	case 'd':
		t.delims = o.Arg
	default:
		return false
	}
	return true
}

// apply returns the words value stands for.
func (t transform) apply(value string) ([]string, error) {
	isDelim := func(c byte) bool { return strings.IndexByte(t.delims, c) >= 0 }
	if t.crunch && t.delims != "" {
		var b []byte
		for i := 0; i < len(value); i++ {
			if i > 0 && isDelim(value[i]) && isDelim(value[i-1]) {
				continue
			}
			b = append(b, value[i])
		}
		value = string(b)
	}
	chomped := false
	if t.chomp && value != "" && isDelim(value[len(value)-1]) {
		value, chomped = value[:len(value)-1], true
	}
	switch {
	case !t.split:
		return []string{value}, nil
	case t.delims == "":
		return netstrings(value)
	}
	words := []string{}
	start := 0
	for i := 0; i < len(value); i++ {
		if isDelim(value[i]) {
			words = append(words, value[start:i])
			start = i + 1
		}
	}
	// A last word without a delimiter after it counts, unless chomping
	// was asked for and found no delimiter to drop (el_transform.html).
	if start < len(value) && !(t.chomp && !chomped) {
		words = append(words, value[start:])
	}
	return words, nil
}

// errNetstring is a value that -d "" cannot read.
var errNetstring = errors.New("value is not a sequence of netstrings")

// netstrings decodes value, a sequence of LEN:DATA, netstrings.
func netstrings(value string) ([]string, error) {
	words := []string{}
	for value != "" {
		n, rest, ok := strings.Cut(value, ":")
		size, err := strconv.ParseUint(n, 10, 31)
		if !ok || err != nil || strings.TrimLeft(n, "0123456789") != "" ||
			uint64(len(rest)) < size+1 || rest[size] != ',' {
			return nil, errNetstring
		}
		words = append(words, rest[:size])
		value = rest[size+1:]
	}
	return words, nil
}

// positionals are the substitutions execlineb -S nmin (shift false) or
// -s nmin (shift true) makes: $0 the script, $# the number of args, $1…
// up to at least nmin (missing ones empty), $@ every arg, or with shift
// those after the first nmin.
func positionals(dollar0 string, args []string, nmin int, shift bool) []subst {
	n := max(len(args), nmin)
	all := args
	if shift {
		all = nil
		if len(args) > nmin {
			all = args[nmin:]
		}
	}
	ss := []subst{
		{"#", []string{strconv.Itoa(len(args))}},
		{"0", []string{dollar0}},
		{"@", all},
	}
	for i := 1; i <= n; i++ {
		v := ""
		if i <= len(args) {
			v = args[i-1]
		}
		ss = append(ss, subst{strconv.Itoa(i), []string{v}})
	}
	return ss
}
