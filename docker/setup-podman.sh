#!/usr/bin/env bash
# Make Podman work, rootful and rootless, for vigil's Podman tests
# (test/podman_test.go), on a host without systemd or logind.
#
#   docker/setup-podman.sh
#
# Idempotent; run as root on Debian 12:
#   1. installs with apt what is missing of podman, runc, uidmap, slirp4netns,
#      fuse-overlayfs, catatonit and busybox-static;
#   2. writes /etc/containers/containers.conf.d/50-vigil-podman.conf: runc as
#      the runtime and, when root lacks CAP_SYS_RESOURCE, ulimits podman can set;
#   3. creates the user $VIGIL_PODMAN_USER (default vigilpod) with a home and
#      65536 subordinate uids and gids in /etc/subuid and /etc/subgid;
#   4. does what pam_systemd would do at login: a tmpfs owned by the user, mode
#      0700, on /run/user/UID, its XDG_RUNTIME_DIR;
#   5. writes the user's ~/.config/containers/containers.conf.d/50-vigil-podman.conf
#      (cgroupfs: no systemd user session hands out cgroups; events to a file: no
#      journald), and runs `podman system migrate` as the user when its ranges are
#      new, so that no rootless pause process keeps the old mappings;
#   6. checks that a container really runs, as root and as the user:
#      `podman run --network none` of a one-file image imported from /bin/busybox.
# It prints what it did, and on failure the reason, exiting non-zero.
#
# Rootless podman is then run as (test/podman_test.go does the same):
#   runuser -u vigilpod -- env HOME=/home/vigilpod XDG_RUNTIME_DIR=/run/user/UID podman …
set -euo pipefail

user=${VIGIL_PODMAN_USER:-vigilpod}

say() { printf 'setup-podman: %s\n' "$*"; }
fail() {
	printf 'setup-podman: FAILED: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || fail "must run as root (installs packages, creates a user, mounts a tmpfs)"

# 1. Packages, each for a reason:
#   podman          Debian 12's: 4.3.1;
#   runc            the runtime (step 2 says why not crun);
#   uidmap          setuid newuidmap and newgidmap: a rootless user namespace
#                   with the ranges of /etc/subuid and /etc/subgid;
#   slirp4netns     rootless networking (podman 4.3's default; the tests use
#                   --network none, but podman checks for it);
#   fuse-overlayfs  rootless overlay storage on kernels without unprivileged
#                   overlay mounts, when storage.conf asks for overlay;
#   catatonit       /usr/libexec/podman/catatonit: `podman run --init`, and the
#                   pause process of pods, whose image podman builds locally;
#   busybox-static  the one-file image below, and the tests' shell.
static_busybox() {
	[ -x /bin/busybox ] || return 1
	local out
	out=$(LC_ALL=C ldd /bin/busybox 2>&1) || true
	[[ $out == *"not a dynamic executable"* ]]
}
installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

pkgs=()
for p in podman runc uidmap slirp4netns fuse-overlayfs catatonit; do
	installed "$p" || pkgs+=("$p")
done
static_busybox || pkgs+=(busybox-static)

if ((${#pkgs[@]})); then
	say "installing ${pkgs[*]} with apt"
	export DEBIAN_FRONTEND=noninteractive
	# Others may be running apt on this machine: wait for the lock rather than fail.
	apt_install() {
		apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "${pkgs[@]}"
	}
	if ! apt_install; then
		say "apt-get install failed; updating the package lists and trying again"
		apt-get update -q -o DPkg::Lock::Timeout=300 || fail "apt-get update failed"
		apt_install || fail "apt-get install ${pkgs[*]} failed"
	fi
	say "installed ${pkgs[*]}"
else
	say "podman, runc, uidmap, slirp4netns, fuse-overlayfs, catatonit, busybox-static already installed"
fi
command -v podman >/dev/null 2>&1 || fail "podman not found after installing it"
command -v runc >/dev/null 2>&1 || fail "runc not found after installing it"
static_busybox || fail "/bin/busybox is missing or not static after installing busybox-static"
for f in /usr/bin/newuidmap /usr/bin/newgidmap; do
	[ -u "$f" ] || fail "$f is missing or not setuid (package uidmap): rootless podman needs it"
done
[ -x /usr/libexec/podman/catatonit ] ||
	fail "/usr/libexec/podman/catatonit is missing (package catatonit): podman run --init and pods need it"

# write_file PATH OWNER CONTENT: writes CONTENT (and a newline) to PATH unless
# it holds exactly that already; prints what it did.
write_file() {
	local path=$1 owner=$2 content=$3
	if [ -f "$path" ] && [ "$(cat "$path")" = "$content" ]; then
		say "$path is up to date"
		return
	fi
	mkdir -p "$(dirname "$path")"
	printf '%s\n' "$content" >"$path"
	chown "$owner" "$path"
	chmod 644 "$path"
	say "wrote $path"
}

# 2. Root's configuration.
#   runtime: crun 1.8 refuses to run anything on a host whose cgroup v2
#     hierarchy has controllers while v1 is mounted ("cgroups in hybrid mode
#     not supported, drop all controllers from cgroupv2"); runc, which Docker
#     uses too, does not mind. One runtime everywhere keeps results comparable.
#   ulimits: rootful podman 4.3 asks the runtime for RLIMIT_NOFILE and
#     RLIMIT_NPROC of 1048576, and lowers its own RLIMIT_NPROC to 32768 as it
#     starts; without CAP_SYS_RESOURCE (a sandboxed root) the runtime cannot
#     raise a limit past the hard one, and every container fails with
#     "setrlimit RLIMIT_NOFILE: Operation not permitted". Ask for what is there.
conf=$'# Written by vigil docker/setup-podman.sh.\n[engine]\nruntime = "runc"'
cap_eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
if (((0x$cap_eff >> 24) & 1)); then
	say "root has CAP_SYS_RESOURCE: podman's default ulimits apply"
else
	nofile=$(ulimit -Hn)
	[ "$nofile" != unlimited ] && ((nofile <= 1048576)) || nofile=1048576
	nproc=$(ulimit -Hu)
	[ "$nproc" != unlimited ] && ((nproc <= 32768)) || nproc=32768
	say "root lacks CAP_SYS_RESOURCE: containers get nofile=$nofile, nproc=$nproc (the hard limits podman runs with)"
	conf+=$'\n[containers]\n'"default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]"
fi
write_file /etc/containers/containers.conf.d/50-vigil-podman.conf root:root "$conf"

# 3. The user and its subordinate ids.
migrate=
if id -u "$user" >/dev/null 2>&1; then
	say "user $user exists"
else
	useradd --create-home --user-group --shell /bin/sh --comment "vigil rootless podman tests" "$user" ||
		fail "useradd $user failed"
	say "created user $user"
	migrate=1
fi
uid=$(id -u "$user")
gid=$(id -g "$user")
home=$(getent passwd "$user" | cut -d: -f6)
[ -d "$home" ] || fail "the home directory $home of $user does not exist"

# has_range FILE: true when FILE gives the user (by name or uid) 65536 ids or more.
has_range() {
	awk -F: -v u="$user" -v id="$uid" '($1 == u || $1 == id) && $3 >= 65536 { found = 1 } END { exit !found }' "$1"
}
# next_free FILE: the first id at or above 100000 past every range in FILE.
next_free() {
	awk -F: 'BEGIN { n = 100000 } NF >= 3 && $2 + $3 > n { n = $2 + $3 } END { print n }' "$1"
}
for kind in uid gid; do
	file=/etc/sub$kind
	touch "$file"
	if has_range "$file"; then
		say "$file has a range for $user: $(awk -F: -v u="$user" -v id="$uid" '$1 == u || $1 == id { printf "%s+%s ", $2, $3 }' "$file")"
		continue
	fi
	start=$(next_free "$file")
	end=$((start + 65535))
	usermod "--add-sub${kind}s" "$start-$end" "$user" || fail "usermod --add-sub${kind}s $start-$end $user failed"
	say "added sub${kind}s $start-$end for $user to $file"
	migrate=1
done

# 4. XDG_RUNTIME_DIR: a tmpfs, as pam_systemd mounts it, so that podman's
# runtime state (which must not outlive a reboot) does not.
run_dir=/run/user/$uid
mkdir -p /run/user
if mountpoint -q "$run_dir"; then
	say "$run_dir is mounted"
else
	mkdir -p "$run_dir"
	if mount -t tmpfs -o "mode=0700,uid=$uid,gid=$gid,size=10%,nosuid,nodev" tmpfs "$run_dir"; then
		say "mounted a tmpfs on $run_dir"
	else
		say "warning: cannot mount a tmpfs on $run_dir; a plain directory will do (podman may see stale state after a reboot)"
	fi
fi
chown "$uid:$gid" "$run_dir"
chmod 700 "$run_dir"

# 5. The user's configuration.
runuser -u "$user" -- mkdir -p "$home/.config/containers/containers.conf.d"
write_file "$home/.config/containers/containers.conf.d/50-vigil-podman.conf" "$uid:$gid" \
	$'# Written by vigil docker/setup-podman.sh: no systemd user session, no journald.\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"'

# as_user: a command run as the user, with the environment a login would give.
as_user=(runuser -u "$user" -- env -i PATH=/usr/local/bin:/usr/bin:/bin
	HOME="$home" USER="$user" LOGNAME="$user" XDG_RUNTIME_DIR="$run_dir")

if [ -n "$migrate" ]; then
	out=$(cd / && "${as_user[@]}" podman system migrate 2>&1) || fail "podman system migrate as $user: $out"
	say "ran podman system migrate as $user"
fi

# 6. Smoke tests. smoke_test [COMMAND PREFIX] imports a one-file image and runs it.
smoke_test() {
	local dir tag=localhost/vigil-podman-setup-smoke:latest out rc=0
	dir=$(mktemp -d)
	cp /bin/busybox "$dir/busybox"
	chmod 755 "$dir"
	if ! out=$(tar -C "$dir" -c busybox | timeout 120 "$@" podman import - "$tag" 2>&1); then
		rm -rf "$dir"
		echo "podman import: $out"
		return 1
	fi
	rm -rf "$dir"
	out=$(timeout 120 "$@" podman run --rm --network none "$tag" /busybox true 2>&1) || rc=$?
	timeout 120 "$@" podman rmi -f "$tag" >/dev/null 2>&1 || true
	if ((rc != 0)); then
		echo "podman run: exit $rc: $out"
		return 1
	fi
}
info='podman {{.Version.Version}}, runtime {{.Host.OCIRuntime.Name}}, storage {{.Store.GraphDriverName}}, cgroups {{.Host.CgroupsVersion}} ({{.Host.CgroupManager}}), events {{.Host.EventLogger}}'

cd /
why=$(smoke_test) || fail "rootful podman cannot run a container: $why"
say "rootful podman runs containers: $(podman info --format "$info" 2>&1)"
why=$(smoke_test "${as_user[@]}") || fail "rootless podman ($user) cannot run a container: $why"
say "rootless podman ($user, uid $uid, XDG_RUNTIME_DIR=$run_dir) runs containers: $("${as_user[@]}" podman info --format "$info" 2>/dev/null)"
