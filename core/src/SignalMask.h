//
// SignalMask.h
//
// Keeps the host's termination signals away from the agent's threads.
//

#ifndef Asprof_Agent_SignalMask_INCLUDED
#define Asprof_Agent_SignalMask_INCLUDED

#include <signal.h>

namespace asprof {
namespace agent {

/// While it exists, the calling thread blocks every asynchronous signal
/// (all but SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS and SIGABRT,
/// which report a fault of the thread itself); threads created meanwhile
/// inherit that mask. Every agent thread is created under one, so a
/// process-directed signal always reaches a host thread: the host's
/// SIGINT/SIGTERM (and a host waiting for them in sigwait(), as
/// Poco::Util::ServerApplication does), but also SIGCHLD, SIGALRM, SIGUSR1
/// and the rest that a host blocks and waits for; under LD_PRELOAD the host
/// cannot know our threads exist. SIGPIPE is blocked too: a write to a
/// closed connection (even inside OpenSSL) fails with EPIPE instead of
/// killing a host that does not ignore SIGPIPE.
///
/// That includes async-profiler's sampling signals SIGPROF and SIGVTALRM:
/// agent threads are not sampled. Those signals would interrupt their
/// blocking calls (EINTR), and library code that restarts an interrupted
/// call restarts its timeout with it (Poco's sockets, a plugin's own I/O),
/// so a timeout longer than the sampling interval never fires. The profile
/// shows the host's threads; the agent's own cost is measured by bench/
/// and counted in its status. async-profiler unblocks its signals in every
/// thread it sees created (its pthread_create hook), so each agent thread
/// also calls blockAgentThreadSignals() first thing.
class TerminationSignalsBlocked
{
public:
	TerminationSignalsBlocked();
	~TerminationSignalsBlocked();

	TerminationSignalsBlocked(const TerminationSignalsBlocked&) = delete;
	TerminationSignalsBlocked& operator=(const TerminationSignalsBlocked&) = delete;

	/// The termination and sampling signals above.
	static sigset_t signals();

private:
	sigset_t _previous;
};

/// Blocks TerminationSignalsBlocked::signals() in the calling thread, for
/// good: the first call of every thread the agent owns.
void blockAgentThreadSignals() noexcept;

/// async-profiler stops the threads it creates (its wall-clock sampler)
/// by setting a flag and waking them with SIGIO (its WAKEUP_SIGNAL) out of
/// their sleep. A thread inherits the signal mask of the thread that
/// creates it, and async-profiler creates them inside asprof_execute on
/// the agent's control thread: with SIGIO blocked there, "stop" waited
/// out the sampler's whole sleep (up to the wall interval; 1 s measured),
/// and the sampling stopped meanwhile. While it exists, SIGIO is unblocked
/// in the calling thread, so every async-profiler call runs under one and
/// the threads it creates can be woken. A process-directed SIGIO that
/// arrives meanwhile may reach this thread: async-profiler has replaced
/// SIGIO's handler with its own no-op anyway.
class ProfilerWakeupUnblocked
{
public:
	ProfilerWakeupUnblocked();
	~ProfilerWakeupUnblocked();
	ProfilerWakeupUnblocked(const ProfilerWakeupUnblocked&) = delete;
	ProfilerWakeupUnblocked& operator=(const ProfilerWakeupUnblocked&) = delete;

private:
	sigset_t _previous;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_SignalMask_INCLUDED
