#include "ProfilingLoop.h"
#include "AsyncProfiler.h"
#include "ChunkRecording.h"
#include "JfrChunks.h"
#include "PollCatch.h"
#include "SignalMask.h"
#include "ThreadName.h"
#include "asprof/agent/Exception.h"
#include "Poco/Event.h"
#include "Poco/Logger.h"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <unistd.h>
#include <vector>

namespace asprof {
namespace agent {

namespace {

const Poco::Timespan FIRST_START_TIMEOUT(60 * Poco::Timespan::SECONDS);

class FunctionTask: public Poco::Util::TimerTask
{
public:
	explicit FunctionTask(std::function<void()> function): _function(std::move(function))
	{
	}

	void run() override
	{
		blockAgentThreadSignals(); // cheap, and async-profiler may have unblocked them in this thread
		try
		{
			_function();
		}
		catch (...)
		{
			// Functions run here handle their own errors; never let one end the timer thread.
		}
		done.set();
	}

	Poco::Event done;

private:
	std::function<void()> _function;
};

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.agent");
}

// "jfr": finish the current chunk in the file of the last start (not file=,
// which would make async-profiler open and truncate a file). "log=stderr":
// every command re-opens async-profiler's log, by default on the host's stdout.
const char* const DUMP_COMMAND = "dump,jfr,log=stderr";
const char* const METRICS_COMMAND = "metrics,log=stderr";
// Every command re-opens the log: a bare "stop" would send async-profiler's
// messages back to the host's stdout until the next start.
const char* const STOP_COMMAND = "stop,log=stderr";

// async-profiler's own exit handler (run by exit() before ours when ours was
// registered earlier, e.g. by a static Agent) stops the profiler, writing the
// recording to the file= of the last start, and deactivates it for good: our
// stop then fails with "Profiler is not active" although the recording is
// complete on disk (after the last cut: the earlier chunks are delivered).
bool finishedByProfilerItself(const std::string& stopError, const FileRecording& recording, std::uint64_t cutOffset) noexcept
{
	try
	{
		return stopError.find("not active") != std::string::npos &&
			JfrChunks::onlyFinishedChunks(recording.fd(), cutOffset, recording.size());
	}
	catch (Poco::Exception&)
	{
		return false;
	}
}

// A recording whose stop failed: async-profiler may still write to its file,
// so its descriptor is never closed, nor its number reused. Ranges cut from
// it earlier stay readable.
void keepOpenForever(std::shared_ptr<FileRecording> recording)
{
	static auto* kept = new std::vector<std::shared_ptr<FileRecording>>; // never destroyed
	static Poco::FastMutex mutex;
	Poco::FastMutex::ScopedLock lock(mutex);
	kept->push_back(std::move(recording));
}

} // namespace

RecordingSink::~RecordingSink() = default;

ProfilingLoop::ProfilingLoop(AsyncProfiler& profiler, const ProfilerSettings& settings, Poco::Timespan interval, const std::string& tempDir,
	RecordingSink& delivery, std::function<void()> onLateFinish, const RotationSettings& rotation):
	_profiler(profiler),
	_settings(settings),
	_interval(interval),
	_tempDir(tempDir),
	_delivery(delivery),
	_rotation(rotation),
	_onLateFinish(std::move(onLateFinish))
{
	_stats.rotationStrategy = _rotation.strategy();
}

ProfilingLoop::~ProfilingLoop()
{
	if (_timer) _timer->cancel(true);
}

void ProfilingLoop::start()
{
	{
		ThreadNameScope named("asprof-control"); // Poco's Timer starts its thread now
		_timer.reset(new Poco::Util::Timer);
	}
	// Shared with the task: if async-profiler hangs, the task outlives this call.
	auto error = std::make_shared<std::string>();
	bool finished = runOnControlThread(
		[this, error]() {
			try
			{
				startFirst();
			}
			catch (Poco::Exception& e)
			{
				*error = e.displayText();
			}
		},
		FIRST_START_TIMEOUT);
	if (!finished)
	{
		abandon();
		throw AgentException("async-profiler did not answer the first start within 60s");
	}
	if (!error->empty())
	{
		_timer.reset();
		throw AgentException(*error);
	}
	long intervalMs = static_cast<long>(_interval.totalMilliseconds());
	_tickTask = Poco::makeAuto<FunctionTask>([this]() { tick(true); });
	_timer->scheduleAtFixedRate(_tickTask, intervalMs, intervalMs);
	Poco::FastMutex::ScopedLock lock(_requestMutex);
	_acceptingRequests = true;
}

void ProfilingLoop::startFirst()
{
	_current = prepareRecording();
	std::string command = _settings.startCommand(_current->path());
	std::string error = _profiler.execute(command);
	if (!error.empty())
	{
		_current.reset();
		throw AgentException("async-profiler refused the command '" + command + "': " + error);
	}
	_currentSettings = std::make_shared<ChunkSettings>(_current);
	_currentStart.update();
	_currentSeq = _nextSeq++;
	_cutOffset = 0;
	_rotation.restarted();
	_profiling = true;
	PollCatch::enable(_profiler, _settings);
}

bool ProfilingLoop::stop(Poco::Timespan timeout) noexcept
{
	if (!_timer) return true;
	{
		// No request is scheduled after this; one already queued finds
		// _finalTickStarted and does not restart the profiler.
		Poco::FastMutex::ScopedLock lock(_requestMutex);
		_acceptingRequests = false;
	}
	if (_tickTask) _tickTask->cancel();
	bool finished = runOnControlThread(
		[this]() {
			_finalTickStarted = true;
			PollCatch::disable(); // before the profiler stops: no poll spans it
			tick(false);
			finalTickDone();
		},
		timeout);
	if (finished || !abandonUnlessDone())
	{
		_timer->cancel(true);
		_timer.reset();
		return true;
	}
	logger().error("async-profiler's final stop did not return within %s; abandoning the control thread",
		std::to_string(timeout.totalMilliseconds()) + "ms");
	return false;
}

// The final tick ended. If stop() had given up on it, async-profiler is free
// again now: say so, so that an agent may start again in this process.
void ProfilingLoop::finalTickDone()
{
	std::function<void()> released;
	{
		Poco::FastMutex::ScopedLock lock(_handOffMutex);
		_finalTickDone = true;
		if (_abandoned) released = _onLateFinish;
	}
	if (released) released();
}

bool ProfilingLoop::abandonUnlessDone()
{
	Poco::FastMutex::ScopedLock lock(_handOffMutex);
	if (_finalTickDone) return false; // it ended just after the wait: not abandoned
	_abandoned = true;
	_timer.release(); // stuck in async-profiler: never joined, never destroyed
	return true;
}

void ProfilingLoop::abandon()
{
	Poco::FastMutex::ScopedLock lock(_handOffMutex);
	_abandoned = true;
	_timer.release(); // stuck in async-profiler: never joined, never destroyed
}

bool ProfilingLoop::abandoned() const
{
	Poco::FastMutex::ScopedLock lock(_handOffMutex);
	return _abandoned;
}

bool ProfilingLoop::rotateNow(Poco::Timespan timeout)
{
	return runOnControlThread([this]() { tick(true); }, timeout);
}

std::uint64_t ProfilingLoop::rotateOnRequest(Poco::Timespan timeout)
{
	// Shared with the task: it may run after this call gave up waiting.
	auto inProgress = std::make_shared<std::atomic<std::uint64_t>>(0);
	auto task = Poco::makeAuto<FunctionTask>([this, inProgress]() {
		if (_finalTickStarted) return;
		tick(true);
		{
			Poco::FastMutex::ScopedLock lock(_statsMutex);
			++_stats.requestedRotations;
		}
		*inProgress = _profiling ? _currentSeq : 0;
	});
	{
		Poco::FastMutex::ScopedLock lock(_requestMutex);
		if (!_acceptingRequests || !_timer) return 0;
		_timer->schedule(task, Poco::Clock());
	}
	if (!task->done.tryWait(static_cast<long>(std::max<Poco::Timespan::TimeDiff>(timeout.totalMilliseconds(), 1)))) return 0;
	return *inProgress;
}

bool ProfilingLoop::runOnControlThread(std::function<void()> function, Poco::Timespan timeout)
{
	auto task = Poco::makeAuto<FunctionTask>(std::move(function));
	_timer->schedule(task, Poco::Clock());
	return task->done.tryWait(static_cast<long>(std::max<Poco::Timespan::TimeDiff>(timeout.totalMilliseconds(), 0)));
}

std::unique_ptr<FileRecording> ProfilingLoop::prepareRecording()
{
	return FileRecording::create(_tempDir);
}

void ProfilingLoop::tick(bool restart)
{
	if (restart && _profiling)
	{
		bool restartDue = true;
		try
		{
			restartDue = _rotation.restartDue(_current->size());
		}
		catch (Poco::Exception& e)
		{
			recordError(e.displayText());
		}
		if (!restartDue && switchChunk()) return;
	}
	restartRecording(restart);
}

// dump: async-profiler finishes the current chunk and starts the next in the
// same file, without stopping. Here only the offsets are noted; the range is
// read later, off this thread. False (and restarts from now on) when the
// switch failed: the caller then restarts at once, so the interval is kept.
bool ProfilingLoop::switchChunk()
{
	auto called = std::chrono::steady_clock::now();
	std::string error = _profiler.execute(DUMP_COMMAND);
	auto returned = std::chrono::steady_clock::now();
	Poco::Timestamp end;
	std::uint64_t cut = _cutOffset;
	if (error.empty())
	{
		try
		{
			cut = JfrChunks::finishedEnd(_current->fd(), _cutOffset, _current->size());
		}
		catch (Poco::Exception& e)
		{
			error = e.displayText();
		}
	}
	if (!error.empty() || cut <= _cutOffset)
	{
		fallBackToRestarts(error.empty() ? "dump left no finished JFR chunk in the recording file" : "dump failed: " + error);
		return false;
	}
	auto finished = std::make_shared<ChunkRecording>(_current, _cutOffset, cut - _cutOffset, _currentSettings);
	std::uint64_t finishedSeq = _currentSeq;
	Poco::Timestamp finishedStart = _currentStart;
	_cutOffset = cut;
	_currentStart = end;
	_currentSeq = _nextSeq++;
	_rotation.switched();
	{
		Poco::FastMutex::ScopedLock lock(_statsMutex);
		++_stats.chunkSwitches;
		_stats.lastSwitchNanos = std::chrono::duration_cast<std::chrono::nanoseconds>(returned - called).count();
	}
	measureProfilerMemory();
	handOff(std::move(finished), finishedSeq, finishedStart, end);
	return true;
}

void ProfilingLoop::fallBackToRestarts(const std::string& reason)
{
	_rotation.fallBack(reason);
	{
		Poco::FastMutex::ScopedLock lock(_statsMutex);
		_stats.rotationStrategy = _rotation.strategy();
	}
	std::string message = "async-profiler cannot switch JFR chunks (" + reason + "); rotating by stop + start for the next " +
		std::to_string(_rotation.restartEvery()) + " intervals, then trying again";
	if (_rotation.fallbacks() == 1)
		logger().warning(message);
	else
		logger().information(message); // the first one said it
}

// After a chunk switch, outside any sampling gap: async-profiler's memory
// (kept until stop) for the restart bound, from its "metrics" (4.4+).
void ProfilingLoop::measureProfilerMemory()
{
	if (!_rotation.wantsProfilerMemory()) return;
	std::string output;
	std::string error = _profiler.execute(METRICS_COMMAND, output);
	std::optional<std::uint64_t> bytes;
	if (error.empty()) bytes = RotationPolicy::profilerMemory(output);
	_rotation.noteProfilerMemory(bytes);
	if (!bytes)
	{
		logger().information("async-profiler does not report its memory (metrics: %s); restartProfilerMemory does not apply",
			error.empty() ? std::string("no mem_ lines") : error);
		return;
	}
	Poco::FastMutex::ScopedLock lock(_statsMutex);
	_stats.profilerMemory = *bytes;
}

void ProfilingLoop::restartRecording(bool restart)
{
	// Prepare before stop: nothing slow may run between stop and start.
	std::unique_ptr<FileRecording> next;
	std::string startCommand;
	if (restart)
	{
		try
		{
			next = prepareRecording();
			startCommand = _settings.startCommand(next->path());
		}
		catch (Poco::Exception& e)
		{
			// Keep recording into the current file; the next tick tries again.
			// With chunk switches this interval is still cut and delivered,
			// so a file that cannot be made never leaves one ever-growing chunk.
			recordError("cannot rotate: " + e.displayText());
			if (_profiling && _rotation.switchesChunks()) switchChunk();
			if (_profiling) return;
		}
	}

	std::string stopError;
	Poco::Timestamp end;
	if (_profiling)
		stopError = _profiler.execute(STOP_COMMAND);
	else if (_profilerMayBeActive)
		_profiler.execute(STOP_COMMAND); // state unknown after a failure; "not active" is fine
	_profilerMayBeActive = !stopError.empty();
	auto stopReturned = std::chrono::steady_clock::now();
	end.update();

	std::string startError;
	Poco::Timestamp start;
	if (next)
	{
		auto startCalled = std::chrono::steady_clock::now();
		startError = _profiler.execute(startCommand);
		start.update();
		Poco::FastMutex::ScopedLock lock(_statsMutex);
		_stats.lastGapNanos = std::chrono::duration_cast<std::chrono::nanoseconds>(startCalled - stopReturned).count();
	}

	// Everything below runs while async-profiler records again.
	std::shared_ptr<FileRecording> finished = std::move(_current);
	std::shared_ptr<const ChunkSettings> finishedSettings = std::move(_currentSettings);
	std::uint64_t finishedOffset = _cutOffset;
	std::uint64_t finishedSeq = _currentSeq;
	Poco::Timestamp finishedStart = _currentStart;
	bool wasProfiling = _profiling;
	_profiling = false;
	_cutOffset = 0;
	if (next && startError.empty())
	{
		_current = std::move(next);
		_currentSettings = std::make_shared<ChunkSettings>(_current);
		_currentStart = start;
		_currentSeq = _nextSeq++;
		_profiling = true;
		_rotation.restarted();
		Poco::FastMutex::ScopedLock lock(_statsMutex);
		++_stats.restarts;
		_stats.rotationStrategy = _rotation.strategy(); // dump again after a fallback
	}
	if (!startError.empty())
	{
		_profilerMayBeActive = true;
		recordError("async-profiler refused the command '" + startCommand + "': " + startError);
	}
	if (!wasProfiling || !finished) return;
	finishRecording(std::move(finished), std::move(finishedSettings), finishedOffset, stopError, finishedSeq, finishedStart, end);
}

// The stopped recording: what its file holds after the last cut.
void ProfilingLoop::finishRecording(std::shared_ptr<FileRecording> finished, std::shared_ptr<const ChunkSettings> settings,
	std::uint64_t cutOffset, const std::string& stopError, std::uint64_t seq, Poco::Timestamp start, Poco::Timestamp end)
{
	if (!stopError.empty() && finishedByProfilerItself(stopError, *finished, cutOffset))
	{
		logger().information(
			"async-profiler had already stopped (at exit?); recording %s is complete and is delivered", std::to_string(seq));
	}
	else if (!stopError.empty())
	{
		keepOpenForever(std::move(finished));
		{
			Poco::FastMutex::ScopedLock lock(_statsMutex);
			++_stats.recordingsLost;
		}
		recordError("async-profiler stop failed, recording " + std::to_string(seq) + " lost: " + stopError);
		return;
	}
	std::uint64_t size = cutOffset;
	try
	{
		size = std::max(finished->size(), cutOffset);
		// What stop finished after the last cut must be whole chunks, or it
		// is no JFR (a file cut short under async-profiler, a full tempDir):
		// lost, not sent.
		if (size > cutOffset && !JfrChunks::onlyFinishedChunks(finished->fd(), cutOffset, size))
		{
			{
				Poco::FastMutex::ScopedLock lock(_statsMutex);
				++_stats.recordingsLost;
			}
			recordError("recording " + std::to_string(seq) + " lost: " + (cutOffset ? "after the last chunk switch, " : "") +
				"the file holds no complete JFR chunks");
			return;
		}
	}
	catch (Poco::Exception& e)
	{
		recordError(e.displayText()); // counted as an empty recording
	}
	if (cutOffset == 0) return handOff(std::move(finished), seq, start, end); // the whole file
	handOff(std::make_shared<ChunkRecording>(std::move(finished), cutOffset, size - cutOffset, std::move(settings)), seq, start, end);
}

void ProfilingLoop::handOff(std::shared_ptr<sdk::Recording> finished, std::uint64_t seq, Poco::Timestamp start, Poco::Timestamp end)
{
	std::uint64_t size = 0;
	try
	{
		// A cut range's length, not its size: the settings it gets are worked
		// out on the reading thread, never here.
		auto* range = dynamic_cast<const ChunkRecording*>(finished.get());
		size = range ? range->length() : finished->size();
	}
	catch (Poco::Exception& e)
	{
		recordError(e.displayText());
	}
	{
		Poco::FastMutex::ScopedLock lock(_statsMutex);
		++_stats.rotations;
		if (size == 0)
		{
			++_stats.emptyRecordings;
			return;
		}
		++_stats.recordings;
		_stats.bytesRecorded += size;
	}
	FinishedRecording recording;
	recording.seq = seq;
	recording.start = start;
	recording.end = end;
	recording.recording = std::move(finished);
	{
		Poco::FastMutex::ScopedLock lock(_handOffMutex);
		if (!_abandoned) return _delivery.accept(std::move(recording));
	}
	// Finished after stop() gave up on it: nobody delivers it any more.
	{
		Poco::FastMutex::ScopedLock lock(_statsMutex);
		++_stats.recordingsLost;
	}
	logger().error("recording %s finished after the stop deadline; it is not delivered (counted in recordingsLost)", std::to_string(seq));
}

void ProfilingLoop::recordError(const std::string& message)
{
	bool repeated = false;
	{
		Poco::FastMutex::ScopedLock lock(_statsMutex);
		++_stats.profilerErrors;
		repeated = _stats.lastError == message;
		_stats.lastError = message;
	}
	// Log each distinct error once in a row, not once per interval.
	if (repeated)
		logger().debug(message);
	else
		logger().error(message);
}

LoopStatistics ProfilingLoop::statistics() const
{
	Poco::FastMutex::ScopedLock lock(_statsMutex);
	return _stats;
}

} // namespace agent
} // namespace asprof
