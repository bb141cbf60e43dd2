/*
 * pollcatch.h
 *
 * PollCatch hooks: find the long polls of an event loop. Call
 * asprof_pollcatch_before_poll() before the loop runs one piece of work (a
 * handler, a callback, a task's poll) and asprof_pollcatch_after_poll() after
 * it. When a profiling sample landed on the thread in between, the hooks
 * record the poll in the running agent's profile: an async-profiler user
 * event of type "tokio.PollcatchV1" whose 16 bytes are the poll's start and
 * end, little-endian u64 in the recording's tick domain, the same event the
 * async-profiler Rust agent's hooks write. `asprof-jfr longpolls FILE` lists
 * the long polls with their stacks, `asprof-jfr timeline` draws them; see
 * docs/pollcatch.md.
 *
 *     for (;;) {
 *         struct event ev = wait_for_event(loop);    // not a poll: idle time
 *         asprof_pollcatch_before_poll();
 *         ev.handler(ev.data);                       // the poll
 *         asprof_pollcatch_after_poll();
 *     }
 *
 * Link with -lasprof-agent (pkg-config asprof-agent). The hooks record for
 * the agent that runs in the process: one started through asprof/agent.h,
 * asprof::agent::Agent or AgentSubsystem, or the LD_PRELOAD agent
 * (libasprof-agent-preload.so, asprof-agent-run), which finds the hooks of a
 * program linked with libasprof-agent.so.
 *
 * Promises, for every function here:
 * - Without a running agent, or with an async-profiler library lacking user
 *   events or thread-local data (before 4.1), a call costs one atomic load
 *   and a branch, and does nothing.
 * - With a running agent, a before/after pair costs a clock read (rdtsc, or
 *   the vDSO's clock_gettime) and a few thread-local loads and stores when no
 *   sample landed in the poll; a poll a sample landed in emits one event
 *   (about a microsecond, in async-profiler). The first call on a thread
 *   also creates async-profiler's slot for the thread (a malloc).
 * - Thread-safe: any thread may call them at any time, also while the agent
 *   starts or stops; each thread's polls are its own. A poll that spans an
 *   agent's stop or start is not recorded.
 * - In a child made by fork() they are off: the parent's agent is not the
 *   child's.
 * - NOT async-signal-safe: never call them from a signal handler.
 * - They never fail and never block; errors from async-profiler are ignored.
 */

#ifndef ASPROF_POLLCATCH_H_INCLUDED
#define ASPROF_POLLCATCH_H_INCLUDED

#include "asprof/agent/Export.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

	ASPROF_AGENT_API void asprof_pollcatch_before_poll(void);
	/* A poll begins on this thread: remembers the time, in the profiler's
	 * clock, and the thread's sample counter, in one slot per thread. */

	ASPROF_AGENT_API void asprof_pollcatch_after_poll(void);
	/* The poll that asprof_pollcatch_before_poll() began on this thread
	 * ends: if a sample landed on the thread since, emits the poll's event.
	 * The slot is then empty: a second call, or a call without a before,
	 * does nothing. The pairs do not nest: a before inside a poll starts the
	 * thread's poll again. Use asprof_pollcatch_enter()/leave() (or the C++
	 * asprof::agent::PollScope) for polls that nest. */

	typedef struct asprof_pollcatch_poll
	/* One poll's start, kept by the caller (on its stack): polls kept this
	 * way nest, and are independent of the thread's before/after slot. The
	 * fields are the hooks' own; do not read or write them. */
	{
		const void* agent;
		uint64_t start;
		uint64_t samples;
	} asprof_pollcatch_poll;

	ASPROF_AGENT_API void asprof_pollcatch_enter(asprof_pollcatch_poll* poll);
	/* A poll begins on this thread; fills *poll (always, also without an
	 * agent). */

	ASPROF_AGENT_API void asprof_pollcatch_leave(const asprof_pollcatch_poll* poll);
	/* The poll that asprof_pollcatch_enter(poll) began on this same thread
	 * ends: if a sample landed on the thread since, emits its event. A poll
	 * left twice is recorded twice. */

	ASPROF_AGENT_API int asprof_pollcatch_enabled(void);
	/* 1 while the hooks record (an agent runs with a library that has user
	 * events and thread-local data), else 0. For diagnostics and tests:
	 * the hooks check this themselves. */

#ifdef __cplusplus
}
#endif

#endif /* ASPROF_POLLCATCH_H_INCLUDED */
