#include "SamplingGap.h"
#include "AsyncProfiler.h"
#include "ChunkRecording.h"
#include "FileRecording.h"
#include "JfrChunks.h"
#include "RecordingTap.h"
#include "asprof/jfr/Reader.h"
#include "Poco/Mutex.h"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <pthread.h>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <vector>

namespace asprof {
namespace bench {

namespace {

const Poco::Timespan CALL_TIMEOUT(120 * Poco::Timespan::SECONDS);
const long CPU_INTERVAL_US = 1000;
const char* const BUSY_NAME = "asprof-busy";

class KeepingSink: public agent::RecordingSink
{
public:
	void accept(agent::FinishedRecording&& finished) override
	{
		Poco::FastMutex::ScopedLock lock(_mutex);
		_kept.push_back(std::move(finished));
	}

	std::vector<agent::FinishedRecording> kept()
	{
		Poco::FastMutex::ScopedLock lock(_mutex);
		return _kept;
	}

private:
	Poco::FastMutex _mutex;
	std::vector<agent::FinishedRecording> _kept;
};

// One recording's busy samples: epoch nanoseconds by thread id, and merged.
struct BusySamples
{
	std::map<std::uint64_t, std::vector<std::int64_t>> byThread;
	std::vector<std::int64_t> merged;
};

class BusySampleReader: public jfr::RecordingVisitor
{
public:
	explicit BusySampleReader(BusySamples& samples): _samples(samples)
	{
	}

	bool wants(const jfr::Chunk&, const jfr::Type& type) override
	{
		return type.name == "jdk.ExecutionSample";
	}

	void beginChunk(const jfr::Chunk&) override
	{
		_busy.clear();
	}

	void event(const jfr::Chunk& chunk, const jfr::Event& event) override
	{
		const jfr::Type& type = event.type();
		std::uint64_t tid = event.value(type.fieldIndex("sampledThread")).integer;
		if (!isBusy(chunk, tid)) return;
		std::int64_t nanos = chunk.ticksToNanos(static_cast<std::int64_t>(event.value(type.fieldIndex("startTime")).integer));
		_samples.byThread[tid].push_back(nanos);
		_samples.merged.push_back(nanos);
	}

private:
	bool isBusy(const jfr::Chunk& chunk, std::uint64_t tid)
	{
		auto known = _busy.find(tid);
		if (known != _busy.end()) return known->second;
		bool busy = false;
		const jfr::Type* threadType = chunk.metadata().byName("java.lang.Thread");
		const jfr::ConstantPools::Entry* entry = threadType ? chunk.pools().find(threadType->id, tid) : nullptr;
		int osName = threadType ? threadType->fieldIndex("osName") : -1;
		if (entry && osName >= 0) busy = chunk.pools().text(entry->values[static_cast<std::size_t>(osName)]) == BUSY_NAME;
		return _busy[tid] = busy;
	}

	BusySamples& _samples;
	std::map<std::uint64_t, bool> _busy;
};

BusySamples readBusySamples(const agent::FinishedRecording& finished)
{
	BusySamples samples;
	jfr::Input input = agent::openForReading(finished);
	BusySampleReader reader(samples);
	jfr::Reader(input, true).read(reader);
	for (auto& thread : samples.byThread) std::sort(thread.second.begin(), thread.second.end());
	std::sort(samples.merged.begin(), samples.merged.end());
	return samples;
}

double millis(std::int64_t nanos)
{
	return static_cast<double>(nanos) / 1e6;
}

// The time around boundary (epoch ns) in which none of samples fell: from the
// last sample before it to the first at or after it, whichever recording
// holds them (async-profiler may write a sample taken just before a chunk
// switch into the next chunk). Negative when there is no such pair.
std::int64_t gapAround(std::vector<std::int64_t> samples, std::int64_t boundary)
{
	std::sort(samples.begin(), samples.end());
	auto after = std::lower_bound(samples.begin(), samples.end(), boundary);
	if (after == samples.begin() || after == samples.end()) return -1;
	return *after - *(after - 1);
}

std::vector<std::int64_t> joined(const std::vector<std::int64_t>& first, const std::vector<std::int64_t>& second)
{
	std::vector<std::int64_t> all(first);
	all.insert(all.end(), second.begin(), second.end());
	return all;
}

std::int64_t epochNanos(const Poco::Timestamp& time)
{
	return static_cast<std::int64_t>(time.epochMicroseconds()) * 1000;
}

// Around the rotation between two consecutive recordings: per thread, and merged.
void addSwitchGaps(
	const BusySamples& before, const BusySamples& after, std::int64_t boundary, double mergedSpacingMs, SamplingGapResult& result)
{
	for (const auto& thread : before.byThread)
	{
		auto next = after.byThread.find(thread.first);
		if (next == after.byThread.end()) continue;
		std::int64_t gap = gapAround(joined(thread.second, next->second), boundary);
		if (gap >= 0) result.perThread.add(millis(gap) - CPU_INTERVAL_US / 1000.0);
	}
	std::int64_t gap = gapAround(joined(before.merged, after.merged), boundary);
	if (gap >= 0) result.merged.add(millis(gap) - mergedSpacingMs);
}

// Inside one recording, at its middle: the gap scheduling alone leaves.
void addControlGap(const BusySamples& samples, std::int64_t middle, double mergedSpacingMs, SamplingGapResult& result)
{
	std::int64_t gap = gapAround(samples.merged, middle);
	if (gap >= 0) result.control.add(millis(gap) - mergedSpacingMs);
}

// async-profiler alone, on this thread: bare stop + start pairs into fresh
// files ("alone-restart") or bare dumps into one file ("alone-dump"), each
// interval kept as the agent would hand it over.
void rotateAlone(agent::AsyncProfiler& profiler, const agent::ProfilerSettings& settings, const std::string& rotation, int rotations,
	std::chrono::milliseconds interval, KeepingSink& sink)
{
	std::shared_ptr<agent::FileRecording> current = agent::FileRecording::create("");
	std::string command = settings.startCommand(current->path());
	requireAccepted(profiler.execute(command), command);
	Poco::Timestamp start;
	std::uint64_t cut = 0;
	for (int i = 0; i <= rotations; ++i)
	{
		std::this_thread::sleep_for(interval);
		agent::FinishedRecording finished;
		finished.seq = static_cast<std::uint64_t>(i) + 1;
		finished.start = start;
		bool last = i == rotations;
		if (rotation == "alone-dump" && !last)
		{
			requireAccepted(profiler.execute("dump,jfr"), "dump,jfr");
			finished.end.update();
			std::uint64_t end = agent::JfrChunks::finishedEnd(current->fd(), cut, current->size());
			finished.recording = std::make_shared<agent::ChunkRecording>(current, cut, end - cut);
			cut = end;
		}
		else
		{
			std::shared_ptr<agent::FileRecording> next = last ? nullptr : agent::FileRecording::create("");
			std::string nextCommand = next ? settings.startCommand(next->path()) : std::string();
			requireAccepted(profiler.execute("stop"), "stop");
			if (next) requireAccepted(profiler.execute(nextCommand), nextCommand);
			finished.end.update();
			finished.recording = cut
				? std::shared_ptr<sdk::Recording>(std::make_shared<agent::ChunkRecording>(current, cut, current->size() - cut))
				: std::shared_ptr<sdk::Recording>(current);
			current = next;
			cut = 0;
		}
		start = finished.end;
		sink.accept(std::move(finished));
	}
}

} // namespace

BusyThreads::BusyThreads(int count)
{
	for (int i = 0; i < count; ++i) _threads.emplace_back([this]() { spin(); });
	while (_running.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

BusyThreads::~BusyThreads()
{
	_stop = true;
	for (auto& thread : _threads) thread.join();
}

void BusyThreads::spin()
{
	pthread_setname_np(pthread_self(), BUSY_NAME);
	++_running;
	volatile double sink = 0;
	for (unsigned long i = 1; !_stop.load(std::memory_order_relaxed); ++i) sink = sink + std::sqrt(static_cast<double>(i % 1009));
}

SamplingGapResult measureSamplingGap(agent::AsyncProfiler& profiler, const std::string& rotation, int threads, int rotations)
{
	agent::ProfilerSettings settings;
	settings.cpuInterval = Poco::Timespan(CPU_INTERVAL_US);
	settings.wallInterval = Poco::Timespan(0);
	agent::RotationSettings rotationSettings;
	rotationSettings.strategy = rotation;
	// Each thread gets about 10 ms of CPU per interval.
	long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
	auto interval = std::chrono::milliseconds(std::max(200L, 10L * threads / cores));
	KeepingSink sink;
	SamplingGapResult result;
	if (rotation.rfind("alone-", 0) == 0)
	{
		BusyThreads busy(threads);
		rotateAlone(profiler, settings, rotation, rotations, interval, sink);
		result.strategy = "async-profiler alone, " + rotation.substr(6);
	}
	else
	{
		BusyThreads busy(threads);
		agent::ProfilingLoop loop(profiler, settings, Poco::Timespan(3600, 0), "", sink, nullptr, rotationSettings);
		loop.start();
		for (int i = 0; i < rotations; ++i)
		{
			std::this_thread::sleep_for(interval);
			if (!loop.rotateNow(CALL_TIMEOUT)) throw std::runtime_error("rotateNow did not finish");
		}
		result.strategy = loop.statistics().rotationStrategy;
		if (!loop.stop(CALL_TIMEOUT)) throw std::runtime_error("the loop did not stop");
		if (loop.statistics().profilerErrors > 0) throw std::runtime_error("rotation failed: " + loop.statistics().lastError);
	}
	std::vector<agent::FinishedRecording> recordings = sink.kept();
	std::sort(recordings.begin(), recordings.end(),
		[](const agent::FinishedRecording& a, const agent::FinishedRecording& b) { return a.seq < b.seq; });
	double mergedSpacingMs = CPU_INTERVAL_US / 1000.0 / static_cast<double>(std::min<long>(threads, cores));
	std::vector<BusySamples> samples;
	for (const auto& recording : recordings) samples.push_back(readBusySamples(recording));
	for (std::size_t i = 0; i < samples.size(); ++i)
	{
		result.samples += samples[i].merged.size();
		std::int64_t middle = (epochNanos(recordings[i].start) + epochNanos(recordings[i].end)) / 2;
		addControlGap(samples[i], middle, mergedSpacingMs, result);
		if (i > 0) addSwitchGaps(samples[i - 1], samples[i], epochNanos(recordings[i - 1].end), mergedSpacingMs, result);
	}
	return result;
}

} // namespace bench
} // namespace asprof
