package client

import (
	"fmt"
	"strconv"
	"time"
)

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
