package execline

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// The descriptor builtins change the process's own descriptors with raw
// system calls, then exec: nothing of Go's os.File is involved, so no
// descriptor the runtime holds is in the way, and what they make is not
// close-on-exec.

// moveFd makes to a copy of from (dup2 that clears close-on-exec), and
// closes from unless keep. A descriptor moved onto itself is left as it
// is, if it is open.
func moveFd(to, from int, keep bool) error {
	if to == from {
		_, err := unix.FcntlInt(uintptr(from), unix.F_GETFD, 0)
		return err
	}
	for {
		err := unix.Dup3(from, to, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		break
	}
	if !keep {
		unix.Close(from)
	}
	return nil
}

// fdUsage is the usage of fdmove, fdclose, fdswap.
var fdUsage = map[string]string{
	"fdmove":  "fdmove [ -c ] to from prog...",
	"fdclose": "fdclose fd prog...",
	"fdswap":  "fdswap fd1 fd2 prog...",
}

// fdmove [ -c ] to from prog…: move descriptor from to number to, or copy
// it with -c (fdmove.html).
func parseFdmove(inv invocation, args []string) (command, error) {
	usage := fdUsage["fdmove"]
	opts, args, err := Getopt(args, "c")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	if len(args) < 3 {
		return nil, &usageError{"too few arguments", usage}
	}
	to, ok1 := parseFd(args[0])
	from, ok2 := parseFd(args[1])
	if !ok1 || !ok2 {
		return nil, &usageError{"descriptors must be numbers", usage}
	}
	keep := len(opts) > 0
	return &simple{inv.name, func() (int, []string) {
		if err := moveFd(to, from, keep); err != nil {
			return fatal(inv.name, exitSys, "unable to move fd %d to fd %d: %v", from, to, err), nil
		}
		return 0, os.Environ()
	}, args[2:]}, nil
}

// fdclose fd prog… (fdclose.html).
func parseFdclose(inv invocation, args []string) (command, error) {
	if len(args) < 2 {
		return nil, &usageError{"too few arguments", fdUsage["fdclose"]}
	}
	fd, ok := parseFd(args[0])
	if !ok {
		return nil, &usageError{"the descriptor must be a number", fdUsage["fdclose"]}
	}
	return &simple{inv.name, func() (int, []string) {
		unix.Close(fd)
		return 0, os.Environ()
	}, args[1:]}, nil
}

// fdswap fd1 fd2 prog… (fdswap.html).
func parseFdswap(inv invocation, args []string) (command, error) {
	usage := fdUsage["fdswap"]
	if len(args) < 3 {
		return nil, &usageError{"too few arguments", usage}
	}
	fd1, ok1 := parseFd(args[0])
	fd2, ok2 := parseFd(args[1])
	if !ok1 || !ok2 {
		return nil, &usageError{"descriptors must be numbers", usage}
	}
	return &simple{inv.name, func() (int, []string) {
		if err := swapFds(fd1, fd2); err != nil {
			return fatal(inv.name, exitSys, "unable to swap fds: %v", err), nil
		}
		return 0, os.Environ()
	}, args[2:]}, nil
}

// swapFds exchanges what descriptors a and b refer to.
func swapFds(a, b int) error {
	if a == b {
		return moveFd(a, b, true)
	}
	// The spare copy is close-on-exec: should the swap fail half-way, it
	// does not leak into the next program.
	tmp, err := unix.FcntlInt(uintptr(a), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(tmp)
	if err := moveFd(a, b, true); err != nil {
		return err
	}
	return moveFd(b, tmp, true)
}

// redirfd -r|-w|-u|-a|-c|-x [ -n ] [ -b ] fd file prog…: open file on
// descriptor fd, for reading (-r), writing truncated (-w), both (-u),
// appending (-a; -c: without creating it), or creating it anew (-x);
// -n opens it non-blocking, -b switches the blocking mode after
// (redirfd.html).
type redirfd struct {
	prog     string
	fd       int
	file     string
	flags    int
	nonblock bool // -n
	switchNB bool // -b
	rest     []string
}

func parseRedirfd(inv invocation, args []string) (command, error) {
	const usage = "redirfd -[ r | w | u | a | c | x ] [ -n ] [ -b ] fd file prog..."
	opts, args, err := Getopt(args, "rwuacxnb")
	if err != nil {
		return nil, &usageError{err.Error(), usage}
	}
	c := &redirfd{prog: inv.name, flags: -1}
	modes := map[byte]int{
		'r': unix.O_RDONLY,
		'w': unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC,
		'u': unix.O_RDWR,
		'a': unix.O_WRONLY | unix.O_CREAT | unix.O_APPEND,
		'c': unix.O_WRONLY | unix.O_APPEND,
		'x': unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL,
	}
	for _, o := range opts {
		switch o.Letter {
		case 'n':
			c.nonblock = true
		case 'b':
			c.switchNB = true
		default:
			c.flags = modes[o.Letter] // the last mode given wins
		}
	}
	if c.flags < 0 {
		return nil, &usageError{"one of -r -w -u -a -c -x is needed", usage}
	}
	if len(args) < 3 {
		return nil, &usageError{"too few arguments", usage}
	}
	fd, ok := parseFd(args[0])
	if !ok {
		return nil, &usageError{"the descriptor must be a number", usage}
	}
	c.fd, c.file, c.rest = fd, args[1], args[2:]
	return c, nil
}

func (c *redirfd) chain() ([][]string, []string) { return nil, c.rest }

func (c *redirfd) run() int {
	flags := c.flags
	if c.nonblock {
		flags |= unix.O_NONBLOCK
	}
	fd, err := openRetry(c.file, flags)
	if errors.Is(err, unix.ENXIO) && flags&unix.O_ACCMODE == unix.O_WRONLY {
		// A fifo without a reader refuses a non-blocking writer: be the
		// reader for the time of the open (redirfd.html, "fifo handling").
		if r, rerr := openRetry(c.file, unix.O_RDONLY|unix.O_NONBLOCK); rerr == nil {
			fd, err = openRetry(c.file, flags)
			unix.Close(r)
		}
	}
	if err != nil {
		return fatal(c.prog, exitSys, "unable to open %s: %v", c.file, err)
	}
	if err := moveFd(c.fd, fd, false); err != nil {
		return fatal(c.prog, exitSys, "unable to move fd %d to fd %d: %v", fd, c.fd, err)
	}
	if c.switchNB {
		if err := unix.SetNonblock(c.fd, !c.nonblock); err != nil {
			return fatal(c.prog, exitSys, "unable to change blocking mode: %v", err)
		}
	}
	return execNext(c.prog, c.rest, os.Environ())
}

// openRetry is open(2) with mode 0666 (less the umask), retried on EINTR.
// Not close-on-exec: the descriptor is for the next program.
func openRetry(path string, flags int) (int, error) {
	for {
		fd, err := unix.Open(path, flags, 0o666)
		if !errors.Is(err, unix.EINTR) {
			return fd, err
		}
	}
}
