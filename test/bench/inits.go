package main

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"
)

// An init is a contender of the single-process measurements: how to run it
// as PID 1 in front of a CMD. The bare one has no init: the CMD is PID 1.
type initCmd struct {
	name   string
	argv   []string // before the CMD
	runDir string   // VIGIL_RUN_DIR if not the default of the environment
}

// inits are the contenders of `init true`, in table order.
func (b *bench) inits() []initCmd {
	return []initCmd{
		{"vigil", []string{b.initLink}, ""},
		{"tini", []string{b.tools["tini"]}, ""},
		{"dumb-init", []string{b.tools["dumb-init"]}, ""},
		{"Go floor", []string{b.floor}, ""},
		{"bare", nil, ""},
		// The same vigil with its run directory (control socket, one file
		// per variable in env/) on tmpfs rather than on the disk: the
		// difference is what writing the snapshot costs on this disk.
		{"vigil, run dir on tmpfs", []string{b.initLink}, b.shm},
	}
}

// startEnv is the environment of n variables for in. Each size has a run
// directory of its own: vigil empties env/ at boot, and 200 files left by
// the other size would be its to delete.
func (b *bench) startEnv(n int, in initCmd) []string {
	dir := in.runDir
	if dir == "" {
		dir = b.work
	}
	return withRunDir(b.env(n), fmt.Sprintf("%s/run%d", dir, n))
}

// startRun is one `init true` run.
type startRun struct {
	wall, cpu time.Duration
	err       error
}

// runTrue runs unshare … INIT true once: wall time from fork to our wait4
// returning, and the CPU time (user + system) of the whole tree.
func (b *bench) runTrue(in initCmd, env []string) startRun {
	argv := append(append(append([]string{}, unshareArgv...), in.argv...), "true")
	t0 := time.Now()
	pid, err := spawn(argv, env, b.devnull)
	if err != nil {
		return startRun{err: err}
	}
	ws, ru, err := reap(pid)
	wall := time.Since(t0)
	if err == nil && (ws.Signaled() || ws.ExitStatus() != 0) {
		err = fmt.Errorf("%s", describe(ws))
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return startRun{wall, cpu, err}
}

// startResults are the `init true` figures: by environment (6 or 200
// variables), then by init, in run order.
type startResults map[int]map[string][]startRun

// measureStart runs every init with every environment, round after round:
// each round runs each contender once, starting with a different one each
// round, so that drift in the machine's load spreads over all of them.
func (b *bench) measureStart() startResults {
	inits := b.inits()
	res := startResults{}
	for _, n := range envSizes {
		res[n] = map[string][]startRun{}
	}
	for r := -2; r < b.startRounds; r++ { // two rounds to warm the caches, not counted
		for _, n := range envSizes {
			for i := range inits {
				in := inits[(i+r+len(inits))%len(inits)]
				run := b.runTrue(in, b.startEnv(n, in))
				if run.err != nil {
					b.logf("init true: %s, %d variables: %v", in.name, n, run.err)
				}
				if r >= 0 {
					res[n][in.name] = append(res[n][in.name], run)
				}
			}
		}
	}
	return res
}

// stormRun is one orphan storm.
type stormRun struct {
	wall, cpu   time.Duration // cpu: user + system of the whole tree, reaping included
	drain       time.Duration // from the last fork until no zombie was left
	zombiesLeft int           // after the storm's 10 s wait
	err         error
}

var stormLine = regexp.MustCompile(`orphans=(\d+) zombies_at_end=(\d+) drain_us=(\d+) zombies_left=(\d+)`)

// runStorm runs unshare … INIT storm N once.
func (b *bench) runStorm(in initCmd) stormRun {
	log := b.work + "/storm.log"
	out, err := os.Create(log)
	if err != nil {
		return stormRun{err: err}
	}
	defer out.Close()
	argv := append(append(append([]string{}, unshareArgv...), in.argv...), b.storm, strconv.Itoa(b.stormOrphans))
	t0 := time.Now()
	pid, err := spawn(argv, b.env(6), out)
	if err != nil {
		return stormRun{err: err}
	}
	ws, ru, err := reap(pid)
	run := stormRun{wall: time.Since(t0), cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), err: err}
	m := stormLine.FindStringSubmatch(tail(log))
	switch {
	case err != nil:
	case m == nil:
		run.err = fmt.Errorf("%s, no report from storm: %s", describe(ws), tail(log))
	default:
		us, _ := strconv.Atoi(m[3])
		run.drain = time.Duration(us) * time.Microsecond
		run.zombiesLeft, _ = strconv.Atoi(m[4])
		if ws.Signaled() || ws.ExitStatus() != 0 {
			run.err = fmt.Errorf("%s, %d zombies left", describe(ws), run.zombiesLeft)
		}
	}
	return run
}

// measureStorm runs the storm under vigil, tini and dumb-init in turn, round
// after round (the Go floor and bare reap no orphans).
func (b *bench) measureStorm() map[string][]stormRun {
	res := map[string][]stormRun{}
	inits := b.inits()[:3] // vigil, tini, dumb-init
	for r := 0; r < b.stormRounds; r++ {
		for i := range inits {
			in := inits[(i+r)%len(inits)]
			run := b.runStorm(in)
			if run.err != nil {
				b.logf("orphan storm: %s: %v", in.name, run.err)
			}
			res[in.name] = append(res[in.name], run)
		}
	}
	return res
}
