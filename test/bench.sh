#!/usr/bin/env bash
# make bench: vigil beside tini, dumb-init and a Go floor (`init true`, an
# orphan storm), and beside s6, runit and supervisord (supervision trees of
# 10, 100 and 1000 services), each as PID 1 of a fresh PID namespace. Writes
# docs/benchmarks.md and docs/benchmarks.png; the method is written there.
#
#   test/bench.sh            (root, Debian 12; installs what it compares with apt)
#   BENCH_QUICK=1 test/bench.sh       small N, few runs; output in bin/bench-quick/
#   BENCH_VIGIL=path/to/vigil ...     measure that binary (before/after a change)
#
# This script installs and builds; the measuring is test/bench/ (Go).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (PID namespaces, apt)" >&2
	exit 1
fi

need=()
for cmd in tini-static:tini dumb-init:dumb-init s6-svscan:s6 runsvdir:runit supervisord:supervisor \
	gnuplot:gnuplot-nox gcc:gcc unshare:util-linux; do
	command -v "${cmd%%:*}" >/dev/null || need+=("${cmd##*:}")
done
dpkg-query -W -f='${Status}' libc6-dev 2>/dev/null | grep -q 'ok installed' || need+=(libc6-dev) # libc.a: static helpers
if ((${#need[@]})); then
	echo "bench: installing ${need[*]}"
	# The packages' scripts must not start their daemons on this machine
	# (supervisor's would start supervisord): policy-rc.d says no.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

[ -n "${BENCH_VIGIL:-}" ] || make -s build
go build -o bin/bench ./test/bench
bin/bench
