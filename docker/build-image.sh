#!/usr/bin/env bash
# Build the release image (README "Invocation"): FROM scratch, vigil as
# /init, and a symlink to /init at every path `vigil links` prints:
# /usr/bin/vigil, each s6-overlay helper at /command/NAME and
# /usr/bin/NAME, /run/s6/basedir/bin/halt, and the execline programs at
# /command/NAME. So `COPY --from=vigil:latest / /` installs everything.
#
#   docker/build-image.sh BINARY TAG [PLATFORM]
#
# BINARY is the static vigil for the image's platform; the link list comes
# from $VIGIL_LINKS_FROM if set (a vigil that runs here: for another
# platform's image), else from BINARY itself. PLATFORM (linux/arm64, ...)
# is passed to docker build --platform; the Dockerfile has no RUN, so no
# emulation is needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bin=${1:?usage: docker/build-image.sh BINARY TAG [PLATFORM]}
tag=${2:?usage: docker/build-image.sh BINARY TAG [PLATFORM]}
platform=${3:-}
lister=${VIGIL_LINKS_FROM:-$bin}

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/vigil"
mkdir "$ctx/rootfs"
# argv[0] must be "vigil" for client mode: run the lister through a link.
mkdir "$ctx/bin"
ln -s "$(realpath "$lister")" "$ctx/bin/vigil"
"$ctx/bin/vigil" links | while read -r path; do
	mkdir -p "$ctx/rootfs$(dirname "$path")"
	ln -s /init "$ctx/rootfs$path"
done
rm -r "$ctx/bin"
if ! out=$(DOCKER_BUILDKIT=0 docker build -q ${platform:+--platform "$platform"} -f docker/Dockerfile -t "$tag" "$ctx" 2>&1); then
	echo "docker build of $tag failed:" >&2
	echo "$out" >&2
	exit 1
fi
echo "built $tag${platform:+ for $platform}: /init and $(find "$ctx/rootfs" -type l | wc -l) links"
