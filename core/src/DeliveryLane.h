//
// DeliveryLane.h
//
// One reporter instance's queue and delivery thread.
//

#ifndef Asprof_Agent_DeliveryLane_INCLUDED
#define Asprof_Agent_DeliveryLane_INCLUDED

#include "asprof/agent/Agent.h"
#include "asprof/sdk/Profile.h"
#include "asprof/sdk/Reporter.h"
#include "Poco/Timespan.h"
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace asprof {
namespace agent {

struct LaneSettings
	/// Read from the reporter's section by the agent.
{
	std::size_t queueCapacity = 16;
	Poco::Timespan retryInitialBackoff = Poco::Timespan(1 * Poco::Timespan::SECONDS);
	Poco::Timespan retryMaxBackoff = Poco::Timespan(30 * Poco::Timespan::SECONDS);
	int retryMaxAttempts = 8;
};

class DeliveryLane
	/// Delivers profiles to one reporter, in order, on its own thread, so a
	/// slow or failing destination never delays profiling or another lane.
	///
	/// The queue is bounded: when it is full the OLDEST profile is dropped and
	/// counted (droppedQueueFull). Retry results are retried with full-jitter
	/// exponential backoff (honouring retryAfter) up to retryMaxAttempts;
	/// Fail results are dropped, counted and logged once per distinct cause.
	/// stop() drains until its deadline and never waits longer, even when the
	/// reporter hangs (the thread is then abandoned, holding its own state).
{
public:
	using Preparer = std::function<sdk::Profile(const sdk::Profile&)>;
		/// Completes a profile on the lane thread before report() (host
		/// metadata is resolved there, never on the control thread).

	DeliveryLane(const std::string& name, std::unique_ptr<sdk::Reporter> reporter, const LaneSettings& settings, Preparer preparer);
	~DeliveryLane();

	DeliveryLane(const DeliveryLane&) = delete;
	DeliveryLane& operator = (const DeliveryLane&) = delete;

	void start();
		/// Starts the delivery thread.

	void enqueue(std::shared_ptr<const sdk::Profile> profile);
		/// Queues a profile; never blocks.

	bool stop(Poco::Timespan timeout) noexcept;
		/// Delivers what is queued until timeout, then stops. Returns true when
		/// the queue was drained; what is left is counted as droppedAtStop.

	LaneStatus status() const;

private:
	struct State;
	static void run(std::shared_ptr<State> state);

	std::shared_ptr<State> _state;
	std::thread _thread;
};

} } // namespace asprof::agent

#endif // Asprof_Agent_DeliveryLane_INCLUDED
