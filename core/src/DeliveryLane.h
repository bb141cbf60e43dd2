//
// DeliveryLane.h
//
// One reporter instance's intake, spool and delivery threads.
//

#ifndef Asprof_Agent_DeliveryLane_INCLUDED
#define Asprof_Agent_DeliveryLane_INCLUDED

#include "DeliveryClock.h"
#include "RetryPolicy.h"
#include "asprof/agent/Agent.h"
#include "asprof/sdk/Profile.h"
#include "asprof/sdk/Reporter.h"
#include "Poco/Timespan.h"
#include "Poco/Timestamp.h"
#include <memory>
#include <string>
#include <thread>

namespace asprof {
namespace agent {

class ProfileAssembler;

/// Read from the reporter's section by the agent.
struct LaneSettings
{
	std::size_t queueCapacity = 16;
	Poco::Timespan retryInitialBackoff = Poco::Timespan(1 * Poco::Timespan::SECONDS);
	Poco::Timespan retryMaxBackoff = Poco::Timespan(30 * Poco::Timespan::SECONDS);
	int retryMaxAttempts = 8;
	std::string spoolDir; ///< empty: no spool
	std::uint64_t spoolMaxBytes = 256ULL * 1024 * 1024;
	Poco::Timespan spoolMaxAge = Poco::Timespan(24 * Poco::Timespan::HOURS);
	std::string pluginPath; ///< the reporter's .so, named in messages about it
};

/// Test seams: the clock backoffs wait on and the backoff's random source.
/// Null members mean the real ones.
struct LaneSeams
{
	std::shared_ptr<DeliveryClock> clock;
	RetryPolicy::Random random;
};

/// Delivers profiles to one reporter, in order, so a slow or failing
/// destination never delays profiling or another lane.
///
/// A profile's way through the lane (ProfileQueue keeps the state and
/// every counter; RetryPolicy decides; this class does the I/O):
///   enqueue()        control thread: into the queue, nothing else
///   intake thread    assembler->complete() (host metadata), spool write
///   delivery thread  spool read-back if needed, Reporter::report()
///                    through the plugin boundary, then done / drop /
///                    backoff and retry / park, spool entry removed
/// Intake and delivery are separate threads so arrivals reach the spool
/// while a report() is slow.
///
/// Without a spool at most queueCapacity profiles wait in memory; when
/// full the OLDEST is dropped (droppedQueueFull). With a spool (spoolDir)
/// every profile is written there on arrival and removed once delivered
/// or failed; what is in the spool at start is replayed first, oldest
/// first. A report() that throws counts as Fail.
///
/// Stop: the lane delivers until the deadline, waiting for the profile in
/// intake and the one in flight, and never gives up earlier. At the
/// deadline the threads are abandoned if still busy (they hold their own
/// state; the reporter is never destroyed under them and its stop() is
/// then not called), the spool is closed (its lock released) and every
/// profile left is counted: leftInSpool or droppedAtStop. No exception
/// ever leaves the lane's threads.
class DeliveryLane
{
public:
	/// assembler: completes each profile on the intake thread (the top
	/// lane); null: profiles arrive complete (a composite's children).
	DeliveryLane(const std::string& name, std::unique_ptr<sdk::Reporter> reporter, const LaneSettings& settings,
		std::shared_ptr<const ProfileAssembler> assembler = nullptr, LaneSeams seams = LaneSeams());

	/// stop(0) if still running.
	~DeliveryLane();

	DeliveryLane(const DeliveryLane&) = delete;
	DeliveryLane& operator=(const DeliveryLane&) = delete;

	/// Opens the spool (throws Poco::Exception naming the directory when it
	/// cannot, e.g. locked by another agent) and starts the threads.
	void start();

	/// Queues a profile; never blocks on delivery, disk or a plugin.
	void enqueue(std::shared_ptr<const sdk::Profile> profile);

	/// Tells the lane to take in and deliver what it has, then stop.
	void requestStop() noexcept;

	/// Waits for the lane to finish until deadline, then settles every
	/// profile left (see above). Returns true when no profile was left.
	bool awaitStop(const Poco::Timestamp& deadline) noexcept;

	/// requestStop() then awaitStop(now + timeout).
	bool stop(Poco::Timespan timeout) noexcept;

	LaneStatus status() const;

	const std::string& name() const;

	const LaneSettings& settings() const;

private:
	struct State;
	static void runIntake(std::shared_ptr<State> state);
	static void runDelivery(std::shared_ptr<State> state);
	bool settle(bool threadsFinished, const Poco::Timestamp& deadline) noexcept;
	static void stopReporter(const std::shared_ptr<State>& state, const Poco::Timestamp& deadline) noexcept;

	std::string _name;
	std::shared_ptr<State> _state;
	std::thread _intakeThread;
	std::thread _deliveryThread;
	bool _stopped = false;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_DeliveryLane_INCLUDED
