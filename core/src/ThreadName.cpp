#include "ThreadName.h"
#include <pthread.h>

namespace asprof {
namespace agent {

ThreadNameScope::ThreadNameScope(const char* name) noexcept:
	_saved(::pthread_getname_np(::pthread_self(), _previous, sizeof(_previous)) == 0)
{
	if (_saved) ::pthread_setname_np(::pthread_self(), name);
}

ThreadNameScope::~ThreadNameScope()
{
	if (_saved) ::pthread_setname_np(::pthread_self(), _previous);
}

} // namespace agent
} // namespace asprof
