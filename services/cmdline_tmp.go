package services

import (
	"bytes"
	"strings"
)

// TEMPORARY until package execline lands: lexCommandLine splits an up or
// down file into words, without quotes, escapes or blocks.
func lexCommandLine(data []byte) ([]string, error) {
	var words []string
	for _, line := range bytes.Split(data, []byte("\n")) {
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		words = append(words, strings.Fields(string(line))...)
	}
	return words, nil
}

// TEMPORARY: checkCommandLine accepts everything.
func checkCommandLine(argv []string) error { return nil }
