#include "asprof/agent/Agent.h"
#include "AsyncProfiler.h"
#include "Delivery.h"
#include "Endpoint.h"
#include "HeapTracker.h"
#include "PluginRegistry.h"
#include "PollCatch.h"
#include "ProfilerArguments.h"
#include "ProfilingLoop.h"
#include "RecordingTap.h"
#include "SignalMask.h"
#include "ThreadName.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/Logger.h"
#include "Poco/Util/Timer.h"
#include "Poco/Util/TimerTaskAdapter.h"
#include <atomic>
#include <mutex>

namespace asprof {
namespace agent {

namespace {

// async-profiler is process-wide: only one agent may drive it.
std::atomic<bool> profilerInUse{false};

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.agent");
}

} // namespace

// Hidden: a nested class takes its enclosing class's visibility, and
// Agent is exported (asprof/agent/Export.h); its pimpl is not API.
/// Two locks: _lifecycle serialises start() and stop() (a stop holds it
/// for the whole flush); _state guards what status() reads, and is only
/// ever held briefly, so status() never waits for a flush.
class __attribute__((visibility("hidden"))) Agent::Impl
{
public:
	explicit Impl(AgentConfig config): _config(std::move(config))
	{
	}

	~Impl()
	{
		// A control thread stuck in async-profiler may still use the loop (and its tap).
		_endpoint.reset();
		if (_loop && _loop->abandoned())
		{
			_loop.release();
			_tap.release();
		}
	}

	void start();
	bool stop(Poco::Timespan timeout) noexcept;
	AgentStatus status() const;
	bool isRunning() const;

	const AgentConfig _config;

private:
	void logStatus(Poco::Util::TimerTask&);
	void cleanUpAfterFailedStart() noexcept;
	void setError(const std::string& error);
	std::unique_ptr<Endpoint> makeEndpoint(const AgentConfig& config);
	void stopEndpoint(Poco::Timespan timeout) noexcept;

	std::mutex _lifecycle;
	mutable std::mutex _state;
	bool _running = false;                           // _state
	std::string _lastError;                          // _state
	std::string _library;                            // _state
	std::shared_ptr<Delivery> _delivery;             // _state (replaced at start)
	std::unique_ptr<RecordingTap> _tap;              // _state (replaced at start): loop -> tap -> delivery
	std::unique_ptr<HeapTracker> _heap;              // _state (replaced at start): null unless nativeMem and the endpoint
	std::unique_ptr<ProfilingLoop> _loop;            // _state (replaced at start)
	std::unique_ptr<Endpoint> _endpoint;             // _state (replaced at start): null when [endpoint] listen is empty
	std::unique_ptr<Poco::Util::Timer> _statusTimer; // _lifecycle
	bool _lastStopComplete = true;                   // _lifecycle
};

void Agent::Impl::start()
{
	std::lock_guard<std::mutex> lifecycle(_lifecycle);
	if (isRunning()) return;
	TerminationSignalsBlocked signalsBlocked; // for every thread the agent starts
	if (profilerInUse.exchange(true))
		throw AgentException("another asprof-agent is already running in this process (async-profiler is process-wide)");
	try
	{
		AsyncProfiler& profiler = AsyncProfiler::load(_config.library);
		{
			// A restart: the previous run's loop (stopped) goes before the lanes
			// it fed, which have released their spools.
			std::lock_guard<std::mutex> state(_state);
			_library = profiler.path();
			_endpoint.reset();
			_loop.reset();
			_heap.reset();
			_tap.reset();
			_delivery.reset();
		}
		// The command names its clock, so the PollCatch hooks read the one
		// async-profiler stamps events with; profiles show that command.
		AgentConfig config = _config;
		config.profiler = PollCatch::withClock(profiler, _config.profiler);
		PluginRegistry registry(config.pluginDir);
		auto delivery = std::make_shared<Delivery>(config, registry);
		delivery->start();
		// The tap shows the endpoint (and the live heap) what goes to delivery.
		auto tap = std::make_unique<RecordingTap>(*delivery);
		std::unique_ptr<HeapTracker> heap;
		bool noFree = ProfilerArguments::lastValue(config.profiler.extraArgs, "nofree").has_value();
		if (!config.profiler.nativeMem.empty() && noFree)
			logger().warning(
				"[profiler] extraArgs has nofree: async-profiler records no frees, so every sampled allocation "
				"looks live: no live heap (/debug/pprof/heap answers 404), and leak reports of these recordings are meaningless");
		if (!config.endpoint.listen.empty() && !config.profiler.nativeMem.empty() && !noFree)
		{
			heap = std::make_unique<HeapTracker>(config.endpoint.heapMaxAllocations);
			HeapTracker* tracker = heap.get();
			tap->setObserver([tracker](const FinishedRecording& finished) { tracker->offer(finished); });
			heap->start();
		}
		// A final stop abandoned at its deadline that ends later frees async-profiler again.
		auto loop = std::make_unique<ProfilingLoop>(
			profiler, config.profiler, config.reportingInterval, config.tempDir, *tap, []() { profilerInUse = false; }, config.rotation);
		{
			std::lock_guard<std::mutex> state(_state);
			_delivery = delivery;
			_tap = std::move(tap);
			_heap = std::move(heap);
			_loop = std::move(loop);
		}
		// Listening before the first recording: a window asked for meanwhile gets a 503.
		auto endpoint = makeEndpoint(config);
		{
			std::lock_guard<std::mutex> state(_state);
			_endpoint = std::move(endpoint);
		}
		_loop->start();
		if (_config.statusLogInterval > Poco::Timespan(0))
		{
			long intervalMs = static_cast<long>(_config.statusLogInterval.totalMilliseconds());
			{
				ThreadNameScope named("asprof-status"); // Poco's Timer starts its thread now
				_statusTimer.reset(new Poco::Util::Timer);
			}
			_statusTimer->scheduleAtFixedRate(new Poco::Util::TimerTaskAdapter<Impl>(*this, &Impl::logStatus), intervalMs, intervalMs);
		}
		{
			std::lock_guard<std::mutex> state(_state);
			_running = true;
			_lastError.clear();
		}
		logger().information("profiling every %s with %s, reporting to %s", sdk::ConfigValue::formatDuration(_config.reportingInterval),
			profiler.path(), _config.reporter);
	}
	catch (Poco::Exception& e)
	{
		setError(e.displayText());
		cleanUpAfterFailedStart();
		throw;
	}
}

std::unique_ptr<Endpoint> Agent::Impl::makeEndpoint(const AgentConfig& config)
{
	if (config.endpoint.listen.empty()) return nullptr;
	EndpointBorrowed borrowed;
	ProfilingLoop* loop = _loop.get();
	borrowed.rotate = [loop](Poco::Timespan timeout) { return loop->rotateOnRequest(timeout); };
	borrowed.tap = _tap.get();
	borrowed.heap = _heap.get();
	borrowed.status = [this]() { return status(); };
	auto endpoint = std::make_unique<Endpoint>(config.endpoint, config.profiler, std::move(borrowed));
	endpoint->start();
	return endpoint;
}

// First of all at stop: no request may use the loop, the tap or the heap
// once they stop.
void Agent::Impl::stopEndpoint(Poco::Timespan timeout) noexcept
{
	Endpoint* endpoint = nullptr;
	{
		std::lock_guard<std::mutex> state(_state);
		endpoint = _endpoint.get();
	}
	if (endpoint) endpoint->stop(std::min(timeout, EndpointService::ROTATION_TIMEOUT + Poco::Timespan(1, 0)));
}

void Agent::Impl::setError(const std::string& error)
{
	std::lock_guard<std::mutex> state(_state);
	_lastError = error;
}

void Agent::Impl::cleanUpAfterFailedStart() noexcept
{
	stopEndpoint(Poco::Timespan(1, 0));
	std::unique_ptr<Endpoint> endpoint;
	std::unique_ptr<ProfilingLoop> loop;
	std::unique_ptr<HeapTracker> heap;
	std::unique_ptr<RecordingTap> tap;
	std::shared_ptr<Delivery> delivery;
	{
		std::lock_guard<std::mutex> state(_state);
		endpoint = std::move(_endpoint);
		loop = std::move(_loop);
		heap = std::move(_heap);
		tap = std::move(_tap);
		delivery = std::move(_delivery);
	}
	endpoint.reset();
	bool abandoned = loop && loop->abandoned();
	if (abandoned) loop.release();
	loop.reset();
	if (heap) heap->stop(Poco::Timespan(0));
	if (abandoned) tap.release(); // the loop may still hold it
	Poco::Timestamp deadline;
	deadline += Poco::Timespan(1, 0); // reporters already started get a moment for stop()
	if (delivery) delivery->stop(deadline);
	profilerInUse = false;
}

bool Agent::Impl::stop(Poco::Timespan timeout) noexcept
{
	std::lock_guard<std::mutex> lifecycle(_lifecycle);
	if (!isRunning()) return _lastStopComplete; // a second stop: the answer of the one that ran
	Poco::Timestamp deadline;
	deadline += timeout;
	if (_statusTimer) _statusTimer->cancel(true);
	_statusTimer.reset();
	stopEndpoint(timeout);
	// Only stop() and start() replace these, and both hold _lifecycle.
	bool complete = _loop->stop(timeout);
	complete = _delivery->stop(deadline) && complete;
	if (_heap) _heap->stop(Poco::Timespan(0));
	{
		std::lock_guard<std::mutex> state(_state);
		_running = false;
	}
	if (!_loop->abandoned()) profilerInUse = false;
	_lastStopComplete = complete;
	return complete;
}

bool Agent::Impl::isRunning() const
{
	std::lock_guard<std::mutex> state(_state);
	return _running;
}

void Agent::Impl::logStatus(Poco::Util::TimerTask&)
{
	AgentStatus status = this->status();
	logger().information("status: %s recordings (%s empty, %s profiler errors), rotation %s (%s chunk switches, %s restarts)",
		std::to_string(status.recordings), std::to_string(status.emptyRecordings), std::to_string(status.profilerErrors),
		status.rotationStrategy, std::to_string(status.chunkSwitches), std::to_string(status.restarts));
	for (const auto& lane : status.lanes)
	{
		logger().information(
			"status %s: %s delivered, %s retried, %s failed, dropped %s queue-full / %s expired / %s spool-full / %s corrupt, "
			"%s queued, spool %s entries %s bytes%s",
			lane.name, std::to_string(lane.delivered), std::to_string(lane.retried), std::to_string(lane.failed),
			std::to_string(lane.droppedQueueFull), std::to_string(lane.droppedExpired), std::to_string(lane.droppedSpoolFull),
			std::to_string(lane.droppedCorrupt), std::to_string(lane.queued), std::to_string(lane.spoolEntries),
			std::to_string(lane.spoolBytes), lane.lastError.empty() ? std::string() : ", last error: " + lane.lastError);
	}
}

AgentStatus Agent::Impl::status() const
{
	std::lock_guard<std::mutex> state(_state);
	AgentStatus status;
	status.library = _library;
	status.lastError = _lastError;
	status.running = _running;
	if (_loop)
	{
		LoopStatistics stats = _loop->statistics();
		status.rotations = stats.rotations;
		status.chunkSwitches = stats.chunkSwitches;
		status.restarts = stats.restarts;
		status.rotationStrategy = stats.rotationStrategy;
		status.recordings = stats.recordings;
		status.emptyRecordings = stats.emptyRecordings;
		status.profilerErrors = stats.profilerErrors;
		status.bytesRecorded = stats.bytesRecorded;
		status.recordingsLost = stats.recordingsLost;
		status.requestedRotations = stats.requestedRotations;
		if (!stats.lastError.empty()) status.lastError = stats.lastError;
	}
	if (_delivery) status.lanes = _delivery->status();
	if (_endpoint)
	{
		const EndpointCounters& counters = _endpoint->counters();
		status.endpointAddress = _endpoint->address();
		status.endpointRequests = counters.requests;
		status.endpointUnauthorized = counters.unauthorized;
		status.endpointWindows = counters.windows;
		status.endpointWindowsRefused = counters.windowsRefused;
	}
	if (_heap)
	{
		HeapTrackerStatistics heap = _heap->statistics();
		status.heapRecordings = heap.applied;
		status.heapFailed = heap.failed;
		status.heapDropped = heap.dropped;
		status.heapLiveAllocations = heap.heap.liveAllocations;
		status.heapLiveBytes = heap.heap.liveBytes;
		status.heapEvicted = heap.heap.evicted;
	}
	return status;
}

Agent::Agent(AgentConfig config): _impl(new Impl(std::move(config)))
{
}

Agent::~Agent()
{
	stop();
}

void Agent::start()
{
	_impl->start();
}

bool Agent::stop(Poco::Timespan timeout) noexcept
{
	return _impl->stop(timeout);
}

bool Agent::stop() noexcept
{
	return _impl->stop(_impl->_config.flushTimeout);
}

bool Agent::isRunning() const
{
	return _impl->isRunning();
}

AgentStatus Agent::status() const
{
	return _impl->status();
}

const AgentConfig& Agent::config() const
{
	return _impl->_config;
}

} // namespace agent
} // namespace asprof
