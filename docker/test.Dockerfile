# The image test/docker_test.go builds: the release layout (vigil as /init,
# /usr/bin/vigil -> /init, ENTRYPOINT ["/init"]) plus a static busybox for the
# shell commands the tests run, and /docker-init -> /init to run vigil the way
# Docker runs its init binary (`docker-init -- CMD`). Not /sbin/docker-init:
# `docker run --init` bind-mounts Docker's own init there.
#
# The test builds it from a temporary context holding only `vigil` (the binary
# under test) and `busybox` (/bin/busybox from Debian's busybox-static):
#
#   DOCKER_BUILDKIT=0 docker build --network none -f docker/test.Dockerfile -t TAG CONTEXT
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY vigil /init
RUN ["/bin/sh", "-c", "mkdir -p /usr/bin /tmp /run && chmod 1777 /tmp && ln -s /init /usr/bin/vigil && ln -s /init /docker-init"]
ENTRYPOINT ["/init"]
