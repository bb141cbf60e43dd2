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
	/// SIGHUP; threads created meanwhile inherit that mask. Every agent thread
	/// is created under one, so a signal sent to the process always reaches a
	/// host thread: a host that waits for them with sigwait() (as
	/// Poco::Util::ServerApplication does) gets them, instead of an agent
	/// thread taking the default action and terminating the process.
	/// async-profiler's own signals (SIGPROF, SIGVTALRM, ...) are untouched.
{
public:
	TerminationSignalsBlocked();
	~TerminationSignalsBlocked();

	TerminationSignalsBlocked(const TerminationSignalsBlocked&) = delete;
	TerminationSignalsBlocked& operator = (const TerminationSignalsBlocked&) = delete;

	static sigset_t signals();

private:
	sigset_t _previous;
};

} } // namespace asprof::agent

#endif // Asprof_Agent_SignalMask_INCLUDED
