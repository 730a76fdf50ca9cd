/*
 * storm N: the CMD of make bench's orphan storm. It makes N short-lived
 * orphans, one at a time: it forks a child that forks a grandchild, and both
 * exit at once. The child is ours to wait for; the grandchild, whichever of
 * the two dies first, ends up the init's to reap (the kernel hands a dead
 * process's children, zombies included, to the namespace's init).
 *
 * Then it waits (up to 10 s) until no zombie is left in the PID namespace
 * (/proc must be the namespace's: unshare --mount-proc) and prints
 *   orphans=N zombies_at_end=Z drain_us=T zombies_left=L
 * Z: zombies right after the last fork; T: microseconds until none was left;
 * L: zombies still there after 10 s. It exits 0 iff L is 0.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int zombies(void)
{
	int n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], buf[512];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t r = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = 0;
		char *p = strrchr(buf, ')'); /* the name may contain ')' */
		if (p && p[1] == ' ' && p[2] == 'Z')
			n++;
	}
	closedir(d);
	return n;
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("storm: fork");
			return 2;
		}
		if (pid == 0) {
			fork(); /* the grandchild, and the child: both exit */
			_exit(0);
		}
		while (waitpid(pid, NULL, 0) < 0)
			;
	}
	long long t0 = now_us(), t = t0;
	int z0 = zombies(), z = z0;
	while (z != 0 && t - t0 < 10000000) {
		usleep(1000);
		z = zombies();
		t = now_us();
	}
	printf("orphans=%ld zombies_at_end=%d drain_us=%lld zombies_left=%d\n", n, z0, t - t0, z);
	return z == 0 ? 0 : 1;
}
