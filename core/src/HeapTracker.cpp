#include "HeapTracker.h"
#include "RecordingTap.h"
#include "SignalMask.h"
#include "asprof/jfr/Input.h"
#include "Poco/Logger.h"
#include <pthread.h>

namespace asprof {
namespace agent {

namespace {

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.agent");
}

} // namespace

HeapTracker::HeapTracker(std::size_t maxAllocations): _maxAllocations(maxAllocations), _heap(maxAllocations), _thread("asprof-heap")
{
}

HeapTracker::~HeapTracker()
{
	stop(Poco::Timespan(0));
}

void HeapTracker::start()
{
	_thread.start(*this);
}

void HeapTracker::stop(Poco::Timespan timeout) noexcept
{
	{
		Poco::FastMutex::ScopedLock lock(_mutex);
		_stopping = true;
		_changed.broadcast();
	}
	if (!_thread.isRunning()) return;
	// Reading a recording is bounded by its size; the join is not given up.
	(void)timeout;
	_thread.join();
}

void HeapTracker::offer(const FinishedRecording& finished) noexcept
{
	Poco::FastMutex::ScopedLock lock(_mutex);
	if (_stopping) return;
	if (_queue.size() >= QUEUE_CAPACITY)
	{
		_queue.pop_front();
		++_stats.dropped;
	}
	_queue.push_back(finished);
	_changed.signal();
}

void HeapTracker::run()
{
	blockAgentThreadSignals();
	::pthread_setname_np(::pthread_self(), "asprof-heap");
	for (;;)
	{
		FinishedRecording next;
		{
			Poco::FastMutex::ScopedLock lock(_mutex);
			while (_queue.empty() && !_stopping) _changed.wait(_mutex);
			if (_queue.empty()) return;
			if (_stopping)
			{
				_stats.dropped += _queue.size();
				_queue.clear();
				return;
			}
			next = std::move(_queue.front());
			_queue.pop_front();
		}
		apply(next);
	}
}

void HeapTracker::apply(const FinishedRecording& finished)
{
	std::string error;
	try
	{
		_heap.add(openForReading(finished));
	}
	catch (Poco::Exception& e)
	{
		error = e.displayText();
	}
	catch (std::exception& e)
	{
		error = e.what();
	}
	catch (...)
	{
		error = "unknown error";
	}
	jfr::LiveHeapStats heap = _heap.stats();
	{
		Poco::FastMutex::ScopedLock lock(_mutex);
		if (error.empty())
			++_stats.applied;
		else
			++_stats.failed;
	}
	// Logged when reading starts failing and when it works again, not per
	// recording (each message names its recording and offset).
	if (!error.empty() && !_failing)
		logger().error("live heap: cannot read %s (further failures are only counted, in heapFailed): %s",
			"recording " + std::to_string(finished.seq), error);
	else if (error.empty() && _failing)
		logger().information("live heap: recording %s read again", std::to_string(finished.seq));
	_failing = !error.empty();
	if (heap.evicted > 0 && !_capLogged)
	{
		_capLogged = true;
		logger().warning("live heap: %s live sampled allocations reached ([endpoint] heapMaxAllocations); the smallest are forgotten "
						 "from now on (counted in heapEvicted)",
			std::to_string(_maxAllocations));
	}
}

void HeapTracker::writePprof(std::ostream& out) const
{
	_heap.writePprof(out, true);
}

HeapTrackerStatistics HeapTracker::statistics() const
{
	HeapTrackerStatistics stats;
	{
		Poco::FastMutex::ScopedLock lock(_mutex);
		stats = _stats;
	}
	stats.heap = _heap.stats();
	return stats;
}

} // namespace agent
} // namespace asprof
