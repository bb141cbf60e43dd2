/*
 * A program linked with libasprof-agent.so for its PollCatch hooks only,
 * run under the LD_PRELOAD agent (a copy of the agent of its own): once the
 * hooks are on, one poll that a sample lands in (the fake async-profiler's
 * counter, named by PC_FAKE_PROFILER, written as async-profiler would) and
 * one without; prints what the fake received.
 */
#define _GNU_SOURCE
#include "asprof/pollcatch.h"
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void)
{
	struct timespec pause = {0, 1000000};
	int waited = 0;
	while (!asprof_pollcatch_enabled() && waited++ < 20000) nanosleep(&pause, NULL); /* up to 20 s: the agent starts after 100ms */
	if (!asprof_pollcatch_enabled())
	{
		printf("enabled=0\n");
		return 0;
	}
	void* fake = dlopen(getenv("PC_FAKE_PROFILER"), RTLD_NOW | RTLD_NOLOAD);
	if (!fake) return 2;
	/* The POSIX way from dlsym to a function pointer (ISO C has none). */
	volatile uint64_t* (*counter)(void);
	int (*get)(const char*, char*, size_t);
	*(void**)&counter = dlsym(fake, "asprof_get_thread_local_data");
	*(void**)&get = dlsym(fake, "asprof_fake_get");
	if (!counter || !get) return 3;

	asprof_pollcatch_before_poll();
	*counter() += 1;
	asprof_pollcatch_after_poll();
	asprof_pollcatch_before_poll();
	asprof_pollcatch_after_poll();

	char events[64];
	if (get("ASPROF_FAKE_EVENTS", events, sizeof(events)) != 1) return 4;
	printf("enabled=1 events=%s\n", events);
	return 0;
}
