package client

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// opt is one option of an s6 command line: its letter and, for a letter
// that takes one, its argument.
type opt struct {
	letter byte
	arg    string
}

// getopt parses args as skalibs' subgetopt does, which every s6 and
// execline program uses: letters are clustered after one '-' ("-wU",
// "-ruwr"); a letter followed by ':' in spec takes an argument, the rest of
// its word or else the next word ("-T5000", "-T 5000"); "--" ends the
// options and is dropped; so does the first word that does not begin with
// '-', and "-" alone, which are kept. Options come back in order, since
// some programs (s6-svc) act on them in order.
func getopt(args []string, spec string) (opts []opt, rest []string, err error) {
	i := 0
	for ; i < len(args); i++ {
		word := args[i]
		if word == "--" {
			i++
			break
		}
		if len(word) < 2 || word[0] != '-' {
			break
		}
		for j := 1; j < len(word); j++ {
			c := word[j]
			k := strings.IndexByte(spec, c)
			if c == ':' || k < 0 {
				return nil, nil, fmt.Errorf("unknown option -%c", c)
			}
			if k+1 >= len(spec) || spec[k+1] != ':' {
				opts = append(opts, opt{letter: c})
				continue
			}
			switch {
			case j+1 < len(word):
				opts = append(opts, opt{letter: c, arg: word[j+1:]})
			case i+1 < len(args):
				i++
				opts = append(opts, opt{letter: c, arg: args[i]})
			default:
				return nil, nil, fmt.Errorf("option -%c needs an argument", c)
			}
			break
		}
	}
	return opts, args[i:], nil
}

// millis reads the argument of option -c: a whole number of milliseconds,
// as every s6 program takes its times.
func millis(c byte, s string) (time.Duration, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("option -%c %q: want a whole number of milliseconds", c, s)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// count reads the argument of option -c: a whole number.
func count(c byte, s string) (int, error) {
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("option -%c %q: want a whole number", c, s)
	}
	return int(n), nil
}
