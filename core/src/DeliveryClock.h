//
// DeliveryClock.h
//
// The time source a delivery lane waits on, injected so that tests of
// retries and backoff need no real waits.
//

#ifndef Asprof_Agent_DeliveryClock_INCLUDED
#define Asprof_Agent_DeliveryClock_INCLUDED

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace asprof {
namespace agent {

/// Waits for a backoff. The real clock waits on the lane's condition
/// variable; a test clock may advance its own time at once.
class DeliveryClock
{
public:
	using TimePoint = std::chrono::steady_clock::time_point;

	virtual ~DeliveryClock();

	/// std::chrono::steady_clock::now() by default.
	virtual TimePoint now() const;

	/// Waits (lock held on entry and exit, released while waiting) until
	/// `until` or until interrupted() holds. Returns interrupted().
	virtual bool waitUntil(
		std::unique_lock<std::mutex>& lock, std::condition_variable& wakeUp, TimePoint until, const std::function<bool()>& interrupted);
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_DeliveryClock_INCLUDED
