#include "asprof/agent/Agent.h"
#include "AsyncProfiler.h"
#include "DeliveryLane.h"
#include "LaneReporter.h"
#include "MetadataResolver.h"
#include "PluginRegistry.h"
#include "ProfilingLoop.h"
#include "ReporterFactory.h"
#include "SignalMask.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/Logger.h"
#include "Poco/Process.h"
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

// The agent's labels, then the host's labels whose names are not taken.
sdk::KeyValueList mergeLabels(const sdk::KeyValueList& agentLabels, const sdk::KeyValueList& hostLabels)
{
	sdk::KeyValueList labels = agentLabels;
	for (const auto& label : hostLabels)
	{
		bool taken = false;
		for (const auto& existing : labels) taken = taken || existing.first == label.first;
		if (!taken) labels.push_back(label);
	}
	return labels;
}

} // namespace

class Agent::Impl
{
public:
	explicit Impl(AgentConfig config): _config(std::move(config))
	{
	}

	~Impl()
	{
		// A control thread stuck in async-profiler may still use the loop.
		if (_loop && _loop->abandoned()) _loop.release();
	}

	void start();
	bool stop(Poco::Timespan timeout) noexcept;
	AgentStatus status() const;

	AgentConfig _config;
	mutable std::mutex _mutex;
	bool _running = false;
	std::string _lastError;
	std::string _library;

private:
	void createLanes(PluginRegistry& registry);
	void enqueue(FinishedRecording&& finished);
	bool stopLanes(const Poco::Timestamp& deadline) noexcept;
	void logStatus(Poco::Util::TimerTask&);
	void cleanUpAfterFailedStart() noexcept;

	std::vector<std::shared_ptr<DeliveryLane>> _lanes; // children first; the top-level reporter's lane last
	std::unique_ptr<ProfilingLoop> _loop;
	std::unique_ptr<Poco::Util::Timer> _statusTimer;
};

void Agent::Impl::createLanes(PluginRegistry& registry)
{
	ReporterFactory factory(_config, registry, [this](ReporterInstance&& child) -> std::unique_ptr<sdk::Reporter> {
		// A child of a composite reporter: its own lane; profiles arrive complete.
		auto lane = std::make_shared<DeliveryLane>(child.name, std::move(child.reporter), child.laneSettings, nullptr);
		_lanes.push_back(lane);
		return std::unique_ptr<sdk::Reporter>(new LaneReporter(lane));
	});
	ReporterInstance top = factory.create(_config.reporter);
	auto resolver = std::make_shared<MetadataResolver>(factory.createMetadataCandidates());
	sdk::KeyValueList labels = _config.labels;
	_lanes.push_back(std::make_shared<DeliveryLane>(top.name, std::move(top.reporter), top.laneSettings,
		[resolver, labels](const sdk::Profile& base) {
			sdk::Profile profile = base;
			profile.host = resolver->resolve();
			profile.labels = mergeLabels(labels, profile.host.labels);
			return profile;
		}));
	for (auto& lane : _lanes)
	{
		try
		{
			lane->start();
		}
		catch (Poco::Exception& e)
		{
			throw AgentException("[reporter." + lane->name() + "] cannot start delivery: " + e.displayText());
		}
	}
}

void Agent::Impl::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_running) return;
	TerminationSignalsBlocked signalsBlocked; // for every thread the agent starts
	if (profilerInUse.exchange(true))
		throw AgentException("another asprof-agent is already running in this process (async-profiler is process-wide)");
	try
	{
		AsyncProfiler& profiler = AsyncProfiler::load(_config.library);
		_library = profiler.path();
		_loop.reset();  // a restart: the previous run's loop (stopped) before the lanes it fed,
		_lanes.clear(); // which have released their spools
		PluginRegistry registry(_config.pluginDir);
		createLanes(registry);
		_loop.reset(new ProfilingLoop(profiler, _config.profiler, _config.reportingInterval, _config.tempDir,
			[this](FinishedRecording&& finished) { enqueue(std::move(finished)); }));
		_loop->start();
		if (_config.statusLogInterval > Poco::Timespan(0))
		{
			long intervalMs = static_cast<long>(_config.statusLogInterval.totalMilliseconds());
			_statusTimer.reset(new Poco::Util::Timer);
			_statusTimer->scheduleAtFixedRate(new Poco::Util::TimerTaskAdapter<Impl>(*this, &Impl::logStatus), intervalMs, intervalMs);
		}
		_running = true;
		_lastError.clear();
		logger().information("profiling every %s with %s, reporting to %s", sdk::ConfigValue::formatDuration(_config.reportingInterval),
			_library, _config.reporter);
	}
	catch (Poco::Exception& e)
	{
		_lastError = e.displayText();
		cleanUpAfterFailedStart();
		throw;
	}
}

void Agent::Impl::cleanUpAfterFailedStart() noexcept
{
	if (_loop && _loop->abandoned()) _loop.release();
	_loop.reset();
	for (auto& lane : _lanes) lane->stop(Poco::Timespan(0));
	_lanes.clear();
	profilerInUse = false;
}

void Agent::Impl::enqueue(FinishedRecording&& finished)
{
	auto profile = std::make_shared<sdk::Profile>();
	profile->seq = finished.seq;
	profile->start = finished.start;
	profile->end = finished.end;
	profile->reportingInterval = _config.reportingInterval;
	profile->pid = static_cast<int>(Poco::Process::id());
	profile->profilerArgs = _config.profiler.arguments();
	profile->recording = std::move(finished.recording);
	_lanes.back()->enqueue(std::move(profile));
}

// The top-level lane first (a composite one hands its last profiles to its
// children), then all children drain side by side until the deadline.
// (Nested composites hand over instantly, so one round suffices.)
bool Agent::Impl::stopLanes(const Poco::Timestamp& deadline) noexcept
{
	auto& top = _lanes.back();
	top->requestStop();
	bool complete = top->awaitStop(deadline);
	for (auto it = _lanes.rbegin() + 1; it != _lanes.rend(); ++it) (*it)->requestStop();
	for (auto it = _lanes.rbegin() + 1; it != _lanes.rend(); ++it) complete = (*it)->awaitStop(deadline) && complete;
	return complete;
}

bool Agent::Impl::stop(Poco::Timespan timeout) noexcept
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_running) return true;
	Poco::Timestamp deadline;
	deadline += timeout;
	if (_statusTimer) _statusTimer->cancel(true);
	_statusTimer.reset();
	bool complete = _loop->stop(timeout);
	complete = stopLanes(deadline) && complete;
	_running = false;
	if (!_loop->abandoned()) profilerInUse = false;
	for (const auto& lane : _lanes)
	{
		LaneStatus status = lane->status();
		logger().information("stopped %s: %s delivered, %s spooled for the next start, %s dropped at stop", status.name,
			std::to_string(status.delivered), std::to_string(status.spoolEntries), std::to_string(status.droppedAtStop));
	}
	return complete;
}

void Agent::Impl::logStatus(Poco::Util::TimerTask&)
{
	AgentStatus status = this->status();
	logger().information("status: %s recordings (%s empty, %s profiler errors)", std::to_string(status.recordings),
		std::to_string(status.emptyRecordings), std::to_string(status.profilerErrors));
	for (const auto& lane : status.lanes)
	{
		logger().information("status %s: %s delivered, %s retried, %s failed, dropped %s queue-full / %s expired / %s spool-full, "
			"%s queued, spool %s entries %s bytes%s", lane.name, std::to_string(lane.delivered), std::to_string(lane.retried),
			std::to_string(lane.failed), std::to_string(lane.droppedQueueFull), std::to_string(lane.droppedExpired),
			std::to_string(lane.droppedSpoolFull), std::to_string(lane.queued), std::to_string(lane.spoolEntries),
			std::to_string(lane.spoolBytes), lane.lastError.empty() ? std::string() : ", last error: " + lane.lastError);
	}
}

AgentStatus Agent::Impl::status() const
{
	AgentStatus status;
	status.library = _library;
	status.lastError = _lastError;
	status.running = _running;
	if (_loop)
	{
		LoopStatistics stats = _loop->statistics();
		status.rotations = stats.rotations;
		status.recordings = stats.recordings;
		status.emptyRecordings = stats.emptyRecordings;
		status.profilerErrors = stats.profilerErrors;
		status.bytesRecorded = stats.bytesRecorded;
		if (!stats.lastError.empty()) status.lastError = stats.lastError;
	}
	for (auto it = _lanes.rbegin(); it != _lanes.rend(); ++it) status.lanes.push_back((*it)->status());
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
	std::lock_guard<std::mutex> lock(_impl->_mutex);
	return _impl->_running;
}

AgentStatus Agent::status() const
{
	std::lock_guard<std::mutex> lock(_impl->_mutex);
	return _impl->status();
}

const AgentConfig& Agent::config() const
{
	return _impl->_config;
}

} } // namespace asprof::agent
