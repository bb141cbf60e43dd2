//
// ProfileQueue.h
//
// One lane's profiles and ALL of its accounting.
//

#ifndef Asprof_Agent_ProfileQueue_INCLUDED
#define Asprof_Agent_ProfileQueue_INCLUDED

#include "DeliveryClock.h"
#include "asprof/agent/Agent.h"
#include "asprof/sdk/Profile.h"
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

/// Every profile a lane receives (enqueued, or recovered from the spool at
/// start) is in exactly one state until it ends in exactly one counter:
///
///   arriving -> in intake -> ready -> in flight -> delivered | failed
///                                      (ready again when parked)
///   any live state -> dropped (queue full, expired, spool full, corrupt)
///   at close: live -> leftInSpool (its spool entry exists) | droppedAtStop
///
/// So after close(), received() == settled() always (LaneStatus).
///
/// The queue only keeps state and counts: no file I/O, no logging and no
/// plugin call ever runs under its lock, so push() (the control thread)
/// never waits for the disk, the network or a plugin.
///
/// Memory: at most memoryCapacity profiles are held in memory besides the
/// one in intake and the one in flight. Past that, the oldest entry that
/// is on disk lets go of its in-memory copy; the oldest that is not on
/// disk is dropped (droppedQueueFull).
class ProfileQueue
{
public:
	/// A profile taken by the intake or delivery thread.
	struct Item
	{
		std::uint64_t ticket = 0;                    ///< 0: nothing (the thread should exit)
		std::shared_ptr<const sdk::Profile> profile; ///< null: only in the spool (read spoolId)
		std::string spoolId;                         ///< the spool entry's id (derived from the profile)
		bool spooled = false;                        ///< the spool holds it

		explicit operator bool() const
		{
			return ticket != 0;
		}
	};

	enum class Loss
	{
		QueueFull,
		Expired,
		SpoolFull,
		Corrupt
	};

	ProfileQueue(const std::string& name, std::size_t memoryCapacity);

	/// At start: entries found in the spool (ready, on disk only), and
	/// those the spool's caps removed while opening it (counted received
	/// and dropped).
	void recover(const std::vector<std::string>& spoolIds, std::size_t expiredAtOpen, std::size_t overCapAtOpen);

	/// A new arrival. Returns how many profiles the memory cap dropped.
	/// After close(), the profile is counted as received and droppedAtStop.
	std::size_t push(std::shared_ptr<const sdk::Profile> profile, const std::string& spoolId);

	/// Blocks until there is an arrival (now in intake), or returns an
	/// empty Item when the lane stops with none left or was closed.
	Item nextArrival();

	/// Intake done: the completed profile is ready; the spool entries its
	/// write evicted are dropped. Returns how many the memory cap dropped.
	std::size_t arrived(const Item& item, std::shared_ptr<const sdk::Profile> complete, bool spooled,
		const std::vector<std::string>& expired, const std::vector<std::string>& overCap);

	/// Intake could not complete the profile: counted as failed.
	void arrivalFailed(const Item& item, const std::string& error);

	/// Blocks until the oldest ready profile can be taken (now in flight),
	/// or returns an empty Item when stopping with nothing left, when
	/// parked, or when closed.
	Item nextDelivery();

	/// The in-flight profile as read back from the spool; null when the
	/// entry was corrupt (dropped). False when it cannot be delivered.
	bool loaded(const Item& item, std::shared_ptr<const sdk::Profile> profile);

	/// False when the in-flight profile was removed by the spool's caps or
	/// the queue was closed: do not retry it.
	bool stillWanted(const Item& item) const;

	void retrying(const Item& item, const std::string& error);
	std::string delivered(const Item& item, std::uint64_t bytes);

	/// End an in-flight profile. Return the spool id to remove (empty: none).
	std::string failed(const Item& item, const std::string& error);

	/// The backend is down while stopping: the in-flight profile (spooled)
	/// stays ready for the next start and delivery stops.
	void park(const Item& item, const std::string& error);

	/// Waits for a backoff; cut short when stop is requested after the
	/// attempt began (stoppingBefore false), or when the spool's caps
	/// remove the profile meanwhile (dropped then; stillWanted() is false).
	/// False when closed.
	bool waitBeforeRetry(const Item& item, DeliveryClock& clock, DeliveryClock::TimePoint until, bool stoppingBefore);

	void requestStop();
	bool stopping() const;

	/// Final accounting: every live profile whose spool entry exists
	/// (inSpool(id)) is leftInSpool, every other one droppedAtStop. After
	/// close every call is a no-op and the threads' waits return.
	void close(const std::function<bool(const std::string&)>& inSpool);

	/// The counters; queued = live profiles.
	LaneStatus snapshot() const;

private:
	enum class State
	{
		Arriving,
		InIntake,
		Ready,
		InFlight
	};

	struct Entry
	{
		State state = State::Arriving;
		std::shared_ptr<const sdk::Profile> profile;
		std::string spoolId;
		bool spooled = false;
		bool waiting = false; // in flight, waiting for a retry
		bool evicted = false; // removed by the spool's caps during a report() call
		Loss evictedAs = Loss::Expired;
	};

	using Entries = std::map<std::uint64_t, Entry>; // by ticket: oldest first
	using Lock = std::unique_lock<std::mutex>;

	std::uint64_t add(Entry entry);
	Entry* find(const Item& item, State state);
	void settleLoss(Entries::iterator it, Loss loss);
	void evict(const std::vector<std::string>& spoolIds, Loss loss);
	std::size_t enforceMemoryCap();
	bool holdsMemory(const Entry& entry) const;
	std::string finish(Entries::iterator it);

	const std::size_t _memoryCapacity;
	mutable std::mutex _mutex;
	std::condition_variable _changed;
	Entries _entries;
	std::map<std::string, std::uint64_t> _bySpoolId;
	std::uint64_t _nextTicket = 1;
	bool _stopping = false;
	bool _parked = false;
	bool _closed = false;
	LaneStatus _counters;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_ProfileQueue_INCLUDED
