/*
 * agent.h
 *
 * The C API of asprof-agent, for programs in C (or any language with a C
 * FFI: Rust, Go, Python ctypes). Nothing C++ crosses it: no exceptions, no
 * C++ types. Link with -lasprof-agent (pkg-config asprof-agent).
 *
 *     asprof_agent* agent = NULL;
 *     if (asprof_agent_start("/etc/asprof-agent/agent.ini", &agent) != 0)
 *         fprintf(stderr, "profiling off: %s\n", asprof_agent_last_error());
 *     ...
 *     asprof_agent_stop(agent, 10000);
 *     asprof_agent_free(agent);
 */

#ifndef ASPROF_AGENT_H_INCLUDED
#define ASPROF_AGENT_H_INCLUDED

#include "asprof/agent/Export.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

	typedef struct asprof_agent asprof_agent;
	/* An agent. Only one can run per process (async-profiler is process-wide). */

	typedef struct asprof_agent_status
	/* Counters, summed over the agent's reporter lanes (see Agent.h). */
	{
		int running;              /* 1 while profiling */
		uint64_t rotations;       /* completed recordings, empty ones included */
		uint64_t recordings;      /* non-empty recordings handed to delivery */
		uint64_t profiler_errors; /* async-profiler stop/start failures */
		uint64_t delivered;       /* profiles the reporters accepted (all lanes) */
		uint64_t retried;
		uint64_t failed;  /* Fail results, throwing reporters, or the last retry */
		uint64_t dropped; /* queue full + spool caps + corrupt spool entries + at stop */
		uint64_t spooled; /* written to a spool */
		uint64_t queued;  /* waiting now, in memory or in a spool (after stop: left in a spool) */
	} asprof_agent_status;

	ASPROF_AGENT_API const char* asprof_agent_version(void);
	/* The agent's version, e.g. "0.1.0". Never NULL. */

	ASPROF_AGENT_API int asprof_agent_start(const char* config_path, asprof_agent** agent);
	/* Reads the configuration file (INI, or XML if the name ends in .xml),
	 * then starts profiling. On success returns 0 and stores the agent in
	 * *agent. On failure returns -1, stores NULL and sets the last error
	 * (bad configuration, async-profiler missing or refusing, plugin errors).
	 * Never terminates the process.
	 * An agent still running at exit() (or return from main) is stopped
	 * then, within its flushTimeout and before async-profiler's own exit
	 * handling deactivates the profiler, so its last recording is delivered;
	 * not in a forked child, whose exit leaves the parent's agent alone. */

	ASPROF_AGENT_API int asprof_agent_stop(asprof_agent* agent, unsigned timeout_ms);
	/* Stops profiling, reports the last recording and lets delivery drain,
	 * returning within timeout_ms even if a reporter hangs. Returns 0 when
	 * every profile was delivered, 1 when any was not (failed, dropped, or
	 * left in a spool; see the status), -1 for a NULL agent. May be called
	 * more than once: a stop that finds the agent already stopped (by an
	 * earlier call, or at exit() from an atexit handler of the program's that
	 * runs after the agent's) returns what the stop that did it returned. */

	ASPROF_AGENT_API int asprof_agent_status_get(const asprof_agent* agent, asprof_agent_status* status);
	/* Fills *status. Returns 0, or -1 for NULL arguments. Thread-safe. */

	ASPROF_AGENT_API void asprof_agent_free(asprof_agent* agent);
	/* Stops the agent (with its configured flushTimeout) if still running and
	 * frees it. NULL is ignored. */

	ASPROF_AGENT_API const char* asprof_agent_last_error(void);
	/* The last error of a call in this thread, or "" if it succeeded. The
	 * string stays valid until the thread's next call into this API. */

#ifdef __cplusplus
}
#endif

#endif /* ASPROF_AGENT_H_INCLUDED */
