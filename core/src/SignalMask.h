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

class TerminationSignalsBlocked
	/// While it exists, the calling thread blocks SIGINT, SIGTERM, SIGQUIT and
	/// SIGHUP, async-profiler's sampling signals SIGPROF and SIGVTALRM, and
	/// SIGPIPE (a write to a closed connection, e.g. inside OpenSSL, fails
	/// with EPIPE instead of killing a host that does not ignore SIGPIPE);
	/// threads created meanwhile inherit that mask. Every agent thread is
	/// created under one, so a signal sent to the process always reaches a
	/// host thread: a host that waits for them with sigwait() (as
	/// Poco::Util::ServerApplication does) gets them, instead of an agent
	/// thread taking the default action and terminating the process.
	///
	/// Agent threads are not sampled: async-profiler's signals would interrupt
	/// their blocking calls (EINTR), and library code that restarts an
	/// interrupted call restarts its timeout with it (Poco's sockets, a
	/// plugin's own I/O), so a timeout longer than the sampling interval never
	/// fires. The profile shows the host's threads; the agent's own cost is
	/// measured by bench/ and counted in its status. async-profiler unblocks
	/// its signals in every thread it sees created (its pthread_create hook),
	/// so each agent thread also calls blockAgentThreadSignals() first thing.
{
public:
	TerminationSignalsBlocked();
	~TerminationSignalsBlocked();

	TerminationSignalsBlocked(const TerminationSignalsBlocked&) = delete;
	TerminationSignalsBlocked& operator = (const TerminationSignalsBlocked&) = delete;

	static sigset_t signals();
		/// The termination and sampling signals above.

private:
	sigset_t _previous;
};

void blockAgentThreadSignals() noexcept;
	/// Blocks TerminationSignalsBlocked::signals() in the calling thread, for
	/// good: the first call of every thread the agent owns.

} } // namespace asprof::agent

#endif // Asprof_Agent_SignalMask_INCLUDED
