package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// report turns the runs into benchmarks.md and benchmarks.png.
type report struct {
	b     *bench
	facts facts
	start startResults
	storm map[string][]stormRun
	trees map[string]map[int][]treeRun
	idle  map[string]map[int]idleRun
	fails []string
	md    strings.Builder
}

func (r *report) p(format string, args ...any) { fmt.Fprintf(&r.md, format+"\n", args...) }

// msOf is a duration in milliseconds.
func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r *report) write() error {
	if err := os.MkdirAll(r.b.out, 0o755); err != nil {
		return err
	}
	r.header()
	r.method()
	r.startTables()
	r.stormTable()
	r.treeTables()
	r.failures()
	if err := r.chart(); err != nil {
		return err
	}
	return os.WriteFile(r.b.out+"/benchmarks.md", []byte(r.md.String()), 0o644)
}

func (r *report) header() {
	f := r.facts
	r.p("# Benchmarks")
	r.p("")
	r.p("Written by `make bench` (test/bench.sh, test/bench/) on %s; the whole run took %s.", f.date, f.took.Round(time.Second))
	if r.b.quick {
		r.p("")
		r.p("**BENCH_QUICK=1: small N, few runs, a short idle window. Not figures to compare.**")
	}
	r.p("Every figure below was measured in that run, on this machine; nothing is copied from elsewhere.")
	r.p("")
	r.p("![stop time and memory of the supervisors against N](benchmarks.png)")
	r.p("")
	r.p("## Machine")
	r.p("")
	r.p("- CPU: %s, %d cores; kernel %s; %s of memory", f.cpu, f.cores, f.kernel, f.mem)
	r.p("- load average (1, 5, 15 min) at the start: %s; at the end: %s. The machine is shared with other work:", f.loadStart, f.loadEnd)
	r.p("  medians resist that noise, the p90 columns show it.")
	r.p("")
	r.p("## Contenders")
	r.p("")
	r.p("| | version | binary | size |")
	r.p("|---|---|---|---|")
	for _, c := range f.contenders {
		sz := "—"
		if c.size > 0 {
			sz = fmt.Sprintf("%d KiB", c.size/1024)
		}
		r.p("| %s | %s | `%s` | %s |", c.name, c.version, c.binary, sz)
	}
	r.p("")
	var tools []string
	for _, t := range f.tools {
		tools = append(tools, fmt.Sprintf("%s: %s", t.name, t.version))
	}
	r.p("Tools: %s.", strings.Join(tools, "; "))
	r.p("")
}

func (r *report) method() {
	b := r.b
	r.p("## Method")
	r.p("")
	r.p("Every run is `unshare --pid --fork --mount-proc INIT …`, forked by the bench (a Go program, `syscall.ForkExec`):")
	r.p("the init is PID 1 of a fresh PID namespace with a /proc of its own, as in a container. The bench waits")
	r.p("for that one child by its pid (`wait4(pid)`, never `-1`), so what it times is its own child's exit. Each")
	r.p("round runs every contender once, in an order rotated by one each round, so that a change in the machine's")
	r.p("load falls on all of them alike. Figures are the median and the 90th percentile (nearest rank) of the")
	r.p("successful runs; a failed run is listed under \"Failed runs\" and left out, never averaged in.")
	r.p("")
	r.p("The environment is the same for every contender: 6 variables (PATH, HOSTNAME, HOME, TERM, and vigil's")
	r.p("VIGIL_RUN_DIR and VIGIL_SERVICES_DIR, which keep it off the host's paths; the other inits ignore them), or")
	r.p("those and 194 more, as Kubernetes sets them for the services of a pod's namespace (`KUBERNETES_SERVICE_HOST`,")
	r.p("`CART_PORT_8081_TCP_ADDR`, …): 200 in all. vigil runs with its defaults otherwise (log level info).")
	r.p("")
	r.p("1. **`init true`**: `unshare … INIT true`, %d rounds (after 2 warm-up rounds), stdio /dev/null. Wall time", b.startRounds)
	r.p("   from the fork of unshare to wait4 returning; CPU is user + system time of the whole tree (wait4's rusage).")
	r.p("   *Over bare* is the median minus bare's median: the init's own cost. *bare* is `unshare … true`, no init;")
	r.p("   the *Go floor* (test/bench/floor) is the least a Go init can do: fork-exec its arguments, wait, exit with")
	r.p("   the child's code; static, built like vigil. tini is Debian's `tini-static` (what `docker run --init` runs).")
	r.p("   vigil writes its run directory at boot (README \"Boot\", step 4: the control socket, and `env/`, one file")
	r.p("   per variable); it is on %s (%s) like the rest of the scratch directory, as /run/vigil is on a", r.facts.workFS, filepath.Dir(r.b.work))
	r.p("   container's root file system. *vigil, run dir on tmpfs* is the same run with VIGIL_RUN_DIR on /dev/shm:")
	r.p("   the difference between the two rows is what the snapshot costs on that disk.")
	r.p("2. **Orphan storm**: the CMD (test/bench/csrc/storm.c, static) forks %d times a child that forks a", b.stormOrphans)
	r.p("   grandchild and exits; the grandchild exits at once too, so each is an orphan for the init to reap. The CMD")
	r.p("   then reads /proc (the namespace's) until no zombie is left, at most 10 s, and exits 1 if any is. Wall")
	r.p("   time of the whole run; CPU is user + system time of the whole tree, the init's reaping included (the")
	r.p("   storm's own forking is most of it); *drain* is from the last fork until no zombie was left. %d rounds.", b.stormRounds)
	r.p("3. **Supervision trees** of N = %s trivial services, %d rounds. The service (test/bench/csrc/service.c,", joinInts(b.treeNs), b.treeRounds)
	r.p("   static, no shell) writes a byte to a FIFO of the bench (\"running\"), then a newline to the fd that")
	r.p("   `./notification-fd` names if the file exists (\"ready\"), then sleeps until a signal ends it. Layouts:")
	r.p("   vigil and s6 read the same service directories (`run`, a symlink to the helper, and `notification-fd`:")
	r.p("   3), vigil from VIGIL_SERVICES_DIR (README \"Services\"), s6 as `s6-svscan -c N DIR`; runit gets the same")
	r.p("   without `notification-fd`, as `runsvdir -P DIR`; supervisord `supervisord -n -c CONF` with one")
	r.p("   `[program:x]` per service (`autorestart=true`, output `NONE` rather than log files, as the others pass")
	r.p("   it through; all else default). The tree is laid out afresh before each run, outside the timings.")
	r.p("   The supervisor's stdout and stderr go to a file (vigil logs a line per service start and exit).")
	r.p("   - *started*: from the fork of unshare until the FIFO has N bytes: all N service processes run.")
	r.p("   - *ready* (vigil, s6: notification-fd): once all have started, until the supervisor confirms all N are")
	r.p("     ready, asked its own way: vigil on its control socket (`{\"cmd\":\"wait\",\"until\":\"ready\",…}`,")
	r.p("     as `vigil wait --ready` sends it), s6 by `s6-svwait -U -a DIR…`. runit and supervisord have no such notion.")
	r.p("   - *PSS* (proportional set size, /proc/PID/smaps_rollup, %v after ready) and *threads*, summed over the", b.settle)
	r.p("     supervisor processes only: vigil; s6-svscan and every s6-supervise; runsvdir and every runsv;")
	r.p("     supervisord (python3). Services are told apart by their executable. PSS splits each shared page")
	r.p("     among the processes mapping it, on the whole machine: the dynamically linked supervisors share libc")
	r.p("     (and python's libraries) with each other and with the machine's other processes.")
	r.p("   - *stop*: SIGTERM to the namespace's init, until wait4 of unshare returns: unshare exits when the init")
	r.p("     does, and the kernel lets the init end only once every other process of the namespace has. So it")
	r.p("     is the time until the container is gone, services included.")
	r.p("   - *idle wakeups*: for each N the four trees run side by side; 2 s after all are ready, the context")
	r.p("     switches (voluntary + involuntary, /proc/PID/task/*/status, every thread) of their supervisor")
	r.p("     processes over %v.", b.idle)
	r.p("   - Checks, each run: all N services started, N running when measured, none started twice (restarts),")
	r.p("     stopped within %v, and no process left in the namespace afterwards (/proc scanned for it).", b.treeLimit)
	r.p("   - runsvdir scans its directory at start, then at most once a second and only when the directory's")
	r.p("     mtime changed; an mtime within the current second makes it scan once more a second later. The tree")
	r.p("     is complete before it starts, so the first scan finds every service; the directory's mtime is set a")
	r.p("     minute back, as for a tree made at image build time, which spares it the extra scan.")
	r.p("   - runsvdir exits at once on SIGTERM without stopping anything: the kernel then SIGKILLs every runsv")
	r.p("     and service as the namespace ends. Its stop time is that teardown, not a graceful stop (on SIGHUP it")
	r.p("     sends TERM to each runsv and exits at once all the same). vigil, s6-svscan and supervisord stop their")
	r.p("     services with SIGTERM and wait for them.")
	r.p("")
}

// startTables writes one table per environment size.
func (r *report) startTables() {
	inits := r.b.inits()
	for _, n := range envSizes {
		wall, cpu := map[string]dist{}, map[string]dist{}
		for _, in := range inits {
			var w, c []float64
			failed := 0
			for _, run := range r.start[n][in.name] {
				if run.err != nil {
					failed++
					r.fails = append(r.fails, fmt.Sprintf("init true, %d variables, %s: %v", n, in.name, run.err))
					continue
				}
				w, c = append(w, msOf(run.wall)), append(c, msOf(run.cpu))
			}
			wall[in.name], cpu[in.name] = summarize(w, failed), summarize(c, 0)
		}
		own := func(name string) float64 { return wall[name].med - wall["bare"].med }
		r.p("## `init true`, %d variables (ms)", n)
		r.p("")
		r.p("| init | median | p90 | min | over bare | CPU (median) | runs |")
		r.p("|---|---|---|---|---|---|---|")
		for _, in := range inits {
			d, over := wall[in.name], "—"
			if in.name != "bare" && !math.IsNaN(own(in.name)) {
				over = fmt.Sprintf("%+.2f", own(in.name))
			}
			r.p("| %s | %s | %s | %s | %s | %s | %s |", in.name, num(d.med), num(d.p90), num(d.min), over, num(cpu[in.name].med), runs(d))
		}
		r.p("")
		r.p("vigil / tini: wall %s, own cost %s; vigil / dumb-init: wall %s, own cost %s; vigil / Go floor: wall %s, own cost %s.",
			ratio(wall["vigil"].med, wall["tini"].med), ratio(own("vigil"), own("tini")),
			ratio(wall["vigil"].med, wall["dumb-init"].med), ratio(own("vigil"), own("dumb-init")),
			ratio(wall["vigil"].med, wall["Go floor"].med), ratio(own("vigil"), own("Go floor")))
		r.p("")
	}
}

// runs is "ok" or "ok, k failed".
func runs(d dist) string {
	if d.failed == 0 {
		return fmt.Sprint(d.ok)
	}
	return fmt.Sprintf("%d, **%d failed**", d.ok, d.failed)
}

func (r *report) stormTable() {
	r.p("## Orphan storm: %d orphans (s)", r.b.stormOrphans)
	r.p("")
	r.p("| init | median | p90 | min | max | CPU (median) | drain after the last fork (median, ms) | zombies left (max) | runs |")
	r.p("|---|---|---|---|---|---|---|---|---|")
	med, cpu := map[string]float64{}, map[string]float64{}
	for _, in := range r.b.inits()[:3] {
		var w, c, dr []float64
		failed, left := 0, 0
		for _, run := range r.storm[in.name] {
			left = max(left, run.zombiesLeft)
			if run.err != nil {
				failed++
				r.fails = append(r.fails, fmt.Sprintf("orphan storm, %s: %v", in.name, run.err))
				continue
			}
			w, c, dr = append(w, run.wall.Seconds()), append(c, run.cpu.Seconds()), append(dr, msOf(run.drain))
		}
		d := summarize(w, failed)
		med[in.name], cpu[in.name] = d.med, summarize(c, 0).med
		r.p("| %s | %s | %s | %s | %s | %s | %s | %d | %s |", in.name, num(d.med), num(d.p90), num(d.min), num(d.max),
			num(summarize(c, 0).med), num(summarize(dr, 0).med), left, runs(d))
	}
	r.p("")
	r.p("vigil / tini: wall %s, CPU %s; vigil / dumb-init: wall %s, CPU %s.", ratio(med["vigil"], med["tini"]), ratio(cpu["vigil"], cpu["tini"]),
		ratio(med["vigil"], med["dumb-init"]), ratio(cpu["vigil"], cpu["dumb-init"]))
	r.p("")
}

// treeMetric is one column family of the supervision tables.
type treeMetric struct {
	title string
	value func(treeRun) float64
	p90   bool // show the 90th percentile beside the median
}

func (r *report) treeTables() {
	metrics := []treeMetric{
		{"all N started (ms, median (p90))", func(t treeRun) float64 { return msOf(t.started) }, true},
		{"all N ready by notification-fd (ms, median (p90))", func(t treeRun) float64 { return msOf(t.ready) }, true},
		{"PSS of the supervisor processes (MiB, median)", func(t treeRun) float64 { return float64(t.pssKB) / 1024 }, false},
		{"threads of the supervisor processes (median; processes in brackets)", func(t treeRun) float64 { return float64(t.threads) }, false},
		{"stop: SIGTERM to the init until the namespace is gone (ms, median (p90))", func(t treeRun) float64 { return msOf(t.stop) }, true},
	}
	for _, s := range r.b.supervisors() {
		for _, n := range r.b.treeNs {
			for _, run := range r.trees[s.name][n] {
				if run.err != nil {
					r.fails = append(r.fails, fmt.Sprintf("tree %s, N=%d: %v", s.name, n, run.err))
				}
			}
		}
	}
	for _, m := range metrics {
		r.p("## Supervision trees: %s", m.title)
		r.p("")
		r.treeTable(m)
	}
	r.idleTable()
	r.statuses()
}

// treeDist is the distribution of metric m for supervisor s at N.
func (r *report) treeDist(s supervisor, n int, m treeMetric) dist {
	var xs []float64
	failed := 0
	for _, run := range r.trees[s.name][n] {
		if run.err != nil {
			failed++
			continue
		}
		xs = append(xs, m.value(run))
	}
	return summarize(xs, failed)
}

func (r *report) treeTable(m treeMetric) {
	ns := r.b.treeNs
	head, rule := "| supervisor |", "|---|"
	for _, n := range ns {
		head += fmt.Sprintf(" N=%d |", n)
		rule += "---|"
	}
	r.p("%s", head)
	r.p("%s", rule)
	meds := map[string][]float64{}
	for _, s := range r.b.supervisors() {
		if strings.HasPrefix(m.title, "all N ready") && !s.notify {
			continue
		}
		row := "| " + s.name + " |"
		for _, n := range ns {
			d := r.treeDist(s, n, m)
			meds[s.name] = append(meds[s.name], d.med)
			cell := num(d.med)
			if m.p90 {
				cell += " (" + num(d.p90) + ")"
			}
			if strings.HasPrefix(m.title, "threads") {
				cell += fmt.Sprintf(" [%s]", num(r.treeDist(s, n, treeMetric{value: func(t treeRun) float64 { return float64(t.procs) }}).med))
			}
			if d.failed > 0 {
				cell += fmt.Sprintf(" **%d of %d failed**", d.failed, d.failed+d.ok)
			}
			row += " " + cell + " |"
		}
		r.p("%s", row)
	}
	for _, other := range []string{"s6", "runit", "supervisord"} {
		if meds[other] == nil {
			continue
		}
		row := "| *vigil / " + other + "* |"
		for i := range ns {
			row += " " + ratio(meds["vigil"][i], meds[other][i]) + " |"
		}
		r.p("%s", row)
	}
	r.p("")
}

func (r *report) idleTable() {
	r.p("## Supervision trees: idle wakeups (context switches of the supervisor processes in %v)", r.b.idle)
	r.p("")
	head, rule := "| supervisor |", "|---|"
	for _, n := range r.b.treeNs {
		head += fmt.Sprintf(" N=%d |", n)
		rule += "---|"
	}
	r.p("%s", head)
	r.p("%s", rule)
	val := map[string][]float64{}
	for _, s := range r.b.supervisors() {
		row := "| " + s.name + " |"
		for _, n := range r.b.treeNs {
			run := r.idle[s.name][n]
			if run.err != nil {
				r.fails = append(r.fails, fmt.Sprintf("idle %s, N=%d: %v", s.name, n, run.err))
				row += " **failed** |"
				val[s.name] = append(val[s.name], math.NaN())
				continue
			}
			row += fmt.Sprintf(" %d |", run.switches)
			val[s.name] = append(val[s.name], float64(run.switches))
		}
		r.p("%s", row)
	}
	for _, other := range []string{"s6", "runit", "supervisord"} {
		row := "| *vigil / " + other + "* |"
		for i := range r.b.treeNs {
			row += " " + ratio(val["vigil"][i], val[other][i]) + " |"
		}
		r.p("%s", row)
	}
	r.p("")
	r.p("One window per N, all four trees side by side; a single reading each, not a median.")
	r.p("")
}

// statuses lists the init's exit statuses seen at stop.
func (r *report) statuses() {
	var parts []string
	for _, s := range r.b.supervisors() {
		seen := map[string]bool{}
		var list []string
		for _, n := range r.b.treeNs {
			for _, run := range r.trees[s.name][n] {
				if run.status != "" && !seen[run.status] {
					seen[run.status] = true
					list = append(list, run.status)
				}
			}
		}
		parts = append(parts, fmt.Sprintf("%s %s", s.name, strings.Join(list, ", ")))
	}
	r.p("The init's exit status after SIGTERM: %s.", strings.Join(parts, "; "))
	r.p("")
}

func (r *report) failures() {
	r.p("## Failed runs")
	r.p("")
	if len(r.fails) == 0 {
		r.p("None: every run passed its checks.")
		return
	}
	for _, f := range r.fails {
		r.p("- %s", strings.ReplaceAll(f, "\n", " "))
	}
}

// chart draws benchmarks.png with gnuplot: stop time and PSS against N,
// log-log, one line per supervisor.
func (r *report) chart() error {
	stop := treeMetric{value: func(t treeRun) float64 { return msOf(t.stop) }}
	pss := treeMetric{value: func(t treeRun) float64 { return float64(t.pssKB) / 1024 }}
	sups := r.b.supervisors()
	var data strings.Builder
	data.WriteString("N")
	for range 2 { // the stop columns, then the PSS columns
		for _, s := range sups {
			fmt.Fprintf(&data, " %s", s.name)
		}
	}
	data.WriteString("\n")
	for _, n := range r.b.treeNs {
		fmt.Fprintf(&data, "%d", n)
		for _, m := range []treeMetric{stop, pss} {
			for _, s := range sups {
				fmt.Fprintf(&data, " %g", r.treeDist(s, n, m).med)
			}
		}
		data.WriteString("\n")
	}
	dat := r.b.work + "/chart.dat"
	if err := os.WriteFile(dat, []byte(data.String()), 0o644); err != nil {
		return err
	}
	k := len(sups)
	script := fmt.Sprintf(`set terminal pngcairo size 1200,520 font "DejaVu Sans,10"
set output %q
set datafile missing "NaN"
set multiplot layout 1,2 title %q
set logscale xy
set grid
set key top left
set xlabel "services (N)"
set xrange [%d:%d]
set xtics (%s)
set ylabel "ms"
set title "stop: SIGTERM to PID 1 until the namespace is gone (median)"
plot for [i=2:%d] %q using 1:i with linespoints lw 2 pt 7 title columnhead(i)
set ylabel "MiB"
set title "PSS of the supervisor processes (median)"
plot for [i=%d:%d] %q using 1:i with linespoints lw 2 pt 7 title columnhead(i)
unset multiplot
`, r.b.out+"/benchmarks.png", fmt.Sprintf("%s, %s — %s, %d cores", strings.SplitN(r.facts.contenders[0].version, ",", 2)[0], r.facts.date, r.facts.cpu, r.facts.cores),
		r.b.treeNs[0]/2, r.b.treeNs[len(r.b.treeNs)-1]*2, joinInts(r.b.treeNs), 1+k, dat, 2+k, 1+2*k, dat)
	cmd := exec.Command(r.b.tools["gnuplot"])
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("gnuplot: %w\n%s", err, out)
	}
	return nil
}

// joinInts is "10, 100, 1000".
func joinInts(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprint(x))
	}
	return strings.Join(s, ", ")
}
