/*
 * The C API from a plain C program: capi-tests <agent.ini>
 * Prints one line per check and a closing "N passed, N failed".
 *
 * capi-tests <agent.ini> exit|exit-with-handler: a program that ends with
 * exit(0) while its agent runs (run by fault-preload-tests). It starts the
 * agent, waits for one delivered profile and calls exit(0); "exit" never
 * stops the agent, "exit-with-handler" stops it from an atexit handler
 * registered BEFORE the start and prints "stop at exit returned <n>".
 */
#include "asprof/agent.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int passed = 0;
static int failed = 0;

static void check(int ok, const char* what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	if (ok)
		++passed;
	else
		++failed;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static asprof_agent* exitingAgent = NULL;

static void stopAtExit(void)
{
	printf("stop at exit returned %d\n", asprof_agent_stop(exitingAgent, 5000));
	fflush(stdout);
}

static int exitWhileRunning(const char* config, int withHandler)
{
	if (withHandler) atexit(&stopAtExit);
	if (asprof_agent_start(config, &exitingAgent) != 0)
	{
		fprintf(stderr, "start failed: %s\n", asprof_agent_last_error());
		return 1;
	}
	asprof_agent_status status;
	memset(&status, 0, sizeof(status));
	double deadline = now() + 20;
	while (asprof_agent_status_get(exitingAgent, &status) == 0 && status.delivered < 1 && now() < deadline)
	{
		struct timespec pause = {0, 10 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	printf("delivered %llu before exit\n", (unsigned long long)status.delivered);
	fflush(stdout);
	exit(0);
}

int main(int argc, char** argv)
{
	if (argc == 3 && (strcmp(argv[2], "exit") == 0 || strcmp(argv[2], "exit-with-handler") == 0))
		return exitWhileRunning(argv[1], strcmp(argv[2], "exit-with-handler") == 0);
	if (argc != 2)
	{
		fprintf(stderr, "usage: %s AGENT_INI [exit|exit-with-handler]\n", argv[0]);
		return 2;
	}
	check(strlen(asprof_agent_version()) > 0, "asprof_agent_version() is set");

	asprof_agent* agent = (asprof_agent*)1;
	check(asprof_agent_start("/nonexistent/agent.ini", &agent) == -1, "a missing config file fails");
	check(agent == NULL, "... and yields no agent");
	check(strstr(asprof_agent_last_error(), "/nonexistent/agent.ini") != NULL, "... and the error names the file");
	check(asprof_agent_stop(NULL, 100) == -1, "stop(NULL) is an error, not a crash");
	check(asprof_agent_status_get(NULL, NULL) == -1, "status_get(NULL) is an error, not a crash");

	check(asprof_agent_start(argv[1], &agent) == 0, "start with a good config");
	check(agent != NULL && asprof_agent_last_error()[0] == '\0', "... gives an agent and no error");
	asprof_agent_status status;
	memset(&status, 0, sizeof(status));
	double deadline = now() + 20;
	while (agent && asprof_agent_status_get(agent, &status) == 0 && status.delivered < 2 && now() < deadline)
	{
		struct timespec pause = {0, 10 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	check(status.running == 1, "status: running");
	check(status.delivered >= 2 && status.recordings >= 2, "status: recordings delivered");

	asprof_agent* second = NULL;
	check(asprof_agent_start(argv[1], &second) == -1 && second == NULL, "a second agent in the process is refused");
	check(strstr(asprof_agent_last_error(), "already running") != NULL, "... saying why");

	check(asprof_agent_stop(agent, 5000) == 0, "stop delivers everything");
	check(asprof_agent_status_get(agent, &status) == 0 && status.running == 0, "status after stop: not running");
	check(status.delivered == status.recordings && status.dropped == 0, "status after stop: nothing lost");
	check(asprof_agent_stop(agent, 5000) == 0, "a second stop is harmless");
	asprof_agent_free(agent);
	asprof_agent_free(NULL);

	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
