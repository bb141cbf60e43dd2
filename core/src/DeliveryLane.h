//
// DeliveryLane.h
//
// One reporter instance's queue, spool and delivery thread.
//

#ifndef Asprof_Agent_DeliveryLane_INCLUDED
#define Asprof_Agent_DeliveryLane_INCLUDED

#include "asprof/agent/Agent.h"
#include "asprof/sdk/Profile.h"
#include "asprof/sdk/Reporter.h"
#include "Poco/Timespan.h"
#include "Poco/Timestamp.h"
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
	std::string spoolDir; ///< empty: no spool
	std::uint64_t spoolMaxBytes = 256ULL * 1024 * 1024;
	Poco::Timespan spoolMaxAge = Poco::Timespan(24 * Poco::Timespan::HOURS);
};

class DeliveryLane
	/// Delivers profiles to one reporter, in order, on its own thread, so a
	/// slow or failing destination never delays profiling or another lane.
	///
	/// Without a spool: at most queueCapacity profiles (besides the one being
	/// delivered) wait in memory; when full the OLDEST is dropped (droppedQueueFull). Retry results are retried
	/// with full-jitter exponential backoff (retryInitialBackoff doubling up to
	/// retryMaxBackoff, or the reporter's retryAfter) up to retryMaxAttempts,
	/// then dropped (failed); Fail results are dropped at once. Each distinct
	/// cause is logged once.
	///
	/// Two threads: intake prepares each arrival (host metadata) and writes it
	/// to the spool; delivery calls the reporter. So arrivals reach the spool
	/// even while a report() call is slow.
	///
	/// With a spool (spoolDir): each profile is written to the spool when it
	/// arrives, and removed once delivered or
	/// failed permanently. A Retry keeps the entry: the lane retries the oldest
	/// entry (backoff capped at retryMaxBackoff) until the reporter recovers or
	/// the spool's caps remove it. What is in the spool at start is replayed
	/// first, oldest first. Memory holds at most queueCapacity profiles; the
	/// rest wait on disk.
	///
	/// Stop: the lane delivers what it can until the deadline and never waits
	/// longer, even when the reporter hangs (the thread is then abandoned with
	/// its own state). What is spooled stays for the next start; the rest is
	/// counted as droppedAtStop. No exception ever leaves the lane's thread.
{
public:
	using Preparer = std::function<sdk::Profile(const sdk::Profile&)>;
		/// Completes a profile on the lane thread before it is spooled or
		/// reported (host metadata is resolved there, never on the control
		/// thread). nullptr: the profile is already complete.

	DeliveryLane(const std::string& name, std::unique_ptr<sdk::Reporter> reporter, const LaneSettings& settings, Preparer preparer);
	~DeliveryLane();

	DeliveryLane(const DeliveryLane&) = delete;
	DeliveryLane& operator = (const DeliveryLane&) = delete;

	void start();
		/// Opens the spool (throws Poco::Exception naming the directory when it
		/// cannot, e.g. locked by another agent) and starts the thread.

	void enqueue(std::shared_ptr<const sdk::Profile> profile);
		/// Queues a profile; never blocks on delivery or disk.

	void requestStop() noexcept;
		/// Tells the lane to deliver what it has and then stop.

	bool awaitStop(const Poco::Timestamp& deadline) noexcept;
		/// Waits for the lane to finish until deadline; then abandons it.
		/// Returns true when nothing was left undelivered.

	bool stop(Poco::Timespan timeout) noexcept;
		/// requestStop() then awaitStop(now + timeout).

	LaneStatus status() const;

	const std::string& name() const;

private:
	struct State;
	static void runIntake(std::shared_ptr<State> state) noexcept;
	static void runDelivery(std::shared_ptr<State> state) noexcept;

	std::string _name;
	std::shared_ptr<State> _state;
	std::thread _intakeThread;   // prepares arrivals and writes them to the spool
	std::thread _deliveryThread; // calls the reporter
};

} } // namespace asprof::agent

#endif // Asprof_Agent_DeliveryLane_INCLUDED
