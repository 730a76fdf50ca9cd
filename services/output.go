package services

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/vigil-init/vigil/process"
	"golang.org/x/sys/unix"
)

// Output copies what service processes, init, finish and oneshot scripts
// write to stdout and stderr onto the container's stdout and stderr, a
// whole line at a time, each with the writer's name in front (README
// "Output"):
//
//	web | GET / 200
//	web + …the rest of a line longer than MaxLine
//
// Each writer gets a pipe of its own per stream; one goroutine waits on all
// of them with epoll and copies. It reads one pipe at a time into a shared
// buffer, so a writer costs no memory beyond the part of a line it has
// begun (at most MaxLine), and it writes to the container's stream with
// plain blocking writes: when that stream blocks (a reader stopped), the
// copier blocks, the pipes fill, and the writers block in turn. Nothing is
// dropped and vigil's memory stays bounded. The supervisor loop never
// writes output; it only makes pipes.
type Output struct {
	epfd int

	mu      sync.Mutex
	writers map[int32]*lineWriter // by the pipe's read end; the copier reads them, Pipe adds
	idle    *sync.Cond            // signalled when writers becomes empty
}

// MaxLine is the longest line copied in one piece; a longer one is cut
// into pieces of MaxLine bytes, each after the first marked as continued.
const MaxLine = 16 << 10

// readSize is what one read takes from a writer's pipe: the pipe's own
// default capacity, so one read usually empties it.
const readSize = 64 << 10

// pipeBuf is PIPE_BUF: a write of at most this many bytes to a pipe is
// never interleaved with another process's (pipe(7)), so batches of whole
// lines up to this size stay whole even beside the CMD's own output.
const pipeBuf = 4096

// NewOutput starts the copier.
func NewOutput() (*Output, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err == nil {
		err = unix.SetNonblock(epfd, true) // so that os.NewFile makes it pollable
	}
	if err != nil {
		return nil, fmt.Errorf("create epoll: %w", err)
	}
	o := &Output{epfd: epfd, writers: make(map[int32]*lineWriter)}
	o.idle = sync.NewCond(&o.mu)
	go o.copy(os.NewFile(uintptr(epfd), "output epoll"))
	return o, nil
}

// Pipe returns the write end of a new pipe whose lines reach stream (1 or
// 2) of the container prefixed with name. The caller hands it to a child
// and closes it: the copier flushes the last partial line and forgets the
// pipe at EOF, when every process holding the write end has closed it.
func (o *Output) Pipe(name string, stream int) (*os.File, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("create output pipe for %s: %w", name, err)
	}
	// The read end, vigil's, does not block: an event left over for a
	// descriptor number closed and reused meanwhile reads EAGAIN, not a
	// wait. The write end, the child's, blocks: backpressure.
	if err := unix.SetNonblock(p[0], true); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, fmt.Errorf("create output pipe for %s: %w", name, err)
	}
	o.mu.Lock()
	o.writers[int32(p[0])] = newLineWriter(name, stream)
	o.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(p[0])}
	if err := unix.EpollCtl(o.epfd, unix.EPOLL_CTL_ADD, p[0], &ev); err != nil {
		o.forget(int32(p[0]))
		unix.Close(p[0])
		unix.Close(p[1])
		return nil, fmt.Errorf("watch output pipe for %s: %w", name, err)
	}
	return os.NewFile(uintptr(p[1]), name+" output"), nil
}

// Prefix gives a child the prefixed streams: each of files[1] and files[2]
// that is still vigil's own stdout or stderr becomes a new pipe to stream
// 1 or 2 with name in front. It returns the pipe ends the caller closes
// once the child has them. A nil Output (VIGIL_LOG_PREFIX=false) leaves
// files alone: the child writes to vigil's streams itself.
func (o *Output) Prefix(name string, files []uintptr) ([]*os.File, error) {
	if o == nil {
		return nil, nil
	}
	var opened []*os.File
	for fd := 1; fd <= 2; fd++ {
		if files[fd] != uintptr(fd) {
			continue // a logger's pipe
		}
		w, err := o.Pipe(name, fd)
		if err != nil {
			closeAll(opened)
			return nil, err
		}
		files[fd], opened = w.Fd(), append(opened, w)
	}
	return opened, nil
}

// Start starts argv as process.Start does, its stdout and stderr, where
// a.Files has vigil's own, through o with name in front.
func (o *Output) Start(name string, argv []string, a process.Attr) (int, error) {
	opened, err := o.Prefix(name, a.Files)
	if err != nil {
		return 0, err
	}
	defer closeAll(opened) // the child has them, or did not start
	return process.Start(argv, a)
}

// closeAll closes the pipe ends a child has been given (or that were made
// for a child that did not start).
func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// Drain waits, at most timeout, until every pipe has reached EOF and its
// last bytes are written: at exit, once no process is left to write. It
// reports whether all were drained.
func (o *Output) Drain(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		o.mu.Lock()
		for len(o.writers) > 0 {
			o.idle.Wait()
		}
		o.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// copy is the copier's goroutine: wait for pipes with data, read each once
// per round (fair to every writer), write what it makes. It waits in the Go
// runtime's poller, on the epoll descriptor itself (an epoll set is
// readable when one of its pipes is), so it holds no thread while idle.
func (o *Output) copy(ep *os.File) {
	events := make([]unix.EpollEvent, 64)
	var buf []byte // made at the first read: a vigil whose services print nothing needs none
	out := &batch{}
	rc, err := ep.SyscallConn()
	if err != nil {
		return
	}
	for {
		var n int
		var werr error
		err := rc.Read(func(fd uintptr) bool {
			n, werr = unix.EpollWait(int(fd), events, 0)
			return n > 0 || werr != nil // none ready: wait for the poller
		})
		if err != nil || werr != nil && werr != unix.EINTR {
			return // the epoll descriptor is gone: nothing more can be read
		}
		for _, ev := range events[:n] {
			o.mu.Lock()
			w := o.writers[ev.Fd]
			o.mu.Unlock()
			if w == nil {
				continue
			}
			if buf == nil {
				buf = make([]byte, readSize)
			}
			o.read(ev.Fd, w, buf, out)
		}
	}
}

// read takes one read from fd: lines go out; at EOF the partial line is
// flushed and the pipe forgotten.
func (o *Output) read(fd int32, w *lineWriter, buf []byte, out *batch) {
	n, err := unix.Read(int(fd), buf)
	if err == unix.EINTR || err == unix.EAGAIN {
		return
	}
	out.fd = w.stream
	if n > 0 {
		w.write(out, buf[:n])
		out.send()
		return
	}
	w.flush(out)
	out.send()
	// Forgotten before closed: once closed, the number may be a new pipe's,
	// which Pipe registers under it.
	unix.EpollCtl(o.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
	o.forget(fd)
	unix.Close(int(fd))
}

func (o *Output) forget(fd int32) {
	o.mu.Lock()
	delete(o.writers, fd)
	if len(o.writers) == 0 {
		o.idle.Broadcast()
	}
	o.mu.Unlock()
}

// lineWriter turns one writer's bytes into prefixed lines. Owned by the
// copier goroutine once added.
type lineWriter struct {
	stream  int
	prefix  []byte // "name | "
	cont    []byte // "name + ": a piece of a line cut at MaxLine
	partial []byte // the line begun and not ended yet
	cut     bool   // partial continues a line already cut: its next piece is cont
}

func newLineWriter(name string, stream int) *lineWriter {
	return &lineWriter{stream: stream, prefix: []byte(name + " | "), cont: []byte(name + " + ")}
}

// write adds the lines data completes to out, and keeps the rest of the
// last one, cutting pieces of MaxLine. Bytes pass as they are: '\r' and
// invalid UTF-8 included. partial stays shorter than MaxLine.
func (w *lineWriter) write(out *batch, data []byte) {
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		room := MaxLine - len(w.partial)
		switch {
		case i >= 0 && i <= room: // a line ends within MaxLine
			w.piece(out, data[:i])
			w.cut = false
			data = data[i+1:]
		case i < 0 && len(data) < room: // a line goes on
			w.partial = append(w.partial, data...)
			return
		default: // MaxLine without an end: cut a piece
			w.partial = append(w.partial, data[:room]...)
			data = data[room:]
			w.piece(out, nil)
			w.cut = true
		}
	}
	if cap(w.partial) > pipeBuf {
		w.partial = nil // a long line's buffer is not kept for every writer
	}
}

// piece emits partial followed by rest as one output line, and empties
// partial.
func (w *lineWriter) piece(out *batch, rest []byte) {
	p := w.prefix
	if w.cut {
		p = w.cont
	}
	out.line(p, w.partial, rest)
	w.partial = w.partial[:0]
}

// flush emits the partial line, with a newline: the writer is gone.
func (w *lineWriter) flush(out *batch) {
	if len(w.partial) > 0 {
		w.piece(out, nil)
	}
	w.partial, w.cut = nil, false
}

// batch gathers whole output lines for one stream and writes them in
// writes of at most pipeBuf bytes that end at line ends (a single longer
// line is one write of its own).
type batch struct {
	fd  int
	buf []byte
}

// line adds prefix+a+b+"\n".
func (b *batch) line(prefix, a, rest []byte) {
	n := len(prefix) + len(a) + len(rest) + 1
	if len(b.buf)+n > pipeBuf {
		b.send()
	}
	b.buf = append(append(append(append(b.buf, prefix...), a...), rest...), '\n')
}

// send writes what the batch holds, blocking while the stream is full.
func (b *batch) send() {
	p := b.buf
	for len(p) > 0 {
		n, err := unix.Write(b.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			// Someone made the stream non-blocking: wait until it takes more.
			unix.Poll([]unix.PollFd{{Fd: int32(b.fd), Events: unix.POLLOUT}}, -1)
			continue
		case err != nil:
			// EPIPE, EIO: nobody can read it any more; what is left
			// cannot be delivered.
			if !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.EIO) {
				fmt.Fprintf(os.Stderr, "vigil: level=WARN msg=\"write service output\" fd=%d err=%q\n", b.fd, err)
			}
			p = nil
			continue
		}
		p = p[n:]
	}
	b.buf = b.buf[:0]
}
