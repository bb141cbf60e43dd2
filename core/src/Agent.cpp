#include "asprof/agent/Agent.h"
#include "AsyncProfiler.h"
#include "DeliveryLane.h"
#include "MetadataResolver.h"
#include "PluginRegistry.h"
#include "ProfilingLoop.h"
#include "ReporterFactory.h"
#include "asprof/agent/Exception.h"
#include "Poco/Environment.h"
#include "Poco/Logger.h"
#include "Poco/Process.h"
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
	void enqueue(FinishedRecording&& finished);

	AgentConfig _config;
	mutable std::mutex _mutex;
	bool _running = false;
	std::string _lastError;
	std::string _library;
	std::unique_ptr<DeliveryLane> _lane;
	std::unique_ptr<ProfilingLoop> _loop;
};

void Agent::Impl::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_running) return;
	if (profilerInUse.exchange(true))
		throw AgentException("another asprof-agent is already running in this process (async-profiler is process-wide)");
	try
	{
		AsyncProfiler& profiler = AsyncProfiler::load(_config.library);
		_library = profiler.path();
		PluginRegistry registry(_config.pluginDir);
		ReporterFactory factory(_config, registry);
		ReporterInstance reporter = factory.create(_config.reporter);
		auto resolver = std::make_shared<MetadataResolver>(factory.createMetadataCandidates());
		sdk::KeyValueList labels = _config.labels;
		_lane.reset(new DeliveryLane(reporter.name, std::move(reporter.reporter), reporter.laneSettings,
			[resolver, labels](const sdk::Profile& base) {
				sdk::Profile profile = base;
				profile.host = resolver->resolve();
				profile.labels = labels;
				profile.labels.insert(profile.labels.end(), profile.host.labels.begin(), profile.host.labels.end());
				return profile;
			}));
		_lane->start();
		_loop.reset(new ProfilingLoop(profiler, _config.profiler, _config.reportingInterval, _config.tempDir,
			[this](FinishedRecording&& finished) { enqueue(std::move(finished)); }));
		_loop->start();
		_running = true;
		_lastError.clear();
		logger().information("profiling every %s with %s, reporting to %s",
			std::to_string(_config.reportingInterval.totalMilliseconds()) + "ms", _library, reporter.name);
	}
	catch (Poco::Exception& e)
	{
		_lastError = e.displayText();
		if (_loop && _loop->abandoned()) _loop.release();
		_loop.reset();
		if (_lane) _lane->stop(Poco::Timespan(0));
		_lane.reset();
		profilerInUse = false;
		throw;
	}
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
	_lane->enqueue(std::move(profile));
}

bool Agent::Impl::stop(Poco::Timespan timeout) noexcept
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_running) return true;
	Poco::Timestamp deadline;
	deadline += timeout;
	bool complete = _loop->stop(timeout);
	Poco::Timespan remaining = std::max<Poco::Timestamp::TimeDiff>(deadline - Poco::Timestamp(), 0);
	complete = _lane->stop(remaining) && complete;
	_running = false;
	// The loop's statistics stay readable; a stuck control thread was abandoned.
	if (complete) profilerInUse = false;
	LaneStatus lane = _lane->status();
	logger().information("stopped: %s delivered, %s dropped at stop",
		std::to_string(lane.delivered), std::to_string(lane.droppedAtStop));
	return complete && lane.droppedAtStop == 0;
}

AgentStatus Agent::Impl::status() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	AgentStatus status;
	status.running = _running;
	status.library = _library;
	status.lastError = _lastError;
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
	if (_lane) status.lanes.push_back(_lane->status());
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
	return _impl->status();
}

const AgentConfig& Agent::config() const
{
	return _impl->_config;
}

} } // namespace asprof::agent
