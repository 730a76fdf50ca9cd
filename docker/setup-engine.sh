#!/usr/bin/env bash
# Make a Docker engine available for vigil's Docker tests (test/docker_test.go).
#
#   docker/setup-engine.sh
#
# Idempotent; run as root on Debian 12:
#   1. installs docker.io and busybox-static with apt when they are missing
#      (dockerd or docker absent, or /bin/busybox absent or not a static binary);
#   2. when `docker info` fails, starts dockerd in the background (log:
#      $VIGIL_DOCKERD_LOG, default /var/log/vigil-dockerd.log) and waits for it,
#      at most $VIGIL_DOCKERD_WAIT seconds (default 60) per attempt;
#   3. checks that a container really runs (`docker run --network none` of a
#      one-file image imported from /bin/busybox).
# It prints what it did, and on failure the reason, exiting non-zero.
#
# dockerd flags, tried in order until the engine starts and runs a container:
#   (none)                                             the defaults: overlay2, bridge, iptables
#   --iptables=false --bridge=none                     hosts without usable iptables/netfilter;
#                                                      the tests only use --network none
#   --iptables=false --bridge=none --storage-driver=vfs  hosts where overlay mounts fail
#                                                      (overlay on overlay, no overlay module)
# Set VIGIL_DOCKERD_FLAGS to use only the given flags instead.
set -euo pipefail

log_file=${VIGIL_DOCKERD_LOG:-/var/log/vigil-dockerd.log}
wait_secs=${VIGIL_DOCKERD_WAIT:-60}

say() { printf 'setup-engine: %s\n' "$*"; }
fail() {
	printf 'setup-engine: FAILED: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || fail "must run as root (installs packages, starts dockerd)"

# 1. Packages.
static_busybox() {
	[ -x /bin/busybox ] || return 1
	# A dynamic busybox cannot run in a FROM-scratch image; ldd says so for a static one.
	local out
	out=$(LC_ALL=C ldd /bin/busybox 2>&1) || true
	[[ $out == *"not a dynamic executable"* ]]
}

pkgs=()
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
	pkgs+=(docker.io)
fi
static_busybox || pkgs+=(busybox-static)

if ((${#pkgs[@]})); then
	say "installing ${pkgs[*]} with apt"
	export DEBIAN_FRONTEND=noninteractive
	# Keep the packages' maintainer scripts from starting dockerd themselves (the
	# docker.io postinst fails the install when its init script cannot start it):
	# this script starts it, with flags that work here.
	policy=/usr/sbin/policy-rc.d
	made_policy=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made_policy=1
		trap '[ -n "$made_policy" ] && rm -f "$policy"' EXIT
	fi
	apt-get update -q || fail "apt-get update failed"
	apt-get install -y -q --no-install-recommends "${pkgs[@]}" ||
		fail "apt-get install ${pkgs[*]} failed"
	if [ -n "$made_policy" ]; then
		rm -f "$policy"
		made_policy=
	fi
	say "installed ${pkgs[*]}"
else
	say "docker.io and busybox-static already installed"
fi
command -v dockerd >/dev/null 2>&1 || fail "dockerd not found after installing docker.io"
command -v docker >/dev/null 2>&1 || fail "docker not found after installing docker.io"
static_busybox || fail "/bin/busybox is missing or not static after installing busybox-static"

# 2. The engine.
engine_up() { timeout 20 docker info >/dev/null 2>&1; }

# smoke_test runs one container from a one-file image, as the tests do.
smoke_test() {
	local dir tag=vigil-setup-smoke:latest out rc=0
	dir=$(mktemp -d)
	cp /bin/busybox "$dir/busybox"
	if ! out=$(tar -C "$dir" -c busybox | timeout 60 docker import - "$tag" 2>&1); then
		rm -rf "$dir"
		echo "docker import: $out"
		return 1
	fi
	rm -rf "$dir"
	out=$(timeout 60 docker run --rm --network none "$tag" /busybox true 2>&1) || rc=$?
	timeout 60 docker rmi -f "$tag" >/dev/null 2>&1 || true
	if ((rc != 0)); then
		echo "docker run: exit $rc: $out"
		return 1
	fi
}

our_pid=

# stop_ours stops the dockerd this script started (by its pid), waiting up to 30 s.
stop_ours() {
	[ -n "$our_pid" ] || return 0
	kill -TERM "$our_pid" 2>/dev/null || true
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$our_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$our_pid" 2>/dev/null || true
	our_pid=
}

# try_start starts dockerd with the given flags and waits for it; 0 when it
# answers `docker info` and runs a container.
try_start() {
	local start now
	say "starting dockerd ${*:-(default flags)}; log: $log_file"
	printf '\n==== %s setup-engine: dockerd %s\n' "$(date -u +%FT%TZ)" "$*" >>"$log_file"
	# setsid: dockerd outlives this script and is not in the caller's process group.
	setsid dockerd "$@" </dev/null >>"$log_file" 2>&1 &
	our_pid=$!
	start=$SECONDS
	while ! engine_up; do
		if ! kill -0 "$our_pid" 2>/dev/null; then
			wait "$our_pid" 2>/dev/null || true
			say "dockerd exited during startup; last lines of $log_file:"
			tail -n 15 "$log_file" | sed 's/^/    /'
			our_pid=
			return 1
		fi
		now=$SECONDS
		if ((now - start >= wait_secs)); then
			say "dockerd did not answer within ${wait_secs}s; last lines of $log_file:"
			tail -n 15 "$log_file" | sed 's/^/    /'
			stop_ours
			return 1
		fi
		sleep 0.5
	done
	say "dockerd (pid $our_pid) answered after $((SECONDS - start))s"
	local why
	if ! why=$(smoke_test); then
		say "dockerd is up but cannot run a container: $why"
		say "last lines of $log_file:"
		tail -n 15 "$log_file" | sed 's/^/    /'
		stop_ours
		return 1
	fi
	return 0
}

mkdir -p "$(dirname "$log_file")"

if engine_up; then
	say "docker engine already running"
else
	running=$(pgrep -x dockerd || true)
	if [ -n "$running" ]; then
		# Started by someone else and still starting up: wait for it, never start a second one.
		say "dockerd (pid $(echo $running)) is running but not answering yet; waiting up to ${wait_secs}s"
		start=$SECONDS
		until engine_up; do
			((SECONDS - start < wait_secs)) || fail "dockerd (pid $(echo $running)) did not answer within ${wait_secs}s; not starting a second one"
			sleep 0.5
		done
	else
		if [ -n "${VIGIL_DOCKERD_FLAGS:-}" ]; then
			read -r -a flags <<<"$VIGIL_DOCKERD_FLAGS"
			attempts=("${flags[*]}")
		else
			attempts=(
				""
				"--iptables=false --bridge=none"
				"--iptables=false --bridge=none --storage-driver=vfs"
			)
		fi
		started=
		for a in "${attempts[@]}"; do
			read -r -a flags <<<"$a"
			if try_start ${flags[@]+"${flags[@]}"}; then
				started=1
				break
			fi
		done
		[ -n "$started" ] || fail "could not start a working docker engine with any of: $(printf '[%s] ' "${attempts[@]}"); see $log_file"
		say "started dockerd (pid $our_pid) with flags: ${a:-(none)}"
	fi
fi

if [ -z "$our_pid" ]; then
	why=$(smoke_test) || fail "docker engine is up but cannot run a container: $why"
fi

info=$(docker info --format 'server {{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}} ({{.CgroupDriver}}), init binary {{.InitBinary}}' 2>&1) || true
say "ready: $info"
init_bin=$(docker info --format '{{.InitBinary}}' 2>/dev/null || true)
if [ -n "$init_bin" ] && ! command -v "$init_bin" >/dev/null 2>&1 && [ ! -x "$init_bin" ]; then
	say "warning: docker's init binary '$init_bin' is not on PATH: 'docker run --init' will fail"
fi
