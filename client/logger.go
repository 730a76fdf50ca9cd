package client

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Logger defaults, as s6-log and svlogd have them.
const (
	defaultArchives = 10
	defaultSize     = 1 << 20
	archivePrefix   = "@"
	archiveSuffix   = ".s"
)

// writeRetry is the wait before writing again after a failed write (disk
// full): a logger blocks, and its producer behind it, rather than dropping
// lines. A variable so that a test can shorten it.
var writeRetry = time.Second

// logger writes lines to DIR/current, rotating it into archives.
type logger struct {
	dir      string
	keep     int            // archives kept
	max      int64          // size at which current is rotated
	stamp    bool           // prefix each line with an ISO 8601 UTC time stamp
	current  io.WriteCloser // DIR/current
	size     int64
	stderr   io.Writer
	now      func() time.Time
	retrying bool
}

// log is `vigil log [-n N] [-s SIZE] [-t] DIR`: a logger for a log/run.
// It reads stdin to EOF, one line at a time, writes each line to
// DIR/current at once, and exits 0 at EOF; a last line without a newline
// gets one.
func (c *command) log() int {
	l := &logger{stderr: c.stderr, now: time.Now}
	var size string
	rest, ok := c.flags(func(fs *flag.FlagSet) {
		fs.IntVar(&l.keep, "n", defaultArchives, "archives kept")
		fs.StringVar(&size, "s", strconv.Itoa(defaultSize), "rotation size")
		fs.BoolVar(&l.stamp, "t", false, "time stamps")
	})
	if !ok {
		return exitUsage
	}
	max, err := parseSize(size)
	switch {
	case err != nil:
		return c.usageError(err)
	case l.keep < 0:
		return c.usageError(fmt.Errorf("-n %d: want 0 or more archives", l.keep))
	case len(rest) != 1:
		return c.usageError(errors.New("want exactly one directory"))
	}
	l.dir, l.max = rest[0], max
	if err := l.open(); err != nil {
		return c.fail(err)
	}
	if err := l.copy(os.Stdin); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// parseSize reads a byte count with an optional k or M suffix (1024s).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "m"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > (1<<40)/mult {
		return 0, fmt.Errorf("size %q: want a number of bytes, optionally with k or M (at least 1)", s)
	}
	return n * mult, nil
}

func (l *logger) open() error {
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return fmt.Errorf("create log dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(l.dir, "current"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log: %w", err)
	}
	l.current, l.size = f, fi.Size()
	return nil
}

// copy reads lines until EOF and writes each one.
func (l *logger) copy(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if line[len(line)-1] != '\n' {
				line = append(line, '\n')
			}
			l.write(line)
		}
		if errors.Is(err, io.EOF) {
			return l.current.Close()
		}
		if err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
	}
}

// write writes one line, rotating first when it would make current
// larger than the limit; it retries until the write succeeds.
func (l *logger) write(line []byte) {
	if l.stamp {
		line = append([]byte(l.now().UTC().Format("2006-01-02T15:04:05.000000Z ")), line...)
	}
	if l.size > 0 && l.size+int64(len(line)) > l.max {
		l.rotate()
	}
	for {
		n, err := l.current.Write(line)
		l.size += int64(n)
		if err == nil {
			if l.retrying {
				fmt.Fprintln(l.stderr, "vigil log: writing again")
				l.retrying = false
			}
			return
		}
		line = line[n:]
		if !l.retrying {
			fmt.Fprintf(l.stderr, "vigil log: %v; retrying every %v\n", err, writeRetry)
			l.retrying = true
		}
		time.Sleep(writeRetry)
	}
}

// rotate renames current to an archive named by the time, opens a new
// current and deletes the oldest archives beyond the number kept. A
// failure is reported and logging goes on in the old file.
func (l *logger) rotate() {
	name := archivePrefix + l.now().UTC().Format("20060102T150405.000000000Z") + archiveSuffix
	if err := os.Rename(filepath.Join(l.dir, "current"), filepath.Join(l.dir, name)); err != nil {
		fmt.Fprintf(l.stderr, "vigil log: rotate: %v\n", err)
		return
	}
	l.current.Close()
	for {
		if err := l.open(); err == nil {
			break
		} else if !l.retrying {
			fmt.Fprintf(l.stderr, "vigil log: %v; retrying every %v\n", err, writeRetry)
			l.retrying = true
		}
		time.Sleep(writeRetry)
	}
	l.prune()
}

// prune deletes archives beyond the newest l.keep. Archive names sort in
// time order.
func (l *logger) prune() {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		fmt.Fprintf(l.stderr, "vigil log: prune: %v\n", err)
		return
	}
	var archives []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), archivePrefix) && strings.HasSuffix(e.Name(), archiveSuffix) {
			archives = append(archives, e.Name())
		}
	}
	sort.Strings(archives)
	for len(archives) > l.keep {
		if err := os.Remove(filepath.Join(l.dir, archives[0])); err != nil {
			fmt.Fprintf(l.stderr, "vigil log: prune: %v\n", err)
		}
		archives = archives[1:]
	}
}
