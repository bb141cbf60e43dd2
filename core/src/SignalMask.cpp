#include "SignalMask.h"
#include <initializer_list>
#include <pthread.h>

namespace asprof {
namespace agent {

sigset_t TerminationSignalsBlocked::signals()
{
	// Everything but the synchronous faults, which report a bug in the thread
	// itself (and which async-profiler's safe memory access relies on).
	sigset_t set;
	sigfillset(&set);
	for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) sigdelset(&set, signal);
	return set;
}

TerminationSignalsBlocked::TerminationSignalsBlocked()
{
	sigset_t set = signals();
	pthread_sigmask(SIG_BLOCK, &set, &_previous);
}

TerminationSignalsBlocked::~TerminationSignalsBlocked()
{
	pthread_sigmask(SIG_SETMASK, &_previous, nullptr);
}

void blockAgentThreadSignals() noexcept
{
	sigset_t set = TerminationSignalsBlocked::signals();
	pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ProfilerWakeupUnblocked::ProfilerWakeupUnblocked()
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	pthread_sigmask(SIG_UNBLOCK, &set, &_previous);
}

ProfilerWakeupUnblocked::~ProfilerWakeupUnblocked()
{
	pthread_sigmask(SIG_SETMASK, &_previous, nullptr);
}

} // namespace agent
} // namespace asprof
