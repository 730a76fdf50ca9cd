package control

import (
	"errors"
	"fmt"
	"hash/fnv"
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

// listenUnix binds and listens on path: a file, or with a leading '@' a
// name in the abstract namespace (unix(7)).
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

// dialUnix connects to the socket at path (a leading '@': abstract).
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

// abstractAddress is the control socket's name in the abstract namespace,
// the fallback when the run dir cannot hold a file (README "The client").
// An abstract name belongs to the network namespace, which the containers
// of a pod share, so it carries the mount namespace too: each container
// has its own, and `docker exec` or `kubectl exec` enters it, so the
// client finds the name its own vigil chose. Over-long names are hashed to
// fit sun_path.
func abstractAddress(runDir string) string {
	mnt, _ := os.Readlink("/proc/self/ns/mnt") // "mnt:[4026532201]"; "" without /proc
	name := "@vigil/" + mnt + SocketPath(runDir)
	if len(name) > 107 {
		h := fnv.New64a()
		h.Write([]byte(name))
		name = fmt.Sprintf("@vigil/%s/%x", mnt, h.Sum64())
	}
	return name
}

// peerUid is the uid of the process at the other end of conn.
func peerUid(conn *os.File) (uint32, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := rc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if cerr != nil {
		return 0, cerr
	}
	return cred.Uid, nil
}
