package client

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
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
	current  io.WriteCloser // DIR/current, opened to append (and read its last byte)
	size     int64
	stderr   io.Writer
	now      func() time.Time
	retrying bool
	midLine  bool   // the last byte written was not a newline
	out      []byte // what one read makes to be written, reused
}

// log is `vigil log [-n N] [-s SIZE] [-t] DIR`: a logger for a log/run.
// It writes what it reads from stdin to DIR/current at once, and exits 0
// at EOF (a last line without a newline gets one) or on SIGTERM, SIGINT or
// SIGHUP, after writing what it has read: what it has not read stays in
// the pipe, which vigil holds, for the logger that comes next. So a
// restart loses nothing, and a SIGKILL at most what one read took in and
// was not written yet (readSize).
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
	stop, err := stopPipe()
	if err != nil {
		return c.fail(err)
	}
	if err := l.open(); err != nil {
		return c.fail(err)
	}
	if err := l.serve(0, stop); err != nil {
		return c.fail(err)
	}
	return exitOK
}

// readSize is how much one read takes from stdin: what a SIGKILL can lose.
const readSize = 16 << 10

// stopPipe returns a descriptor that becomes readable when SIGTERM, SIGINT
// or SIGHUP arrives, for poll(2) to wait on beside stdin.
func stopPipe() (int, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, fmt.Errorf("create signal pipe: %w", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP)
	go func() {
		<-sigs
		unix.Write(p[1], []byte{0})
	}()
	return p[0], nil
}

// serve copies fd to the log until EOF or a stop signal. It reads only
// when poll says fd has data and stop has none, so once a signal came it
// takes nothing more from the pipe: every byte read is written first.
func (l *logger) serve(fd, stop int) error {
	buf := make([]byte, readSize)
	fds := []unix.PollFd{{Fd: int32(stop), Events: unix.POLLIN}, {Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return fmt.Errorf("poll stdin: %w", err)
		}
		if fds[0].Revents != 0 {
			return l.current.Close() // a stop signal: the rest is the next logger's
		}
		if fds[1].Revents == 0 {
			continue
		}
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
			continue
		case err != nil:
			return fmt.Errorf("read stdin: %w", err)
		case n == 0:
			return l.end()
		}
		l.feed(buf[:n])
	}
}

// copy writes everything r holds to the log, then ends it.
func (l *logger) copy(r io.Reader) error {
	buf := make([]byte, readSize)
	for {
		n, err := r.Read(buf)
		l.feed(buf[:n])
		if errors.Is(err, io.EOF) {
			return l.end()
		}
		if err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
	}
}

// end finishes the log at EOF: a last line without a newline gets one.
func (l *logger) end() error {
	if l.midLine {
		l.write([]byte("\n"))
	}
	return l.current.Close()
}

// feed writes what one read brought, as it is, with a time stamp before
// each line with -t; current is rotated only between lines. A partial
// last line is written too: the next read, or the next logger, carries
// on with it.
func (l *logger) feed(b []byte) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line = b[:i+1]
		}
		b = b[len(line):]
		if !l.midLine {
			if pending := l.size + int64(len(l.out)); pending > 0 && pending+int64(len(line)) > l.max {
				l.flush()
				l.rotate()
			}
			if l.stamp {
				l.out = l.now().UTC().AppendFormat(l.out, "2006-01-02T15:04:05.000000Z ")
			}
		}
		l.out = append(l.out, line...)
		l.midLine = line[len(line)-1] != '\n'
	}
	l.flush()
}

// flush writes what feed gathered.
func (l *logger) flush() {
	if len(l.out) > 0 {
		l.write(l.out)
		l.out = l.out[:0]
	}
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
	f, err := os.OpenFile(filepath.Join(l.dir, "current"), os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log: %w", err)
	}
	l.current, l.size = f, fi.Size()
	l.midLine = l.size > 0 && lastByte(f, l.size) != '\n' // a line an earlier logger began
	return nil
}

// write writes b to current; it retries until the write succeeds.
func (l *logger) write(line []byte) {
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

// lastByte is the byte of f at size-1, or '\n' when it cannot be read.
func lastByte(f *os.File, size int64) byte {
	b := []byte{'\n'}
	f.ReadAt(b, size-1)
	return b[0]
}
