//
// ProfilingLoop.h
//
// The control thread: rotates async-profiler's recording every interval.
//

#ifndef Asprof_Agent_ProfilingLoop_INCLUDED
#define Asprof_Agent_ProfilingLoop_INCLUDED

#include "asprof/agent/AgentConfig.h"
#include "ChunkSettings.h"
#include "FileRecording.h"
#include "RotationPolicy.h"
#include "Poco/Mutex.h"
#include "Poco/Timespan.h"
#include "Poco/Timestamp.h"
#include "Poco/Util/Timer.h"
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace asprof {
namespace agent {

class AsyncProfiler;

/// One interval's recording, handed from the control thread to delivery.
struct FinishedRecording
{
	std::uint64_t seq = 0;
	Poco::Timestamp start;
	Poco::Timestamp end;
	std::shared_ptr<sdk::Recording> recording;
};

/// Where the loop hands finished recordings: Delivery in the agent.
class RecordingSink
{
public:
	virtual ~RecordingSink();

	/// On the control thread, after the next recording has started: must
	/// return at once (no disk, network or plugin call).
	virtual void accept(FinishedRecording&& finished) = 0;
};

struct LoopStatistics
{
	std::uint64_t rotations = 0;
	std::uint64_t recordings = 0;
	std::uint64_t emptyRecordings = 0;
	std::uint64_t profilerErrors = 0;
	std::uint64_t bytesRecorded = 0;
	std::int64_t lastGapNanos = 0;        ///< from stop returning to start being called (restarts only)
	std::int64_t lastSwitchNanos = 0;     ///< how long the last chunk switch (dump) took
	std::uint64_t chunkSwitches = 0;      ///< rotations by chunk switch (dump)
	std::uint64_t restarts = 0;           ///< rotations by stop + start into a fresh file
	std::uint64_t profilerMemory = 0;     ///< async-profiler's memory after the last chunk switch, when it says (metrics)
	std::string rotationStrategy;         ///< "dump", "restart" or "restart (fallback: <why>)"
	std::uint64_t recordingsLost = 0;     ///< stop failed, or finished after stop() gave up on it: never delivered
	std::uint64_t requestedRotations = 0; ///< rotations run for rotateOnRequest() (also counted in rotations)
	std::string lastError;
};

/// Owns the agent's control thread (a Poco::Util::Timer), the ONLY thread
/// that calls async-profiler. Every interval tick() rotates, one of two
/// ways (RotationPolicy decides):
///   chunk switch: dump -> note where the finished chunk(s) end -> hand-off
///     of that byte range of the file (a ChunkRecording, read in place);
///   restart: stop -> start on the recording prepared beforehand ->
///     hand-off of what the old file holds after the last cut.
/// For a restart the next recording file and its start command are
/// prepared before stop, so nothing but two clock reads lies between stop
/// and start. A failed chunk switch is followed at once by a restart, and
/// restarts only from then on. A failed stop keeps the recording's
/// descriptor open for good (async-profiler may still write to it).
class ProfilingLoop
{
public:
	/// Each non-empty finished recording goes to delivery.accept().
	/// onLateFinish runs on the control thread when a final stop that
	/// stop() gave up on ends after all: async-profiler is free again.
	/// rotation: how to rotate (the [agent] rotation keys).
	ProfilingLoop(AsyncProfiler& profiler, const ProfilerSettings& settings, Poco::Timespan interval, const std::string& tempDir,
		RecordingSink& delivery, std::function<void()> onLateFinish = nullptr, const RotationSettings& rotation = RotationSettings());
	~ProfilingLoop();

	/// Starts the control thread and the first recording, and schedules
	/// the rotations. Throws AgentException with async-profiler's error
	/// and the command when the profiler refuses to start.
	void start();

	/// Runs the final tick on the control thread: stop, hand off the last
	/// recording, no restart. Returns false if that did not finish within
	/// timeout (the control thread is then abandoned, never joined).
	bool stop(Poco::Timespan timeout) noexcept;

	/// Runs one rotation now, on the control thread, and waits for it.
	/// For tests and benchmarks.
	bool rotateNow(Poco::Timespan timeout);

	/// Asks the control thread for one extra rotation, served between
	/// its own (the control thread never waits for the caller), and waits
	/// up to timeout for it. Returns the seq of the recording in progress
	/// after it: every recording with that seq or later is handed to
	/// delivery after this call returned, every earlier one before. 0
	/// when the rotation did not run in time, the loop is stopping or
	/// stopped, or async-profiler is not recording. Any thread; cheap
	/// for the control thread (one tick, as at every interval).
	std::uint64_t rotateOnRequest(Poco::Timespan timeout);

	LoopStatistics statistics() const;

	/// True when start() or stop() gave up on a control thread stuck in
	/// async-profiler. That thread may still wake up and use this object,
	/// so its owner must then never destroy it (delivery is no longer
	/// called).
	bool abandoned() const;

private:
	void abandon();
	void finalTickDone();
	bool abandonUnlessDone();

	bool runOnControlThread(std::function<void()> function, Poco::Timespan timeout);
	void tick(bool restart);
	bool switchChunk();
	void fallBackToRestarts(const std::string& reason);
	void measureProfilerMemory();
	void restartRecording(bool restart);
	void finishRecording(std::shared_ptr<FileRecording> finished, std::shared_ptr<const ChunkSettings> settings, std::uint64_t cutOffset,
		const std::string& stopError, std::uint64_t seq, Poco::Timestamp start, Poco::Timestamp end);
	std::unique_ptr<FileRecording> prepareRecording();
	void startFirst();
	void handOff(std::shared_ptr<sdk::Recording> finished, std::uint64_t seq, Poco::Timestamp start, Poco::Timestamp end);
	void recordError(const std::string& message);

	AsyncProfiler& _profiler;
	ProfilerSettings _settings;
	Poco::Timespan _interval;
	std::string _tempDir;
	RecordingSink& _delivery;

	// Owned by the control thread.
	RotationPolicy _rotation;
	std::shared_ptr<FileRecording> _current;               // shared with the ranges cut from it
	std::shared_ptr<const ChunkSettings> _currentSettings; // what later chunks of _current lack
	std::uint64_t _cutOffset = 0;                          // where the current interval starts in _current
	Poco::Timestamp _currentStart;
	std::uint64_t _currentSeq = 0;
	std::uint64_t _nextSeq = 1;
	bool _profiling = false;
	bool _profilerMayBeActive = false; // after a failed stop or start

	mutable Poco::FastMutex _handOffMutex;
	bool _abandoned = false;     // guarded by _handOffMutex
	bool _finalTickDone = false; // guarded by _handOffMutex
	std::function<void()> _onLateFinish;

	Poco::FastMutex _requestMutex;   // orders rotateOnRequest() against stop()
	bool _acceptingRequests = false; // guarded by _requestMutex
	bool _finalTickStarted = false;  // control thread

	mutable Poco::FastMutex _statsMutex;
	LoopStatistics _stats;

	Poco::Util::TimerTask::Ptr _tickTask;
	std::unique_ptr<Poco::Util::Timer> _timer; // last: destroyed (joined) first
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_ProfilingLoop_INCLUDED
