//
// PollScope.h
//
// RAII PollCatch hooks for C++ event loops (see asprof/pollcatch.h).
//

#ifndef Asprof_Agent_PollScope_INCLUDED
#define Asprof_Agent_PollScope_INCLUDED

#include "asprof/pollcatch.h"
#include <functional>
#include <type_traits>
#include <utility>

namespace asprof {
namespace agent {

/// One poll of an event loop, from construction to destruction: if a
/// profiling sample lands on the thread meanwhile, the running agent's
/// profile gets the poll as a tokio.PollcatchV1 event (start and end in
/// the recording's ticks), which `asprof-jfr longpolls` lists with its
/// stack. See docs/pollcatch.md.
///
///     void Loop::runOne(Handler& handler)
///     {
///         asprof::agent::PollScope poll;
///         handler.handle();
///     }
///
/// Scopes nest (each keeps its own start; the inner poll and the outer
/// one are both recorded) and are independent of the C hooks'
/// per-thread slot. Header-only over asprof_pollcatch_enter() and
/// asprof_pollcatch_leave() of libasprof-agent.so: the same promises
/// (thread-safe, never throws, a load and a branch without an agent,
/// not for signal handlers). A scope must end on the thread that began
/// it: do not keep one across a coroutine's suspension point.
class PollScope
{
public:
	PollScope() noexcept
	{
		asprof_pollcatch_enter(&_poll);
	}

	~PollScope()
	{
		asprof_pollcatch_leave(&_poll);
	}

	PollScope(const PollScope&) = delete;
	PollScope& operator=(const PollScope&) = delete;

	/// Calls function(arguments...) as one poll and returns what it
	/// returns; an exception it throws ends the poll and propagates.
	template <typename Function, typename... Arguments>
	static decltype(auto) around(Function&& function, Arguments&&... arguments)
	{
		PollScope poll;
		return std::invoke(std::forward<Function>(function), std::forward<Arguments>(arguments)...);
	}

	/// A callable that runs function, with the same arguments, as one
	/// poll each time it is called: for a handler a loop calls,
	///     post(io, PollScope::wrap(std::move(handler)));
	/// (A wrapped Boost.Asio handler loses its associated executor and
	/// allocator; see docs/pollcatch.md.)
	template <typename Function>
	static auto wrap(Function function)
	{
		return [function = std::move(function)](auto&&... arguments) mutable -> decltype(auto) {
			return around(function, std::forward<decltype(arguments)>(arguments)...);
		};
	}

private:
	asprof_pollcatch_poll _poll;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_PollScope_INCLUDED
