//
// SamplingGap.h
//
// bench-rotation's sampling gap: how long no busy thread is sampled around a
// rotation, computed from the samples of the delivered recordings.
//

#ifndef Asprof_Bench_SamplingGap_INCLUDED
#define Asprof_Bench_SamplingGap_INCLUDED

#include "BenchSupport.h"
#include "ProfilingLoop.h"
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace asprof {
namespace bench {

/// Threads that burn CPU until destroyed, named asprof-busy (not counted
/// as the agent's): what the real library samples in the benches.
class BusyThreads
{
public:
	/// Returns once every thread runs.
	explicit BusyThreads(int count);
	~BusyThreads();
	BusyThreads(const BusyThreads&) = delete;
	BusyThreads& operator=(const BusyThreads&) = delete;

private:
	void spin();

	std::vector<std::thread> _threads;
	std::atomic<bool> _stop{false};
	std::atomic<int> _running{0};
};

/// Milliseconds, over every rotation of one run. Per thread: a busy
/// thread's last CPU sample before the switch to its first after it (by
/// their timestamps, whichever recording holds them), less the sampling
/// interval. Merged: the same over all busy threads
/// together (the time no busy thread was sampled), less the interval
/// divided by the threads that can run at once. Control: the merged
/// figure at the middle of an interval, where nothing switched: what
/// scheduling alone gives on this machine.
struct SamplingGapResult
{
	Samples perThread;
	Samples merged;
	Samples control;
	std::uint64_t samples = 0; ///< busy threads' CPU samples read
	std::string strategy;      ///< as the loop reported it
};

/// Runs threads busy threads (named asprof-busy), profiles them with a
/// ProfilingLoop rotating by rotation ("dump" or "restart") rotations
/// times, and reads the recordings it handed over. "alone-dump" and
/// "alone-restart" make the same rotations with bare async-profiler calls
/// on the calling thread instead: async-profiler alone, for comparison. Throws
/// std::runtime_error when the loop fails.
SamplingGapResult measureSamplingGap(agent::AsyncProfiler& profiler, const std::string& rotation, int threads, int rotations);

} // namespace bench
} // namespace asprof

#endif // Asprof_Bench_SamplingGap_INCLUDED
