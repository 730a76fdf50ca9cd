package control

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// The control socket is made of raw unix(7) calls wrapped in os.File
// rather than with package net: net costs vigil's binary ~450 KB (DNS, TCP,
// netip) for the one socket it needs. A non-blocking descriptor in an
// os.File is served by the runtime's poller, so reads and writes take
// deadlines and Close wakes a blocked Accept, as with net.

// listener is a listening unix socket.
type listener struct{ f *os.File }

// listenUnix binds and listens on path.
func listenUnix(path string) (*listener, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(fd, 64); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listen: %w", err)
	}
	return &listener{f: os.NewFile(uintptr(fd), path)}, nil
}

// accept waits for a connection through the poller.
func (l *listener) accept() (*os.File, error) {
	rc, err := l.f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var nfd int
	var aerr error
	err = rc.Read(func(fd uintptr) bool {
		nfd, _, aerr = unix.Accept4(int(fd), unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
		return !errors.Is(aerr, unix.EAGAIN)
	})
	if err != nil {
		return nil, err
	}
	if aerr != nil {
		return nil, aerr
	}
	return os.NewFile(uintptr(nfd), "control connection"), nil
}

func (l *listener) close() error { return l.f.Close() }

// dialUnix connects to the socket at path.
func dialUnix(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	// Blocking connect: on a unix socket it does not wait for the server's
	// accept, only for room in its backlog.
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("set nonblock: %w", err)
	}
	return os.NewFile(uintptr(fd), path), nil
}
