package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// facts describe the run: when, where, with what.
type facts struct {
	date, cpu, kernel, mem string
	workFS                 string // the file system of the scratch directory
	cores                  int
	loadStart, loadEnd     string
	took                   time.Duration
	contenders             []contender
	tools                  []contender // what the bench itself used
}

// contender is a program's version and the size of its binaries.
type contender struct {
	name, version, binary string
	size                  int64
}

// machine collects the facts known before measuring.
func (b *bench) machine() facts {
	f := facts{
		date:      time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		cores:     runtime.NumCPU(),
		loadStart: loadavg(),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				f.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		f.kernel = utsString(u.Release[:])
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, err := field64(b, "MemTotal:"); err == nil {
			f.mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	f.workFS = fsType(b.work)
	deb := func(pkg string) string {
		return output(b.tools["dpkg-query"], "-W", "-f=${Version}", pkg) + " (Debian " + pkg + ")"
	}
	vigil := output(b.initLink, "--version")
	if os.Getenv("BENCH_VIGIL") == "" { // built from this tree by make build
		vigil += ", built from product code last changed in " + output("git", "-C", b.repo, "log", "-1", "--format=%h",
			"--", "main.go", "init", "services", "reaper", "control", "client", "go.mod", "go.sum")
	}
	f.contenders = []contender{
		{"vigil", vigil, b.vigil, size(b.vigil)},
		{"tini", deb("tini"), b.tools["tini"], size(b.tools["tini"])},
		{"dumb-init", deb("dumb-init"), b.tools["dumb-init"], size(b.tools["dumb-init"])},
		{"Go floor", runtime.Version(), "test/bench/floor, built by the run", size(b.floor)},
		{"s6", deb("s6"), "s6-svscan + s6-supervise", size(b.tools["s6-svscan"]) + size("/usr/bin/s6-supervise")},
		{"runit", deb("runit"), "runsvdir + runsv", size(b.tools["runsvdir"]) + size("/usr/bin/runsv")},
		{"supervisord", deb("supervisor") + ", " + output(interpreter(b.tools["supervisord"]), "--version"), b.tools["supervisord"], 0},
	}
	gcc, _, _ := strings.Cut(output(b.tools["gcc"], "--version"), "\n")
	f.tools = []contender{
		{name: "unshare", version: deb("util-linux")},
		{name: "go", version: output(b.tools["go"], "version")},
		{name: "gcc (helpers)", version: gcc},
		{name: "gnuplot", version: output(b.tools["gnuplot"], "--version")},
	}
	return f
}

// loadavg is the 1, 5 and 15 minute load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// size is the size of the file at path, 0 if unknown.
func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// utsString is a NUL-terminated utsname field.
func utsString(f []int8) string {
	var s strings.Builder
	for _, c := range f {
		if c == 0 {
			break
		}
		s.WriteByte(byte(c))
	}
	return s.String()
}

// fsType names the file system at path, by its magic number (statfs(2)).
func fsType(path string) string {
	var st syscall.Statfs_t
	if syscall.Statfs(path, &st) != nil {
		return "an unknown file system"
	}
	names := map[int64]string{0xEF53: "ext4", 0x01021994: "tmpfs", 0x794c7630: "overlayfs", 0x58465342: "xfs", 0x9123683E: "btrfs"}
	if n, ok := names[int64(st.Type)]; ok {
		return n
	}
	return fmt.Sprintf("file system 0x%x", st.Type)
}

// interpreter is the program named by the #! line of the script at path.
func interpreter(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(b), "#!") {
		return "?"
	}
	line, _, _ := strings.Cut(string(b[2:]), "\n")
	f := strings.Fields(line)
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
