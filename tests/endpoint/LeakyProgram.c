/*
 * asprof-test-leaky-program <agent.ini> <stop file> <max seconds>
 *
 * A C program under the agent (C API) for endpoint-tests with the real
 * async-profiler: leakingFunction keeps every block it allocates,
 * churningFunction allocates and frees at once (eight times as much), and
 * hotFunction burns CPU. Runs until the stop file exists or max seconds pass,
 * then stops the agent. Exit status: 0, 1 when the agent does not start.
 */
#define _GNU_SOURCE
#include "asprof/agent.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 32768
#define MAX_LEAKS 4096

void* leaked[MAX_LEAKS];
size_t leakedCount;
volatile unsigned long sink;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void leakingFunction(void)
{
	char* block = malloc(BLOCK);
	if (!block) return;
	memset(block, 1, BLOCK);
	if (leakedCount < MAX_LEAKS) leaked[leakedCount++] = block;
}

__attribute__((noinline)) void churningFunction(void)
{
	for (int i = 0; i < 8; ++i)
	{
		char* block = malloc(BLOCK);
		if (!block) return;
		memset(block, 2, BLOCK);
		sink += (unsigned long)block[BLOCK / 2];
		free(block);
	}
}

__attribute__((noinline)) void hotFunction(void)
{
	double until = now() + 0.01;
	unsigned long value = sink;
	while (now() < until)
	{
		for (int i = 0; i < 1000; ++i) value = value * 6364136223846793005UL + 1442695040888963407UL;
	}
	sink = value;
}

int main(int argc, char** argv)
{
	if (argc != 4)
	{
		fprintf(stderr, "usage: %s AGENT_INI STOP_FILE MAX_SECONDS\n", argv[0]);
		return 2;
	}
	asprof_agent* agent = NULL;
	if (asprof_agent_start(argv[1], &agent) != 0)
	{
		fprintf(stderr, "agent did not start: %s\n", asprof_agent_last_error());
		return 1;
	}
	double end = now() + atof(argv[3]);
	while (now() < end && access(argv[2], F_OK) != 0)
	{
		leakingFunction();
		churningFunction();
		hotFunction();
	}
	asprof_agent_stop(agent, 10000);
	asprof_agent_free(agent);
	return 0;
}
