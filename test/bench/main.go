// Command bench is `make bench`: vigil beside tini, dumb-init and a Go
// floor as PID 1 in front of a CMD, and beside s6, runit and supervisord as
// supervisors of 10, 100 and 1000 services, each as PID 1 of a fresh PID
// namespace, on this machine, now. It writes benchmarks.md and
// benchmarks.png (docs/ by default); docs/benchmarks.md says what is
// measured and how.
//
// test/bench.sh installs the contenders with apt, builds bin/vigil and runs
// it (as root: PID namespaces). Its environment:
//
//	BENCH_VIGIL=PATH  the vigil binary under test (default: bin/vigil, built first)
//	BENCH_QUICK=1     small N, few runs, short idle window, output to bin/bench-quick/
//	BENCH_OUT=DIR     where the two files go
//	BENCH_N=10,100    the tree sizes (1 to 1000: runsvdir's limit)
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// bench is one run of the benchmark: its settings, the programs it runs,
// and where it works.
type bench struct {
	quick        bool
	repo         string // the repository's root
	out          string // where benchmarks.md and .png go
	vigil        string // the vigil binary under test
	work         string // scratch directory, removed at the end
	shm          string // scratch directory on tmpfs, removed at the end
	initLink     string // work/init → vigil: boot mode (argv[0] is not "vigil")
	floor        string // the Go floor
	service      string // the services' helper (symlinks resolved)
	storm        string // the orphan storm's CMD
	tools        map[string]string
	devnull      *os.File
	began        time.Time
	startRounds  int           // `init true` runs per init and environment
	stormOrphans int           // orphans per storm
	stormRounds  int           // storms per init
	treeNs       []int         // services per tree
	treeRounds   int           // runs per supervisor and N
	settle       time.Duration // from all ready to the memory reading
	idle         time.Duration // the idle window
	treeLimit    time.Duration // longest a tree may take to start, or to stop
}

func main() {
	b, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(b.work)
	defer os.RemoveAll(b.shm)
	facts := b.machine()
	b.logf("init true: %d rounds of %d inits × %d environments", b.startRounds, len(b.inits()), len(envSizes))
	start := b.measureStart()
	b.logf("orphan storm: %d rounds of %d orphans", b.stormRounds, b.stormOrphans)
	storm := b.measureStorm()
	b.logf("supervision trees: %d rounds, N = %v", b.treeRounds, b.treeNs)
	trees := b.measureTrees()
	b.logf("idle: %v per N", b.idle)
	idle := b.measureIdle()
	facts.loadEnd = loadavg()
	facts.took = time.Since(b.began)
	r := report{b: b, facts: facts, start: start, storm: storm, trees: trees, idle: idle}
	if err := r.write(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	b.logf("wrote %s/benchmarks.md and %s/benchmarks.png", b.out, b.out)
}

// setup reads the settings, checks the contenders are installed, and builds
// the helpers.
func setup() (*bench, error) {
	b := &bench{began: time.Now(), quick: os.Getenv("BENCH_QUICK") == "1", tools: map[string]string{}}
	var err error
	if b.repo, err = repoRoot(); err != nil {
		return nil, err
	}
	b.out, b.vigil = os.Getenv("BENCH_OUT"), os.Getenv("BENCH_VIGIL")
	if b.vigil == "" {
		b.vigil = b.repo + "/bin/vigil"
	}
	if b.vigil, err = filepath.Abs(b.vigil); err != nil {
		return nil, err
	}
	if err := b.settings(); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("needs root (PID namespaces)")
	}
	// vigil runs what it finds in its default init and finish directories.
	for _, d := range []string{"/etc/cont-init.d", "/etc/cont-finish.d"} {
		if _, err := os.Stat(d); err == nil {
			return nil, fmt.Errorf("%s exists: vigil would run its scripts in every measurement", d)
		}
	}
	for name, cmd := range map[string]string{"tini": "tini-static", "dumb-init": "dumb-init", "s6-svscan": "s6-svscan",
		"s6-svwait": "s6-svwait", "runsvdir": "runsvdir", "supervisord": "supervisord", "gnuplot": "gnuplot",
		"gcc": "gcc", "go": "go", "dpkg-query": "dpkg-query"} {
		if b.tools[name], err = exec.LookPath(cmd); err != nil {
			return nil, fmt.Errorf("%s not installed (test/bench.sh installs it): %w", cmd, err)
		}
	}
	if _, err := os.Stat(b.vigil); err != nil {
		return nil, fmt.Errorf("vigil under test: %w", err)
	}
	// Containers get a large file limit (Docker: 1048576); supervisord
	// needs a few descriptors per program.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if b.devnull, err = os.OpenFile(os.DevNull, os.O_WRONLY, 0); err != nil {
		return nil, err
	}
	if b.work, err = os.MkdirTemp("", "vigil-bench-"); err != nil {
		return nil, err
	}
	if b.work, err = filepath.EvalSymlinks(b.work); err != nil {
		return nil, err
	}
	for _, d := range []string{"empty", "trees"} {
		if err := os.Mkdir(b.work+"/"+d, 0o755); err != nil {
			return nil, err
		}
	}
	if b.shm, err = os.MkdirTemp("/dev/shm", "vigil-bench-"); err != nil {
		return nil, fmt.Errorf("no tmpfs at /dev/shm: %w", err)
	}
	b.initLink = b.work + "/init"
	if err := os.Symlink(b.vigil, b.initLink); err != nil {
		return nil, err
	}
	if err := b.build(); err != nil {
		os.RemoveAll(b.work)
		return nil, err
	}
	return b, nil
}

// settings are the full run's, or BENCH_QUICK's; BENCH_N overrides the
// tree sizes ("10,100").
func (b *bench) settings() error {
	if b.quick {
		b.startRounds, b.stormOrphans, b.stormRounds = 20, 2000, 2
		b.treeNs, b.treeRounds = []int{10, 100}, 2
		b.settle, b.idle = 100*time.Millisecond, 10*time.Second
		if b.out == "" {
			b.out = b.repo + "/bin/bench-quick"
		}
	} else {
		b.startRounds, b.stormOrphans, b.stormRounds = 300, 10000, 7
		b.treeNs, b.treeRounds = []int{10, 100, 1000}, 7
		b.settle, b.idle = 300*time.Millisecond, 30*time.Second
		if b.out == "" {
			b.out = b.repo + "/docs"
		}
	}
	b.treeLimit = 60 * time.Second
	if s := os.Getenv("BENCH_N"); s != "" {
		b.treeNs = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 1000 { // runsvdir's limit: 1000 services
				return fmt.Errorf("BENCH_N=%s: want numbers from 1 to 1000, comma-separated", s)
			}
			b.treeNs = append(b.treeNs, n)
		}
	}
	return nil
}

// build compiles the Go floor and the two static C helpers into work. The
// helpers are C so that what is timed is the supervisor, not the helper's
// runtime starting (a Go program takes about a millisecond to reach main).
func (b *bench) build() error {
	b.floor, b.service, b.storm = b.work+"/floor", b.work+"/service", b.work+"/storm"
	steps := [][]string{
		{b.tools["go"], "build", "-trimpath", "-ldflags=-s -w", "-o", b.floor, "./test/bench/floor"},
		{b.tools["gcc"], "-static", "-O2", "-Wall", "-o", b.service, "test/bench/csrc/service.c"},
		{b.tools["gcc"], "-static", "-O2", "-Wall", "-o", b.storm, "test/bench/csrc/storm.c"},
	}
	for _, argv := range steps {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = b.repo
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, out)
		}
	}
	return nil
}

// repoRoot is the repository's root: where go.mod is, from the working
// directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(dir + "/go.mod"); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// logf prints progress on stderr, with the time since the start.
func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: %6.1fs %s\n", time.Since(b.began).Seconds(), fmt.Sprintf(format, args...))
}

// output runs argv and returns its trimmed output ("?" if it fails).
func output(argv ...string) string {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return "?"
	}
	return string(bytes.TrimSpace(out))
}
