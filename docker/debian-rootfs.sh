#!/usr/bin/env bash
# Build the Docker image vigil-debian:bookworm: a debootstrap (--variant=minbase)
# of Debian bookworm from this machine's apt mirror, with the packages the
# Docker tests of real daemons (test/docker_daemons_test.go) and of
# s6-overlay-style images need. No image is pulled: the rootfs is `docker import`ed.
#
#   docker/debian-rootfs.sh
#
# Idempotent; run as root on Debian 12 with a running engine (docker/setup-engine.sh):
#   1. the image vigil-debian:bookworm exists with the label vigil.rootfs.key=KEY:
#      nothing to do;
#   2. the tarball $VIGIL_CACHE_DIR/debian-bookworm-KEY.tar (default cache dir
#      /var/cache/vigil, outside the checkout) exists: `docker import` it;
#   3. otherwise: install debootstrap with apt if it is missing, debootstrap into a
#      temporary directory in the cache dir, clean up, write the tarball, import it.
# KEY is a hash of the suite, the variant, the package list and script_version below:
# change any of them (bump script_version when the rootfs changes otherwise) and
# the next run builds anew and drops the old tarball.
#
# The mirror is the first `deb` source for bookworm in /etc/apt/sources.list.d/*.sources
# or /etc/apt/sources.list(.d/*.list); VIGIL_DEBIAN_MIRROR overrides it. Nothing
# else is fetched. debootstrap's output goes to $VIGIL_CACHE_DIR/debian-bookworm-KEY.log;
# on failure its last lines are printed with the reason, and the script exits non-zero.
#
# In the rootfs:
#   - /usr/sbin/policy-rc.d exits 101, written before any package is configured,
#     so no maintainer script starts a daemon (during debootstrap, or a later
#     `apt-get install` in a Dockerfile); the daemons' init links are removed too:
#     in a vigil image, vigil starts them;
#   - postgresql-common makes no cluster (createcluster.d): images initdb their own;
#   - no apt lists or caches, no docs, man pages or translations (dpkg path-exclude),
#     an empty /run (but /run/lock): init scripts make what their daemons need there.
#
# Measured here (2 shared cores, the mirror reached over the network), script_version 1:
#   cold build, nothing cached: 52 s (debootstrap's first stage, downloading 19 s,
#     second stage 27 s, tar and import 6 s); 58 s when debootstrap is installed first;
#   tarball cached, image missing: 9 s (docker import); image current: 0.1 s;
#   tarball 400 MB (382 MiB), image 382 MB (docker image ls): postgresql-15 alone
#   brings libLLVM-14 (JIT, 105 MB) and libicu72 (35 MB).
set -euo pipefail

script_version=1
suite=bookworm
variant=minbase
image=vigil-debian:bookworm
label=vigil.rootfs.key
# What the images built on it need:
#   real daemons: nginx-light, redis-server, postgresql, cron, netcat-openbsd (checks), procps;
#   s6-overlay-style images: bash, coreutils, findutils, passwd (useradd, usermod, groupmod).
packages=(
	bash
	ca-certificates
	coreutils
	cron
	findutils
	netcat-openbsd
	nginx-light
	passwd
	postgresql
	procps
	redis-server
)
cache_dir=${VIGIL_CACHE_DIR:-/var/cache/vigil}

say() { printf 'debian-rootfs: %s\n' "$*"; }
fail() {
	printf 'debian-rootfs: FAILED: %s\n' "$*" >&2
	exit 1
}

start=$SECONDS
[ "$(id -u)" -eq 0 ] || fail "must run as root (debootstrap chroots, apt installs debootstrap)"
command -v docker >/dev/null 2>&1 || fail "no docker command (docker/setup-engine.sh installs and starts the engine)"
timeout 30 docker info >/dev/null 2>&1 || fail "docker info fails: no engine answering (docker/setup-engine.sh starts one)"

key=$(printf '%s\n' "version=$script_version" "suite=$suite" "variant=$variant" "${packages[@]}" | sha256sum | cut -c1-16)
tarball=$cache_dir/debian-$suite-$key.tar
logfile=$cache_dir/debian-$suite-$key.log

# image_key prints the label of the image, empty if there is none.
image_key() {
	docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$image" 2>/dev/null || true
}

if [ "$(image_key)" = "$key" ]; then
	say "$image is up to date ($label=$key); nothing to do"
	exit 0
fi

mkdir -p "$cache_dir" || fail "cannot create the cache dir $cache_dir"
# One build at a time: CI and a test may both ask for the image.
exec 9>"$cache_dir/debian-$suite.lock"
if ! flock -n 9; then
	say "another run holds $cache_dir/debian-$suite.lock; waiting for it (at most 15 min)"
	flock -w 900 9 || fail "$cache_dir/debian-$suite.lock still held after 15 min"
	if [ "$(image_key)" = "$key" ]; then
		say "$image was built meanwhile ($label=$key); nothing to do"
		exit 0
	fi
fi

# find_mirror prints the URI of the first deb source for $suite (not -security, -updates).
find_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822: paragraphs of "Key: value" lines.
		uri=$(awk -v suite="$suite" 'BEGIN { RS = ""; FS = "\n" }
			{
				types = ""; uris = ""; suites = ""; enabled = "yes"
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^[ \t]*#/) continue
					k = $i; sub(/:.*/, "", k); k = tolower(k)
					v = $i; sub(/^[^:]*:[ \t]*/, "", v)
					if (k == "types") types = v
					else if (k == "uris") uris = v
					else if (k == "suites") suites = v
					else if (k == "enabled") enabled = tolower(v)
				}
				if (enabled == "no" || (" " types " ") !~ / deb / || (" " suites " ") !~ (" " suite " ")) next
				split(uris, u, /[ \t]+/); print u[1]; exit
			}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI SUITE COMPONENT…
		uri=$(awk -v suite="$suite" '$1 == "deb" {
				i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
				if ($(i + 1) == suite) { print $i; exit }
			}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
}

if [ -f "$tarball" ]; then
	say "using the cached tarball $tarball"
else
	mirror=${VIGIL_DEBIAN_MIRROR:-$(find_mirror)}
	[ -n "$mirror" ] || fail "no deb source for $suite in /etc/apt/sources.list{,.d/*.list,.d/*.sources}; set VIGIL_DEBIAN_MIRROR"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg

	need=()
	command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
	[ -f "$keyring" ] || need+=(debian-archive-keyring)
	if ((${#need[@]})); then
		say "installing ${need[*]} with apt"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q --no-install-recommends "${need[@]}" ||
			{ apt-get update -q && apt-get install -y -q --no-install-recommends "${need[@]}"; } ||
			fail "apt-get install ${need[*]} failed"
	fi
	command -v debootstrap >/dev/null 2>&1 || fail "debootstrap not found after installing it"

	work=$(mktemp -d "$cache_dir/build-$suite.XXXXXX")
	root=$work/rootfs
	# cleanup unmounts what debootstrap may have left mounted in the chroot, and
	# removes the build directory only when nothing is mounted under it: a bind
	# mount of the host's /dev must never be deleted through.
	cleanup() {
		local m left
		for m in $(awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done
		left=$(awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo)
		if [ -n "$left" ]; then
			printf 'debian-rootfs: still mounted, not removing %s: %s\n' "$work" "$left" >&2
			return
		fi
		rm -rf --one-file-system "$work"
	}
	trap cleanup EXIT

	# show_failure prints the reason and the end of the logs, then exits.
	show_failure() {
		printf 'debian-rootfs: FAILED: %s; last lines of %s:\n' "$1" "$logfile" >&2
		tail -n 25 "$logfile" | sed 's/^/    /' >&2
		if [ -f "$root/debootstrap/debootstrap.log" ]; then
			printf 'debian-rootfs: last lines of the chroot'\''s debootstrap.log:\n' >&2
			tail -n 25 "$root/debootstrap/debootstrap.log" | sed 's/^/    /' >&2
		fi
		exit 1
	}

	say "debootstrap --variant=$variant $suite from $mirror into $root (log: $logfile)"
	say "packages: ${packages[*]}"
	: >"$logfile"
	include=$(IFS=,; echo "${packages[*]}")
	# First stage only (--foreign): unpack, configure nothing, so that policy-rc.d
	# and the settings below are in place before any maintainer script runs.
	debootstrap --foreign --variant="$variant" --keyring="$keyring" --include="$include" \
		"$suite" "$root" "$mirror" >>"$logfile" 2>&1 ||
		show_failure "debootstrap (first stage, downloading from $mirror) failed"
	say "first stage done after $((SECONDS - start))s; configuring"

	mkdir -p "$root/usr/sbin" "$root/etc/postgresql-common/createcluster.d" "$root/etc/dpkg/dpkg.cfg.d" "$root/etc/apt/apt.conf.d"
	cat >"$root/usr/sbin/policy-rc.d" <<-'EOF'
		#!/bin/sh
		# No daemon is started by a package's maintainer scripts in this image
		# (vigil-debian, docker/debian-rootfs.sh): the image's init starts them.
		exit 101
	EOF
	chmod 755 "$root/usr/sbin/policy-rc.d"
	cat >"$root/etc/postgresql-common/createcluster.d/vigil.conf" <<-'EOF'
		# docker/debian-rootfs.sh: no cluster at install time; images initdb their own.
		create_main_cluster = false
	EOF
	cat >"$root/etc/dpkg/dpkg.cfg.d/vigil-slim" <<-'EOF'
		# docker/debian-rootfs.sh: a test image needs no documentation.
		path-exclude /usr/share/doc/*
		path-include /usr/share/doc/*/copyright
		path-exclude /usr/share/man/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/locale/*
		path-include /usr/share/locale/locale.alias
		path-exclude /usr/share/lintian/*
	EOF
	cat >"$root/etc/apt/apt.conf.d/vigil-slim" <<-'EOF'
		// docker/debian-rootfs.sh: keep later installs small too.
		APT::Install-Recommends "false";
		Acquire::Languages "none";
		DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
	EOF

	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C DEBIAN_FRONTEND=noninteractive \
		chroot "$root" /debootstrap/debootstrap --second-stage >>"$logfile" 2>&1 ||
		show_failure "debootstrap --second-stage (configuring the packages in the chroot) failed"
	say "second stage done after $((SECONDS - start))s; cleaning up"

	# The daemons' auto-start: their sysv-init links and systemd wants.
	for svc in nginx redis-server postgresql cron; do
		rm -f "$root"/etc/rc[0-6S].d/[SK][0-9][0-9]"$svc"
		rm -f "$root"/etc/systemd/system/*.wants/"$svc".service
	done
	rm -f "$root/etc/systemd/system/redis.service" "$root/etc/systemd/system/postgresql.service"
	# Caches and host leftovers; Docker mounts its own resolv.conf, hostname, hosts.
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
		"$root"/var/lib/dpkg/*-old "$root"/var/log/*.log "$root"/var/log/apt/* \
		"$root"/tmp/* "$root"/var/tmp/* "$root"/root/.cache
	# What the first stage unpacked before dpkg's path-exclude was in place.
	find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
	find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
	rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/*
	# /run is a fresh directory in a container: the packages' run-time leftovers go.
	rm -rf "$root"/run/*
	install -d -m 1777 "$root/run/lock"
	: >"$root/etc/resolv.conf"
	[ ! -e "$root/etc/machine-id" ] || : >"$root/etc/machine-id"
	printf 'localhost\n' >"$root/etc/hostname"

	for p in "${packages[@]}"; do
		[ -n "$(chroot "$root" dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep '^ii')" ] ||
			show_failure "package $p is not installed in the rootfs"
	done

	say "writing $tarball"
	# --one-file-system: nothing mounted inside the chroot ends up in the tarball.
	tar --numeric-owner --xattrs --xattrs-include='*' --one-file-system -C "$root" -cf "$tarball.tmp" . ||
		{ rm -f "$tarball.tmp"; fail "tar of $root failed"; }
	mv "$tarball.tmp" "$tarball"
	for old in "$cache_dir"/debian-"$suite"-*.tar "$cache_dir"/debian-"$suite"-*.log; do
		case $old in "$tarball" | "$logfile") continue ;; esac
		[ -e "$old" ] || continue
		say "removing the stale $old"
		rm -f "$old"
	done
	say "built the rootfs in $((SECONDS - start))s: $(du -h "$tarball" | cut -f1) $tarball"
fi

old_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
say "docker import $tarball $image"
docker import \
	--change "LABEL $label=$key" \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'CMD ["/bin/bash"]' \
	"$tarball" "$image" >/dev/null || fail "docker import $tarball failed"
[ "$(image_key)" = "$key" ] || fail "$image has no $label=$key after docker import"
if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect --format '{{.Id}}' "$image")" ]; then
	say "removing the previous $image ($old_id)"
	docker rmi "$old_id" >/dev/null 2>&1 || say "could not remove $old_id (a container still uses it?); left in place"
fi
say "$image ready ($label=$key, $(docker image inspect --format '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1000000 }')) after $((SECONDS - start))s"
