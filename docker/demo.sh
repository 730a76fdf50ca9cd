#!/usr/bin/env bash
# make demo: vigil doing its job in a container, on a fresh machine.
#
# It starts a Docker engine if none runs (docker/setup-engine.sh, as CI
# does), builds the example image of docker/examples/multi-service (no
# network: vigil and a static busybox from this machine), runs it, shows
# `vigil status` and the container's logs (every line with its writer's
# name in front), stops it with `docker stop`, and prints the exit code and
# how long the stop took beside what s6-overlay's fixed delay costs. It
# removes the container and the image when done, whatever happens.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if ! timeout 20 docker info >/dev/null 2>&1; then
	say "no Docker engine answers: starting one (docker/setup-engine.sh)"
	./docker/setup-engine.sh
fi
[ -x bin/vigil ] || make --no-print-directory build

tag=vigil-demo:$$
name=vigil-demo-$$
ctx=$(mktemp -d)
cleanup() {
	docker rm -f "$name" >/dev/null 2>&1 || true
	docker rmi -f "$tag" >/dev/null 2>&1 || true
	rm -rf "$ctx"
}
trap cleanup EXIT

say "building the example image (docker/examples/multi-service)"
cp -r docker/examples/multi-service/. "$ctx/"
cp bin/vigil "$ctx/vigil"
cp /bin/busybox "$ctx/busybox"
DOCKER_BUILDKIT=0 docker build -q --network none -t "$tag" "$ctx" >/dev/null 2>&1 ||
	DOCKER_BUILDKIT=0 docker build --network none -t "$tag" "$ctx"
cat <<'TREE'
  /etc/cont-init.d/10-greeting       an init script: sets GREETING for what starts after it
  /etc/services.d/web                busybox httpd, ready when `check` gets a page
  /etc/services.d/worker             fetches a page every second once web is ready;
    worker/log/run                   its stdout goes to `vigil log -t /var/log/worker`
  /etc/services.d/greeter            runs as nobody (a `user` file), with nobody's HOME
  /etc/cont-finish.d/10-bye          a finish script, once every service is down
  CMD                                waits for the page, prints GREETING, sleeps; exits 0 on SIGTERM
TREE

say "docker run -d --network none $tag"
docker run -d --name "$name" --network none "$tag" >/dev/null
for _ in $(seq 1 100); do
	docker exec "$name" vigil check >/dev/null 2>&1 && break
	sleep 0.1
done
docker exec "$name" vigil check
sleep 2 # a few of the worker's ticks

say "docker exec $name vigil status"
docker exec "$name" vigil status

say "docker exec $name tail -n 3 /var/log/worker/current   (the worker, through vigil log)"
docker exec "$name" tail -n 3 /var/log/worker/current

say "docker stop $name"
start=$(date +%s%N)
docker stop "$name" >/dev/null
stop_ms=$((($(date +%s%N) - start) / 1000000))
code=$(docker inspect --format '{{.State.ExitCode}}' "$name")

say "docker logs $name   (stdout: the scripts and services, each line after its name; the CMD as it wrote it)"
docker logs "$name" 2>/dev/null
say "docker logs $name, stderr   (vigil's own log, and the services' stderr, prefixed too)"
docker logs "$name" 2>&1 >/dev/null

say "result"
printf '  exit code:   %s (the CMD'"'"'s: it got the SIGTERM of docker stop first, and exits 0 on it)\n' "$code"
printf '  docker stop: %d ms, every service stopped in reverse order and the finish script run\n' "$stop_ms"
printf '  s6-overlay:  at least 3000 ms on every stop: S6_KILL_GRACETIME, a fixed sleep, comes on top of its stages\n'
