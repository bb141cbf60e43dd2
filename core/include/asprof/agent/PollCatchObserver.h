//
// PollCatchObserver.h
//
// PollCatch for Poco notification observers: each SocketReactor dispatch
// to a handler is one poll.
//

#ifndef Asprof_Agent_PollCatchObserver_INCLUDED
#define Asprof_Agent_PollCatchObserver_INCLUDED

#include "asprof/agent/PollScope.h"
#include "Poco/AbstractObserver.h"
#include "Poco/Notification.h"
#include <type_traits>

namespace asprof {
namespace agent {

/// A Poco observer (Poco::Observer, Poco::NObserver, or any copyable
/// AbstractObserver) whose every notification runs in a PollScope: a
/// handler that a sample catches blocking its Poco::Net::SocketReactor
/// shows up in `asprof-jfr longpolls` with its stack. Register it where
/// the plain observer was registered; nothing else changes:
///
///     using ReadObserver = Poco::NObserver<Connection, Poco::Net::ReadableNotification>;
///     reactor.addEventHandler(socket,
///         asprof::agent::PollCatchObserver<ReadObserver>(*this, &Connection::onReadable));
///     ...
///     reactor.removeEventHandler(socket,
///         asprof::agent::PollCatchObserver<ReadObserver>(*this, &Connection::onReadable));
///
/// (removeEventHandler() and hasEventHandler() also find it given the
/// plain observer: equals() compares the handler object and method.)
/// The reactor's own wait in poll() is outside every poll, so idle time
/// is never reported. Works for any NotificationCenter, not only the
/// reactor's. Header-only: needs libasprof-agent.so (or the static agent)
/// for the hooks, and Poco Foundation.
template <class Observer>
class PollCatchObserver: public Observer
{
public:
	static_assert(std::is_base_of<Poco::AbstractObserver, Observer>::value, "Observer must be a Poco::AbstractObserver");

	using Observer::Observer;

	/// The wrapped observer's notify(), as one poll.
	void notify(Poco::Notification* notification) const override
	{
		PollScope poll;
		Observer::notify(notification);
	}

	/// Keeps the wrapper: the reactor registers a clone.
	Poco::AbstractObserver* clone() const override
	{
		return new PollCatchObserver(*this);
	}
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_PollCatchObserver_INCLUDED
