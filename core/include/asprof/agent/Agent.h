//
// Agent.h
//
// The continuous-profiling agent, for programs that embed it.
//

#ifndef Asprof_Agent_Agent_INCLUDED
#define Asprof_Agent_Agent_INCLUDED

#include "asprof/agent/AgentConfig.h"
#include "asprof/agent/Export.h"
#include "Poco/Timespan.h"
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

/// Counters of one reporter instance's delivery lane. Every profile the
/// lane receives (enqueued now, or recovered from its spool at start) ends
/// in exactly one of: delivered, failed, one of the dropped counters, or
/// leftInSpool; until then it is queued. After Agent::stop() returns,
/// queued is 0 and received() == settled() for every lane.
struct ASPROF_AGENT_API LaneStatus
{
	std::string name;                   ///< the reporter instance
	std::uint64_t enqueued = 0;         ///< profiles handed to the lane in this run
	std::uint64_t recovered = 0;        ///< profiles found in the spool at start (from an earlier run)
	std::uint64_t delivered = 0;        ///< Ok results
	std::uint64_t retried = 0;          ///< Retry results that were retried (not a final state)
	std::uint64_t failed = 0;           ///< Fail results (or a throwing report()), or the last retry without a spool
	std::uint64_t droppedQueueFull = 0; ///< oldest dropped because the queue was full (and not spooled)
	std::uint64_t droppedExpired = 0;   ///< spool entries older than spoolMaxAge
	std::uint64_t droppedSpoolFull = 0; ///< oldest spool entries removed to stay within spoolMaxBytes
	std::uint64_t droppedCorrupt = 0;   ///< spool entries that could not be read back (moved to <spoolDir>/corrupt)
	std::uint64_t droppedAtStop = 0;    ///< neither delivered nor in the spool when stop's deadline passed
	std::uint64_t leftInSpool = 0;      ///< not delivered by stop, kept in the spool for the next start
	std::uint64_t spooled = 0;          ///< profiles written to the spool (not a final state)
	std::uint64_t replayed = 0;         ///< profiles read back from the spool for delivery (not a final state)
	std::uint64_t bytesDelivered = 0;   ///< recording bytes of delivered profiles
	std::size_t queued = 0;             ///< profiles not settled yet (waiting, in intake or in flight)
	std::size_t spoolEntries = 0;       ///< entries in the spool now
	std::uint64_t spoolBytes = 0;       ///< bytes in the spool now
	std::string lastError;              ///< the last Retry/Fail message, empty if none

	/// enqueued + recovered.
	std::uint64_t received() const
	{
		return enqueued + recovered;
	}

	/// All dropped counters together.
	std::uint64_t dropped() const
	{
		return droppedQueueFull + droppedExpired + droppedSpoolFull + droppedCorrupt + droppedAtStop;
	}

	/// delivered + failed + dropped() + leftInSpool + queued: equal to
	/// received() at any time the counters are read together.
	std::uint64_t settled() const
	{
		return delivered + failed + dropped() + leftInSpool + queued;
	}
};

/// A snapshot of the agent's counters.
struct ASPROF_AGENT_API AgentStatus
{
	bool running = false;
	std::uint64_t rotations = 0;              ///< completed rotations (incl. the final stop)
	std::uint64_t chunkSwitches = 0;          ///< rotations by chunk switch (rotation = dump)
	std::uint64_t restarts = 0;               ///< rotations by stop + start into a fresh file
	std::string rotationStrategy;             ///< "dump", "restart" or "restart (fallback: <why>)"
	std::uint64_t recordings = 0;             ///< non-empty recordings handed to delivery
	std::uint64_t emptyRecordings = 0;        ///< 0-byte recordings, not reported
	std::uint64_t profilerErrors = 0;         ///< async-profiler stop/start failures
	std::uint64_t bytesRecorded = 0;          ///< total size of the handed-over recordings
	std::uint64_t recordingsLost = 0;         ///< never handed to delivery: async-profiler's stop failed, or the
											  ///< final stop ended after stop() had given up on it
	std::uint64_t requestedRotations = 0;     ///< rotations run for endpoint windows (also in rotations)
	std::string endpointAddress;              ///< where the [endpoint] listens ("127.0.0.1:6060"); empty when off
	std::uint64_t endpointRequests = 0;       ///< requests the endpoint received
	std::uint64_t endpointUnauthorized = 0;   ///< 401 answers: missing or wrong bearer token
	std::uint64_t endpointWindows = 0;        ///< ?seconds= profile windows served
	std::uint64_t endpointWindowsRefused = 0; ///< 429 answers: another window was open
	std::uint64_t heapRecordings = 0;         ///< recordings folded into the live heap (nativeMem with the endpoint)
	std::uint64_t heapFailed = 0;             ///< recordings the live heap could not read (logged)
	std::uint64_t heapDropped = 0;            ///< recordings not folded: the live heap's queue was full
	std::uint64_t heapLiveAllocations = 0;    ///< sampled allocations live now
	std::uint64_t heapLiveBytes = 0;          ///< their bytes
	std::uint64_t heapEvicted = 0;            ///< live allocations forgotten at [endpoint] heapMaxAllocations
	std::string lastError;                    ///< last error of the agent itself
	std::string library;                      ///< the async-profiler library in use (resolved path)
	std::vector<LaneStatus> lanes;
};

/// Profiles the current process continuously: every reportingInterval it
/// rotates async-profiler's recording and hands the finished one to the
/// configured reporter on its own delivery thread.
///
/// async-profiler is process-wide, so only one Agent can run in a process
/// at a time; start() of a second one fails with AgentException.
/// The agent's threads block SIGINT, SIGTERM, SIGQUIT and SIGHUP, so those
/// always reach the host's threads (and a host waiting in sigwait()).
/// A host that waits for them that way must block them in its own threads too.
/// No method ever terminates the host process; only start() throws.
class ASPROF_AGENT_API Agent
{
public:
	/// Creates a stopped agent. Cheap: nothing is loaded yet.
	explicit Agent(AgentConfig config);

	/// Stops the agent (bounded by flushTimeout) if it is running.
	~Agent();

	Agent(const Agent&) = delete;
	Agent& operator=(const Agent&) = delete;

	/// Loads async-profiler and the plugins, configures the reporter and
	/// metadata instances, and starts profiling (the first recording begins
	/// before start() returns). Throws AgentException, ConfigException or
	/// PluginException with a message that names what was wrong; the agent
	/// is then stopped and start() may be called again. Does nothing if
	/// already running.
	void start();

	/// Stops profiling, reports the last recording and lets the delivery
	/// lanes drain, returning within timeout even if a reporter or a
	/// metadata provider hangs: it waits for every profile (including the
	/// one in flight and a slow first metadata detection) until the
	/// deadline and never gives up earlier. At the deadline a profile that
	/// is not delivered is counted as leftInSpool (with a spool) or
	/// droppedAtStop. Afterwards every spool is released, so the agent can
	/// start again in the same process. Returns true when every profile was
	/// delivered (or none were pending). Called again (or concurrently)
	/// after the agent stopped, it returns the answer of the stop that ran.
	bool stop(Poco::Timespan timeout) noexcept;

	/// stop(flushTimeout).
	bool stop() noexcept;

	bool isRunning() const;

	/// Returns the current counters; safe to call from any thread.
	AgentStatus status() const;

	const AgentConfig& config() const;

private:
	class Impl;
	std::unique_ptr<Impl> _impl;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_Agent_INCLUDED
