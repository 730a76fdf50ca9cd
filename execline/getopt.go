package execline

import (
	"fmt"
	"strconv"
	"strings"
)

// Option is one option letter met on a command line, with its argument
// when it takes one.
type Option struct {
	Letter byte
	Arg    string
}

// Getopt reads the options at the start of args the way every execline
// and s6 program does (skalibs' subgetopt): options come back in order; spec lists the letters, a letter
// followed by ':' takes an argument, glued (-D0) or as the next word
// (-D 0); options may be grouped (-nX); the first word that is not an
// option ("-" alone is not) ends them, and so does "--", which is
// dropped. A letter not in spec is an error naming it.
func Getopt(args []string, spec string) (opts []Option, rest []string, err error) {
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			k := strings.IndexByte(spec, a[j])
			if k < 0 || a[j] == ':' {
				return nil, nil, fmt.Errorf("unknown option -%c", a[j])
			}
			if k+1 == len(spec) || spec[k+1] != ':' {
				opts = append(opts, Option{Letter: a[j]})
				continue
			}
			switch {
			case j+1 < len(a):
				opts = append(opts, Option{a[j], a[j+1:]})
			case i+1 < len(args):
				i++
				opts = append(opts, Option{a[j], args[i]})
			default:
				return nil, nil, fmt.Errorf("option -%c needs an argument", a[j])
			}
			break
		}
	}
	return opts, args[i:], nil
}

// parseUint reads a decimal number as skalibs' uint0_scan does: digits
// only, the whole word, no sign.
func parseUint(s string) (uint64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return n, err == nil
}

// parseFd reads a file descriptor number.
func parseFd(s string) (int, bool) {
	n, ok := parseUint(s)
	return int(n), ok && n <= 1<<30
}
