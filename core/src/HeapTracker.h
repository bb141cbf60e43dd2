//
// HeapTracker.h
//
// Feeds finished recordings to a jfr::LiveHeap on a thread of its own.
//

#ifndef Asprof_Agent_HeapTracker_INCLUDED
#define Asprof_Agent_HeapTracker_INCLUDED

#include "ProfilingLoop.h"
#include "asprof/jfr/LiveHeap.h"
#include "Poco/Condition.h"
#include "Poco/Mutex.h"
#include "Poco/Thread.h"
#include "Poco/Timespan.h"
#include <cstdint>
#include <deque>
#include <memory>
#include <ostream>

namespace asprof {
namespace agent {

struct HeapTrackerStatistics
{
	std::uint64_t applied = 0; ///< recordings folded into the live heap
	std::uint64_t failed = 0;  ///< recordings the live heap could not read (logged)
	std::uint64_t dropped = 0; ///< recordings dropped because the queue was full
	jfr::LiveHeapStats heap;
};

/// With [profiler] nativeMem on: the live heap /debug/pprof/heap serves.
/// offer() (control thread) queues a finished recording and returns at
/// once; the thread "asprof-heap" folds it into the LiveHeap, in order.
/// The queue holds QUEUE_CAPACITY recordings; when full the oldest
/// waiting one is dropped and counted (the heap then misses its frees
/// and allocations). A recording that cannot be read is logged (each
/// distinct error once) and counted. When the heap first evicts an
/// allocation at its cap, that is logged once.
class HeapTracker: public Poco::Runnable
{
public:
	static const std::size_t QUEUE_CAPACITY = 8;

	explicit HeapTracker(std::size_t maxAllocations);
	~HeapTracker() override;

	void start();

	/// Applies what is queued until timeout, then drops the rest.
	void stop(Poco::Timespan timeout) noexcept;

	void offer(const FinishedRecording& finished) noexcept;

	/// The live heap, gzipped pprof (jfr::LiveHeap::writePprof).
	void writePprof(std::ostream& out) const;

	HeapTrackerStatistics statistics() const;

	void run() override;

private:
	void apply(const FinishedRecording& finished);

	const std::size_t _maxAllocations;
	jfr::LiveHeap _heap;
	mutable Poco::FastMutex _mutex;
	Poco::Condition _changed;
	std::deque<FinishedRecording> _queue; // _mutex
	bool _stopping = false;               // _mutex
	HeapTrackerStatistics _stats;         // _mutex (except heap)
	bool _failing = false;                // worker thread
	bool _capLogged = false;              // worker thread
	Poco::Thread _thread;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_HeapTracker_INCLUDED
