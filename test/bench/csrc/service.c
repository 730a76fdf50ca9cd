/*
 * service: the trivial service of make bench's supervision trees. No shell,
 * no libc start-up beyond the static minimum, so that what the bench times
 * is the supervisor, not the service.
 *
 * It runs in its service directory (the supervisor's job), and:
 *   1. writes one byte to ../.started, a FIFO the bench reads: "running";
 *   2. if ./notification-fd names a descriptor (s6 and vigil read the same
 *      file), writes a newline to it: "ready";
 *   3. sleeps until a signal ends it (SIGTERM's default action: it dies).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char buf[16];
	int fd = open("../.started", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "s", 1);
		close(fd);
	}
	fd = open("notification-fd", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			(void)!write(atoi(buf), "\n", 1);
		}
	}
	for (;;)
		pause();
}
