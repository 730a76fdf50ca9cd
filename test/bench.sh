#!/usr/bin/env bash
# make bench: vigil side by side with tini, dumb-init, s6 and runit, in one
# run on this machine. Every figure it prints is measured here and now;
# timings on a shared machine are noisy, so each is a median of many runs.
#
#   test/bench.sh [RUNS]      (root: PID namespaces; installs the peers with apt)
#
# What it measures, each init as PID 1 of a new PID namespace (unshare):
#   size      the binary (and the helpers a supervision tree needs)
#   start     `INIT true`: wall time of the whole run (hyperfine), minus nothing
#   stop      SIGTERM to the init → its exit, CMD `sleep` that dies on TERM
#   stop5     the same with 5 supervised services that exit on TERM
#   rss       resident memory once idle, the whole tree of init processes
#   wakeups   context switches of the init processes in 10 s of idleness
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-30}

need=()
for cmd in tini-static:tini dumb-init:dumb-init s6-svscan:s6 runsvdir:runit hyperfine:hyperfine; do
	command -v "${cmd%%:*}" >/dev/null || need+=("${cmd##*:}")
done
if ((${#need[@]})); then
	echo "bench: installing ${need[*]}"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
make -s build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$PWD/bin/vigil" "$work/init"

# Five services that exit on TERM, in each tool's layout.
for i in 1 2 3 4 5; do
	for layout in vigil s6 runit; do
		mkdir -p "$work/$layout/svc$i"
		printf '#!/bin/sh\nexec sleep 100000\n' >"$work/$layout/svc$i/run"
		chmod +x "$work/$layout/svc$i/run"
	done
done

# Each init: how to start it as PID 1 with a CMD (or its services).
declare -A cmd=(
	[vigil]="env VIGIL_RUN_DIR=$work/run VIGIL_SERVICES_DIR=$work/none $work/init"
	[tini]="tini-static -s --"
	[dumb-init]="dumb-init"
)
declare -A tree=(
	[vigil]="env VIGIL_RUN_DIR=$work/run5 VIGIL_SERVICES_DIR=$work/vigil $work/init"
	[s6]="s6-svscan $work/s6"
	[runit]="runsvdir -P $work/runit"
)
# The signal that stops each tree: s6-svscan and vigil stop their services
# on SIGTERM; runsvdir only on SIGHUP (it exits at once on SIGTERM).
declare -A stopsig=([vigil]=TERM [s6]=TERM [runit]=HUP)

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# nspid UNSHARE_PID: the host pid of the namespace's PID 1 (unshare's child).
nspid() {
	local p=$1 c=""
	for _ in $(seq 200); do
		c=$(cat "/proc/$p/task/$p/children" 2>/dev/null | awk '{print $1}')
		[ -n "$c" ] && { echo "$c"; return; }
		sleep 0.01
	done
	echo "bench: no PID 1 under $p" >&2
	return 1
}

# descendants PID: PID and every process below it.
descendants() {
	local p=$1
	echo "$p"
	for t in /proc/"$p"/task/*; do
		for c in $(cat "$t/children" 2>/dev/null); do descendants "$c"; done
	done
}

# wait_procs PID N: until PID has N processes under it (itself included).
wait_procs() {
	for _ in $(seq 500); do
		[ "$(descendants "$1" | wc -l)" -ge "$2" ] && return
		sleep 0.01
	done
	echo "bench: $1 never had $2 processes" >&2
	return 1
}

# stop_ms SIG NPROCS INIT...: start INIT as PID 1, wait until its tree has
# NPROCS processes, send SIG, print the ms until unshare returns.
stop_ms() {
	local sig=$1 n=$2
	shift 2
	unshare --pid --fork --mount-proc --kill-child "$@" >/dev/null 2>&1 &
	local u=$! p
	p=$(nspid $u)
	wait_procs "$p" "$n"
	local t0
	t0=$(now_ns)
	kill -"$sig" "$p"
	wait $u || true
	echo $((($(now_ns) - t0) / 1000))
}

# idle PID: "RSS_KB CTXSW" of the tree under PID: resident memory now, and
# context switches during 10 s of idleness.
idle() {
	local p=$1 rss=0 before=0 after=0
	sleep 1
	for q in $(descendants "$p"); do
		[ "$(cat /proc/$q/comm)" = sleep ] && continue
		rss=$((rss + $(awk '/^VmRSS/ {print $2}' /proc/$q/status)))
		before=$((before + $(awk '/ctxt_switches/ {s += $2} END {print s}' /proc/$q/status)))
	done
	sleep 10
	for q in $(descendants "$p"); do
		[ "$(cat /proc/$q/comm)" = sleep ] && continue
		after=$((after + $(awk '/ctxt_switches/ {s += $2} END {print s}' /proc/$q/status)))
	done
	echo "$rss $((after - before))"
}

size() { stat -L -c %s "$(command -v "$1")"; }

echo "# vigil benchmark, $(date -u +%F), $(nproc) cores, $runs runs per timing"
echo
echo "## Single process: init + CMD"
echo
echo "| init | binary | start (\`init true\`, mean) | stop: TERM → exit (median) | idle RSS | wakeups / 10 s idle |"
echo "|---|---|---|---|---|---|"
hyperfine -N -w 5 -r $((runs * 5)) --export-json "$work/start.json" \
	-n bare "unshare --pid --fork true" \
	-n vigil "unshare --pid --fork ${cmd[vigil]} true" \
	-n tini "unshare --pid --fork ${cmd[tini]} true" \
	-n dumb-init "unshare --pid --fork ${cmd[dumb-init]} true" >/dev/null 2>&1
mean_ms() { python3 -c "import json,sys; r={x['command']:x['mean'] for x in json.load(open('$work/start.json'))['results']}; print('%.2f ms' % (r['$1']*1000))"; }
for init in vigil tini dumb-init; do
	bin=${cmd[$init]}
	[ "$init" = vigil ] && sz=$(stat -L -c %s bin/vigil) || sz=$(size "${bin%% *}")
	stops=$(for _ in $(seq "$runs"); do stop_ms TERM 2 ${cmd[$init]} sleep 100000; done | median)
	unshare --pid --fork --mount-proc --kill-child ${cmd[$init]} sleep 100000 >/dev/null 2>&1 &
	u=$!
	p=$(nspid $u)
	wait_procs "$p" 2
	read -r rss wake < <(idle "$p")
	kill -TERM "$p"
	wait $u || true
	echo "| $init | $((sz / 1024)) KiB | $(mean_ms "$init") (bare: $(mean_ms bare)) | $((stops / 1000)).$(printf %03d $((stops % 1000))) ms | $rss KiB | $wake |"
done

echo
echo "## Supervision: 5 services that exit on TERM"
echo
echo "| init | binaries | stop: signal → exit (median) | idle RSS (init processes) | processes | wakeups / 10 s idle |"
echo "|---|---|---|---|---|---|"
for init in vigil s6 runit; do
	case $init in
	vigil) sz=$(stat -L -c %s bin/vigil) ;;
	s6) sz=$(($(size s6-svscan) + $(size s6-supervise))) ;;
	runit) sz=$(($(size runsvdir) + $(size runsv))) ;;
	esac
	want=6
	[ "$init" = vigil ] || want=11 # a supervisor process per service
	stops=$(for _ in $(seq "$runs"); do
		rm -rf "$work"/s6/*/supervise "$work"/s6/.s6-svscan "$work"/runit/*/supervise
		stop_ms "${stopsig[$init]}" "$want" ${tree[$init]}
	done | median)
	rm -rf "$work"/s6/*/supervise "$work"/s6/.s6-svscan "$work"/runit/*/supervise
	unshare --pid --fork --mount-proc --kill-child ${tree[$init]} >/dev/null 2>&1 &
	u=$!
	p=$(nspid $u)
	wait_procs "$p" "$want"
	nprocs=$(($(descendants "$p" | wc -l) - 5))
	read -r rss wake < <(idle "$p")
	kill -"${stopsig[$init]}" "$p"
	wait $u || true
	echo "| $init | $((sz / 1024)) KiB | $((stops / 1000)).$(printf %03d $((stops % 1000))) ms | $rss KiB | $nprocs | $wake |"
done
echo
echo "runsvdir exits on SIGHUP right after sending TERM to its runsv processes,"
echo "without waiting for the services: its stop time is not a graceful stop."
