package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// EnvSnapshot is an envdir that boot writes from its environment and reads
// back after each init script (README "Boot", step 4). It remembers each
// file's value and the stat it was last seen with (inode, size, mtime), so
// that a reading opens only the files whose stat changed, and the ones that
// appeared; the others keep the value already known. Owned by its caller:
// nothing here is shared.
type EnvSnapshot struct {
	dir   string
	files map[string]envFile // by name: every variable file, as last seen
}

// envFile is one file of the snapshot as last seen.
type envFile struct {
	entry EnvEntry
	ino   uint64 // 0: not known yet (a file vigil wrote); taken from the next stat
	size  int64
	mtime unix.Timespec
	// racy is true when mtime was too close to the moment of the stat for
	// a later write in the same tick of the file system's clock to change
	// it: the file is read again at the next reading (git's "racily clean").
	racy bool
}

// clockSlack bounds how far a file's mtime may lag behind the moment it
// was written: the kernel stamps files with a coarse clock (one tick, 1 to
// 10 ms), and some file systems keep whole seconds. A file whose mtime is
// within clockSlack of the moment its stat was taken may still change
// without its mtime changing.
const clockSlack = time.Second

// WriteEnvDir writes env (KEY=VALUE strings) to dir as an envdir snapshot
// and returns it. Each file holds the value with newlines written as NULs,
// then a newline; an empty value reads back as "", not unset. When env
// holds a name twice, the first wins, as getenv(3) sees it.
//
// The values are known, so nothing is read back. When dir does not exist,
// the files are written with plain openat/write/close (no fsync: the
// snapshot lives as long as the container) into a fresh directory dir.new,
// renamed into place once complete, so that dir never exists half written.
// A dir left by an earlier boot (a /run kept across a restart) is brought
// up to date where it stands: files that already hold the right value are
// kept, the others replaced through a temporary file and rename(2), and
// the variable files that are not in env removed (names beginning with "."
// and subdirectories are left alone: no reader sees them). Creating files
// is what costs on a disk: on ext4, creating 200 files where 200 were just
// deleted took ~40 ms, reading them back ~1 ms.
//
// What envdir cannot hold is lost or skipped: trailing spaces and tabs of a
// value are stripped on reading (as with any envdir); a variable whose name
// cannot be a file name ("", ".", "..", or containing '/'), begins with "."
// (ReadEnvDir ignores those) or holds a NUL, and an entry without '=', are
// skipped.
//
// Every file vigil writes gets the same mtime, whole seconds before the
// write: an init script that rewrites a file, even with a value of the same
// size and within the same clock tick, gives it a later mtime, which Read
// sees without opening the file.
func WriteEnvDir(dir string, env []string) (*EnvSnapshot, error) {
	s := &EnvSnapshot{dir: dir, files: make(map[string]envFile, len(env))}
	w := snapshotWriter{s: s, mtime: unix.NsecToTimespec(time.Now().Add(-2 * clockSlack).Truncate(time.Second).UnixNano())}
	var st unix.Stat_t
	err := unix.Fstatat(unix.AT_FDCWD, dir, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		err = w.update(dir, env, st.Mode&0o777)
	case err == nil: // a file or a symlink where the directory goes
		if err = unix.Unlink(dir); err == nil {
			err = w.fresh(dir, env)
		}
	case errors.Is(err, unix.ENOENT):
		err = w.fresh(dir, env)
	}
	if err != nil {
		return nil, fmt.Errorf("write envdir %s: %w", dir, err)
	}
	return s, nil
}

// Dir is the snapshot's directory.
func (s *EnvSnapshot) Dir() string { return s.dir }

// Entries are the variables of the snapshot as last seen, sorted by name:
// what ReadEnvDir would return.
func (s *EnvSnapshot) Entries() []EnvEntry {
	names := make([]string, 0, len(s.files))
	for name := range s.files {
		names = append(names, name)
	}
	slices.Sort(names) // not SortFunc on entries: a sort of its own costs the binary ~10 KB
	entries := make([]EnvEntry, len(names))
	for i, name := range names {
		entries[i] = s.files[name].entry
	}
	return entries
}

// snapshotWriter writes the files of one WriteEnvDir.
type snapshotWriter struct {
	s     *EnvSnapshot
	mtime unix.Timespec // given to every file written
	dirfd int
}

// tmpName is the file a changed value is written to before it is renamed
// over the old one: a reader sees the old value or the new, never an empty
// file (which would unset the variable). Its "." hides it from readers.
const tmpName = ".vigil-new"

// fresh writes env into dir.new and renames it to dir.
func (w *snapshotWriter) fresh(dir string, env []string) error {
	tmp := dir + ".new"
	if err := os.RemoveAll(tmp); err != nil { // a boot that stopped halfway
		return err
	}
	if err := unix.Mkdir(tmp, 0o700); err != nil { // the environment holds secrets
		return fmt.Errorf("mkdir %s: %w", tmp, err)
	}
	if err := w.open(tmp); err != nil {
		return err
	}
	defer unix.Close(w.dirfd)
	for _, e := range wantedFiles(env) {
		if err := w.create(e.name, e.data, e.name); err != nil {
			return err
		}
	}
	if err := unix.Rename(tmp, dir); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}

// update brings the envdir of an earlier boot to env: see WriteEnvDir.
func (w *snapshotWriter) update(dir string, env []string, mode uint32) error {
	if mode != 0o700 {
		if err := unix.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("chmod %s: %w", dir, err)
		}
	}
	if err := w.open(dir); err != nil {
		return err
	}
	defer unix.Close(w.dirfd)
	names, err := dirNames(w.dirfd)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	present := make(map[string]bool, len(names))
	for _, name := range names {
		present[name] = true
	}
	for _, e := range wantedFiles(env) {
		if present[e.name] {
			delete(present, e.name)
			if err := w.keepOrReplace(e.name, e.data); err != nil {
				return err
			}
			continue
		}
		if err := w.create(e.name, e.data, e.name); err != nil {
			return err
		}
	}
	for name := range present {
		if name[0] == '.' {
			continue
		}
		// unlinkat without AT_REMOVEDIR refuses a directory (EISDIR): only
		// what a reader would take for a variable goes.
		if err := unix.Unlinkat(w.dirfd, name, 0); err != nil && err != unix.EISDIR && err != unix.ENOENT {
			return fmt.Errorf("remove %s: %w", filepath.Join(dir, name), err)
		}
	}
	return nil
}

func (w *snapshotWriter) open(dir string) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	w.dirfd = fd
	return nil
}

// keepOrReplace keeps the file name when it is a regular file holding
// data, and writes data in its place otherwise.
func (w *snapshotWriter) keepOrReplace(name string, data []byte) error {
	// O_NOFOLLOW: a symlink is replaced, not followed; O_NONBLOCK: a FIFO
	// must not block the boot.
	fd, err := unix.Openat(w.dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err == nil {
		kept, err := w.keep(fd, name, data)
		unix.Close(fd)
		if kept || err != nil {
			return err
		}
	}
	var st unix.Stat_t
	if unix.Fstatat(w.dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if err := os.RemoveAll(filepath.Join(w.s.dir, name)); err != nil {
			return err
		}
		return w.create(name, data, name)
	}
	return w.create(tmpName, data, name)
}

// keep reports whether the open file fd is a regular file holding exactly
// data, and if so records it as it is.
func (w *snapshotWriter) keep(fd int, name string, data []byte) (bool, error) {
	now := time.Now()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, fmt.Errorf("stat %s: %w", filepath.Join(w.s.dir, name), err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size != int64(len(data)) {
		return false, nil
	}
	buf := make([]byte, len(data)+1) // +1: a file that grew meanwhile does not compare equal
	n, err := readFull(fd, buf)
	if err != nil || n != len(data) || string(buf[:n]) != string(data) {
		return false, nil
	}
	w.s.files[name] = seen(name, data, &st, now)
	return true, nil
}

// create writes data to the new file tmp in the directory and, when tmp is
// not name, renames it to name. The file gets w.mtime.
func (w *snapshotWriter) create(tmp string, data []byte, name string) error {
	path := filepath.Join(w.s.dir, name)
	fd, err := unix.Openat(w.dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	_, err = writeFull(fd, data)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.UtimesNanoAt(w.dirfd, tmp, []unix.Timespec{w.mtime, w.mtime}, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err == nil && tmp != name {
		err = unix.Renameat(w.dirfd, tmp, w.dirfd, name)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	value, unset := decodeEnvValue(data)
	w.s.files[name] = envFile{
		entry: EnvEntry{Name: name, Value: value, Unset: unset},
		size:  int64(len(data)), mtime: w.mtime,
	}
	return nil
}

// wantedFile is one file of the snapshot to be: its name and content.
type wantedFile struct {
	name string
	data []byte
}

// wantedFiles are the files that hold env, the first of each name.
func wantedFiles(env []string) []wantedFile {
	files := make([]wantedFile, 0, len(env))
	done := make(map[string]bool, len(env))
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !envFileName(name) || done[name] {
			continue
		}
		done[name] = true
		files = append(files, wantedFile{name, encodeEnvValue(value)})
	}
	return files
}

// Read reads the snapshot's directory as ReadEnvDir does and returns its
// entries sorted by name, opening only the files that are new or whose
// stat (inode, size, mtime) differs from when they were last seen. Its
// errors are *EnvDirError; after one, the snapshot is as it was.
func (s *EnvSnapshot) Read() ([]EnvEntry, error) {
	files, file, err := s.read()
	if err != nil {
		return nil, &EnvDirError{Dir: s.dir, File: file, Err: err}
	}
	s.files = files
	return s.Entries(), nil
}

// read is Read, returning the name of the file at fault apart from the
// error.
func (s *EnvSnapshot) read() (files map[string]envFile, file string, err error) {
	dirfd, err := unix.Open(s.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", err
	}
	defer unix.Close(dirfd)
	names, err := dirNames(dirfd)
	if err != nil {
		return nil, "", err
	}
	files = make(map[string]envFile, len(names))
	for _, name := range names {
		if name[0] == '.' {
			continue
		}
		now := time.Now() // before the stat: see seen
		var st unix.Stat_t
		if err := unix.Fstatat(dirfd, name, &st, 0); err != nil { // follows symlinks, as ReadEnvDir does
			return nil, name, fmt.Errorf("stat %s: %w", filepath.Join(s.dir, name), err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		if strings.Contains(name, "=") {
			return nil, name, errors.New("a variable name cannot contain '='")
		}
		if old, ok := s.files[name]; ok && old.same(&st) {
			old.ino = st.Ino // known now for a file vigil wrote
			files[name] = old
			continue
		}
		data, err := readFileAt(dirfd, name)
		if err != nil {
			return nil, name, err
		}
		files[name] = seen(name, data, &st, now)
	}
	return files, "", nil
}

// same reports whether st is the stat the file was last seen with, so
// that its value is known without reading it.
func (f envFile) same(st *unix.Stat_t) bool {
	return !f.racy && (f.ino == 0 || f.ino == st.Ino) && f.size == st.Size && f.mtime == st.Mtim
}

// seen is the record of a file read (data: its first line, or its content)
// with stat st, taken at now or just after.
func seen(name string, data []byte, st *unix.Stat_t, now time.Time) envFile {
	value, unset := decodeEnvValue(data)
	return envFile{
		entry: EnvEntry{Name: name, Value: value, Unset: unset},
		ino:   st.Ino, size: st.Size, mtime: st.Mtim,
		racy: racy(st, now),
	}
}

// racy reports whether the file of st, whose stat was taken at now or
// just after, may still change without its mtime changing.
func racy(st *unix.Stat_t, now time.Time) bool {
	return time.Unix(st.Mtim.Unix()).After(now.Add(-clockSlack))
}

// readFileAt reads the first line of the file name in dirfd.
func readFileAt(dirfd int, name string) ([]byte, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readFirstLine(fdReader(fd))
}

// fdReader reads a descriptor with read(2) itself: an os.File would cost
// two system calls more per file (the poller's fcntl and epoll_ctl).
type fdReader int

func (fd fdReader) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(fd), p)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// dirNames lists the directory open as fd, without "." and "..".
func dirNames(fd int) ([]string, error) {
	buf := make([]byte, 16<<10)
	var names []string
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}

// readFull reads into buf until it is full or the file ends.
func readFull(fd int, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

// writeFull writes all of data to fd.
func writeFull(fd int, data []byte) (int, error) {
	n := 0
	for n < len(data) {
		m, err := unix.Write(fd, data[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}
