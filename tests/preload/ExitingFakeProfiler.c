/*
 * The fake libasyncProfiler.so (tests/fixtures/fake-asprof) with the exit
 * handling of async-profiler 4.5: asprof_init() registers an atexit handler
 * that stops an active profiler, writing the recording to the file= of the
 * last start, and deactivates it for good, so every later command fails with
 * "Profiler is not active". Exit handlers run newest first: an agent whose
 * own handler was registered before asprof_init() then finds the profiler
 * gone and, unless it copes, loses its last recording.
 *
 * asprof_fake_exit_shutdown() runs that handler now (for in-process tests).
 * Settings and logging are the fake's; a command refused after the shutdown
 * is logged too ("<tid> stop" then "<tid> stop-failed").
 */
#define asprof_init fakeInit
#define asprof_execute fakeExecute
#include "../fixtures/fake-asprof/FakeAsyncProfiler.c"
#undef asprof_init
#undef asprof_execute

static pthread_mutex_t stateLock = PTHREAD_MUTEX_INITIALIZER; /* async-profiler's state lock */
static int terminated = 0;

EXPORT void asprof_fake_exit_shutdown(void)
{
	pthread_mutex_lock(&stateLock);
	if (!terminated)
	{
		int wasActive;
		pthread_mutex_lock(&lock);
		wasActive = active;
		pthread_mutex_unlock(&lock);
		if (wasActive) fakeExecute("stop", NULL);
		terminated = 1;
	}
	pthread_mutex_unlock(&stateLock);
}

static void shutdownAtExit(void)
{
	asprof_fake_exit_shutdown();
}

EXPORT void asprof_init(void)
{
	static int registered = 0;
	fakeInit();
	if (!registered)
	{
		registered = 1;
		atexit(&shutdownAtExit);
	}
}

EXPORT asprof_error_t asprof_execute(const char* command, asprof_writer_t writer)
{
	asprof_error_t result;
	pthread_mutex_lock(&stateLock);
	if (terminated)
	{
		logCall(command);
		result = "Profiler is not active";
		if (strcmp(command, "stop") == 0) logCall("stop-failed");
	}
	else
	{
		result = fakeExecute(command, writer);
	}
	pthread_mutex_unlock(&stateLock);
	return result;
}
