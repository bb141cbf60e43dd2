/*
 * An unmodified program for LD_PRELOAD tests:
 *   preload-target [fork]
 *     Burns CPU for ~1 s (the agent rotates meanwhile), then returns from main.
 *     With "fork": first forks a child that works ~0.3 s and calls exit(0); the
 *     parent prints "child <pid> exited <status>" once it has waited for it.
 *   preload-target exit SECONDS
 *     Burns CPU for SECONDS, prints "target <pid> done", then calls exit(0).
 *   preload-target exec SECONDS
 *     Burns CPU for SECONDS (the agent has started), prints "image 1 of <pid>",
 *     then execs itself as "preload-target exit 1.0": the same pid, a new image.
 *   preload-target vfork SECONDS
 *     Burns CPU for SECONDS (the agent has started), then vforks a child that
 *     execs /bin/true, prints "vfork child exited <status>", burns 0.5 s more
 *     and prints "target <pid> done".
 *   preload-target sleep MILLISECONDS
 *     Sleeps, prints "target <pid> done" and returns from main (a short-lived
 *     program: the agent may still be starting when exit begins).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static volatile double sink;

static void burn(double seconds)
{
	double end = now() + seconds;
	while (now() < end)
	{
		for (int i = 0; i < 100000; ++i) sink += i * 0.5;
	}
}

int main(int argc, char** argv)
{
	if (argc > 2 && strcmp(argv[1], "exit") == 0)
	{
		burn(atof(argv[2]));
		printf("target %d done\n", (int)getpid());
		fflush(stdout);
		exit(0);
	}
	if (argc > 2 && strcmp(argv[1], "exec") == 0)
	{
		burn(atof(argv[2]));
		printf("image 1 of %d\n", (int)getpid());
		fflush(stdout);
		execl("/proc/self/exe", argv[0], "exit", "1.0", (char*)NULL);
		perror("execl");
		return 1;
	}
	if (argc > 2 && strcmp(argv[1], "vfork") == 0)
	{
		burn(atof(argv[2]));
		pid_t child = vfork();
		if (child == 0)
		{
			execl("/bin/true", "true", (char*)NULL);
			_exit(127);
		}
		int status = -1;
		if (child > 0) waitpid(child, &status, 0);
		printf("vfork child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		burn(0.5);
		printf("target %d done\n", (int)getpid());
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "sleep") == 0)
	{
		long ms = atol(argv[2]);
		struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
		while (nanosleep(&pause, &pause) != 0) /* profiling signals interrupt it */
		{
		}
		printf("target %d done\n", (int)getpid());
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "fork") == 0)
	{
		pid_t child = fork();
		if (child == 0)
		{
			burn(0.3);
			exit(0); /* runs atexit handlers in the child */
		}
		int status = 0;
		waitpid(child, &status, 0);
		printf("child %d exited %d\n", (int)child, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	burn(1.0);
	printf("parent %d done\n", (int)getpid());
	return 0;
}
