#include "SignalMask.h"
#include <initializer_list>
#include <pthread.h>

namespace asprof {
namespace agent {

sigset_t TerminationSignalsBlocked::signals()
{
	sigset_t set;
	sigemptyset(&set);
	for (int signal : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPROF, SIGVTALRM, SIGPIPE}) sigaddset(&set, signal);
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

} } // namespace asprof::agent
