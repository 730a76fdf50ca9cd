package process

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Envdir rules, as daemontools' envdir and s6-envdir apply them:
//
//   - each regular file (or symlink to one) sets the variable named after
//     it to its first line, with trailing spaces and tabs removed and NUL
//     bytes turned into newlines (the only way to write a multi-line value);
//   - an empty file (0 bytes) unsets the variable; a file holding only a
//     newline sets it to "";
//   - names beginning with "." are ignored (as both tools do: it also keeps
//     editor and temporary files out), and so are subdirectories and other
//     non-regular files;
//   - a name containing "=" is an error: it cannot be a variable name.

// maxEnvValue bounds how much of a file's first line is read, so a huge
// file without newlines in env/ cannot make vigil allocate without limit.
// It is about the kernel's limit on one environment string (MAX_ARG_STRLEN).
const maxEnvValue = 128 << 10

// EnvDirError is a failure to read an envdir: the directory, the file at
// fault ("" when it is the directory itself) and the cause.
type EnvDirError struct {
	Dir, File string
	Err       error
}

func (e *EnvDirError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("read envdir %s: %v", e.Dir, e.Err)
	}
	return fmt.Sprintf("read envdir %s: file %q: %v", e.Dir, e.File, e.Err)
}

// Unwrap returns the cause.
func (e *EnvDirError) Unwrap() error { return e.Err }

// ReadEnvDir reads the envdir dir and returns its entries sorted by name.
// Its errors are *EnvDirError. It is a snapshot's first Read: every file
// is new to it.
func ReadEnvDir(dir string) ([]EnvEntry, error) {
	return (&EnvSnapshot{dir: dir}).Read()
}

// readFirstLine returns r's content up to and including the first newline
// (or all of it when there is none), reading at most maxEnvValue+1 bytes.
// A first line longer than maxEnvValue is an error.
func readFirstLine(r io.Reader) ([]byte, error) {
	buf := make([]byte, 0, 256) // most values are short
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), maxEnvValue+1-len(buf)))
		}
		start := len(buf)
		n, err := r.Read(buf[start:min(cap(buf), maxEnvValue+1)])
		buf = buf[:start+n]
		if i := bytes.IndexByte(buf[start:], '\n'); i >= 0 {
			return buf[:start+i+1], nil
		}
		switch {
		case len(buf) > maxEnvValue:
			return nil, fmt.Errorf("first line longer than %d bytes", maxEnvValue)
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return nil, err
		}
	}
}

// decodeEnvValue turns the start of an envdir file into a value: empty
// (0 bytes) means unset; otherwise the first line, trailing spaces and tabs
// removed, then NULs turned into newlines (daemontools' order).
func decodeEnvValue(data []byte) (value string, unset bool) {
	if len(data) == 0 {
		return "", true
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	data = bytes.TrimRight(data, " \t")
	return strings.ReplaceAll(string(data), "\x00", "\n"), false
}

// encodeEnvValue is the file content that decodeEnvValue reads back as
// value: newlines written as NULs, and a trailing newline, so that an empty
// value is a one-byte file (set to "") and not an empty one (unset).
// Trailing spaces and tabs cannot be encoded: they are read back stripped.
func encodeEnvValue(value string) []byte {
	return []byte(strings.ReplaceAll(value, "\n", "\x00") + "\n")
}

// envFileName reports whether a variable named name can be in an envdir
// snapshot: WriteEnvDir skips the others ("", ".", "..", names beginning
// with "." or holding '/' or NUL), so their absence from one means nothing.
func envFileName(name string) bool {
	return name != "" && !strings.HasPrefix(name, ".") && !strings.ContainsAny(name, "/\x00")
}
