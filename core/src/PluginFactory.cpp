#include "PluginFactory.h"
#include "LaneReporter.h"
#include "PluginBoundary.h"
#include "SignalMask.h"
#include "PluginRegistry.h"
#include "SectionContext.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/Environment.h"
#include "Poco/Logger.h"
#include <condition_variable>
#include <exception>
#include <pthread.h>
#include <thread>

namespace asprof {
namespace agent {

namespace {

const int MAX_NESTING = 4;
// A child's calls end this much before its parent's, so that the error names
// the plugin that is stuck, not the multi reporter waiting for it.
const std::chrono::milliseconds NESTED_MARGIN(50);

// Turns whatever a plugin call threw into ConfigException or PluginException.
void rethrowAsAgentError(std::exception_ptr error, const std::string& what, const std::string& pluginPath)
{
	try
	{
		std::rethrow_exception(error);
	}
	catch (ConfigException&)
	{
		throw;
	}
	catch (Poco::InvalidArgumentException& e)
	{
		throw ConfigException(e.message() + " (plugin " + pluginPath + ")");
	}
	catch (...)
	{
		throw PluginException(pluginPath + ": " + what + " failed: " + describeCurrentException());
	}
}

// Our own code that reads a plugin's section: same translation, no thread.
template <class Function>
void callPlugin(const std::string& what, const std::string& pluginPath, Function function)
{
	try
	{
		function();
	}
	catch (...)
	{
		rethrowAsAgentError(std::current_exception(), what, pluginPath);
	}
}

struct PluginCall
{
	std::mutex mutex;
	std::condition_variable finished;
	bool done = false;
	std::exception_ptr error;
	std::function<void()> function;
};

} // namespace

PluginFactory::PluginFactory(const AgentConfig& config, PluginRegistry& registry):
	_config(config),
	_registry(registry),
	_deadline(std::chrono::steady_clock::now() + std::chrono::microseconds(config.startTimeout.totalMicroseconds())),
	_children(std::make_shared<ChildGate>())
{
	_children->factory = this;
}

PluginFactory::~PluginFactory()
{
	// A plugin thread abandoned at the deadline may still be creating a
	// child: it finishes (its own calls are bounded by the same deadline)
	// before this factory goes, and later ones are refused.
	std::unique_lock<std::mutex> lock(_children->mutex);
	_children->factory = nullptr;
	_children->idle.wait(lock, [this] { return _children->active == 0; });
}

// Why a thread: configure() and start() are someone else's code, and
// Agent::start() must return within startTimeout whatever they do. Past the
// deadline the thread is abandoned, never joined: it owns what it uses
// (function holds it), and the caller leaks the plugin instance.
void PluginFactory::callPluginBefore(
	int depth, const std::string& what, const std::string& pluginPath, std::function<void()> function, bool& abandoned) const
{
	std::chrono::steady_clock::time_point deadline = _deadline - depth * NESTED_MARGIN;
	if (std::chrono::steady_clock::now() >= deadline)
	{
		throw PluginException(pluginPath + ": " + what + " not called: the startTimeout (" +
			sdk::ConfigValue::formatDuration(_config.startTimeout) + ") of this start is used up");
	}
	auto call = std::make_shared<PluginCall>();
	call->function = std::move(function);
	std::thread thread;
	try
	{
		thread = std::thread([call]() ASPROF_CATCHES_FORCED_UNWIND {
			blockAgentThreadSignals();
			::pthread_setname_np(::pthread_self(), "asprof-plugin");
			std::exception_ptr error;
			try
			{
				call->function();
			}
			catch (abi::__forced_unwind&)
			{
				// pthread_exit() in the plugin: this thread ends, as it asked.
				std::lock_guard<std::mutex> lock(call->mutex);
				call->error = std::make_exception_ptr(Poco::IllegalStateException("it ended its thread (pthread_exit)"));
				call->done = true;
				call->finished.notify_all();
				throw;
			}
			catch (...)
			{
				error = std::current_exception();
			}
			std::lock_guard<std::mutex> lock(call->mutex);
			call->error = error;
			call->done = true;
			call->finished.notify_all();
		});
	}
	catch (std::exception& e)
	{
		throw PluginException(pluginPath + ": cannot start a thread for " + what + ": " + e.what());
	}
	std::unique_lock<std::mutex> lock(call->mutex);
	if (!call->finished.wait_until(lock, deadline, [&] { return call->done; }))
	{
		lock.unlock();
		thread.detach();
		abandoned = true;
		throw PluginException(pluginPath + ": " + what + " did not return within startTimeout (" +
			sdk::ConfigValue::formatDuration(_config.startTimeout) + "); the instance is refused and the call abandoned");
	}
	lock.unlock();
	thread.join();
	if (call->error) rethrowAsAgentError(call->error, what, pluginPath);
}

PluginFactory::Section PluginFactory::resolveSection(const std::string& kind, const std::string& instanceName) const
{
	Section section;
	section.name = kind + "." + instanceName;
	Poco::Util::AbstractConfiguration::Keys keys;
	_config.configuration->keys(section.name, keys);
	if (keys.empty())
	{
		// No section: the name doubles as the type, with the plugin's defaults.
		if (!_registry.hasPlugin(kind, instanceName))
		{
			throw ConfigException(_config.source + ": [agent] names " + kind + " '" + instanceName + "', but there is no [" + section.name +
				"] section and no " + kind + " plugin of that type (" + _registry.pluginPath(kind, instanceName) + ")");
		}
		section.type = instanceName;
		return section;
	}
	section.type = _config.configuration->getString(section.name + ".type", "");
	if (section.type.empty())
	{
		throw ConfigException(_config.source + ": [" + section.name +
			"] type is required but not set; expected the plugin type, e.g. type = " + (kind == "reporter" ? "local" : "onprem"));
	}
	section.library = _config.configuration->getString(section.name + ".library", "");
	if (!section.library.empty() && section.library[0] != '/')
		throw ConfigException(_config.source + ": [" + section.name + "] library = " + section.library + ": expected an absolute path");
	return section;
}

std::vector<std::shared_ptr<DeliveryLane>> PluginFactory::buildLanes(
	const std::string& instanceName, std::shared_ptr<const ProfileAssembler> assembler)
{
	_lanes.clear();
	_pendingStarts.clear();
	_reachedFrom.clear();
	Instance top = createReporter(instanceName, "[agent] reporter", 0);
	_lanes.push_back(std::make_shared<DeliveryLane>(instanceName, std::move(top.reporter), top.laneSettings, std::move(assembler)));
	checkUnusedReporterSections();
	startReporters();
	return std::move(_lanes);
}

// Children first, as they were configured.
void PluginFactory::startReporters()
{
	for (const auto& pending : _pendingStarts)
	{
		sdk::Reporter* reporter = pending.reporter;
		bool abandoned = false;
		try
		{
			callPluginBefore(
				0, "start() of [" + pending.section + "]", pending.pluginPath, [reporter] { reporter->start(); }, abandoned);
		}
		catch (...)
		{
			// The abandoned thread still runs in one of these reporters: they
			// are never destroyed (nor their lanes, which are not started).
			if (abandoned) static_cast<void>(new std::vector<std::shared_ptr<DeliveryLane>>(_lanes));
			throw;
		}
	}
}

void PluginFactory::checkUnusedReporterSections() const
{
	Poco::Util::AbstractConfiguration::Keys instances;
	_config.configuration->keys("reporter", instances);
	for (const auto& instance : instances)
	{
		if (_reachedFrom.count(instance)) continue;
		throw ConfigException(_config.source + ": unused section [reporter." + instance + "]: neither [agent] reporter (" +
			_config.reporter + ") nor a multi reporter's reporters = names it; remove it or name it");
	}
}

// Every instance is created once: the same one reached through two multi
// reporters would receive (and deliver) every profile twice.
void PluginFactory::enterInstance(const std::string& instanceName, const std::string& parent)
{
	std::string chain;
	for (const auto& name : _creating) chain += name + " -> ";
	for (const auto& name : _creating)
	{
		if (name == instanceName) throw ConfigException(_config.source + ": reporters form a cycle: " + chain + instanceName);
	}
	auto reached = _reachedFrom.find(instanceName);
	if (reached != _reachedFrom.end())
	{
		throw ConfigException(_config.source + ": [reporter." + instanceName + "] is reached twice, from " + reached->second +
			" and from " + parent + "; every profile would be delivered to it twice. Name each reporter instance once");
	}
	_reachedFrom[instanceName] = parent;
	_creating.push_back(instanceName);
}

SectionContext::ReporterFactory PluginFactory::childFactory(const std::string& parent, int depth)
{
	std::shared_ptr<ChildGate> gate = _children;
	return [gate, parent, depth](const std::string& child) {
		PluginFactory* factory = nullptr;
		{
			std::lock_guard<std::mutex> lock(gate->mutex);
			factory = gate->factory;
			if (!factory || std::chrono::steady_clock::now() >= factory->_deadline)
				throw PluginException("[reporter." + parent + "] cannot create reporter instance " + child +
					": the agent's start was given up at startTimeout");
			++gate->active;
		}
		struct Leave
		{
			ChildGate& gate;
			~Leave()
			{
				std::lock_guard<std::mutex> lock(gate.mutex);
				if (--gate.active == 0) gate.idle.notify_all();
			}
		} leave{*gate};
		return factory->createChild(child, parent, depth + 1);
	};
}

// A child of a composite reporter: its own lane; profiles arrive complete.
std::unique_ptr<sdk::Reporter> PluginFactory::createChild(const std::string& instanceName, const std::string& parent, int depth)
{
	if (depth > MAX_NESTING)
		throw ConfigException(_config.source + ": [reporter." + instanceName + "] reporters nest deeper than " +
			std::to_string(MAX_NESTING) + " levels (a cycle?)");
	Instance child = createReporter(instanceName, "[reporter." + parent + "]", depth);
	auto lane = std::make_shared<DeliveryLane>(instanceName, std::move(child.reporter), child.laneSettings);
	_lanes.push_back(lane);
	return std::unique_ptr<sdk::Reporter>(new LaneReporter(lane));
}

void PluginFactory::readLaneSettings(SectionContext& context, LaneSettings& settings)
{
	settings.queueCapacity = static_cast<std::size_t>(getInt(context, "queueCapacity", 16, 1, 100000));
	settings.retryInitialBackoff = getDuration(context, "retryInitialBackoff", settings.retryInitialBackoff);
	settings.retryMaxBackoff = getDuration(context, "retryMaxBackoff", settings.retryMaxBackoff);
	settings.retryMaxAttempts = static_cast<int>(getInt(context, "retryMaxAttempts", 8, 1, 1000));
	if (settings.retryInitialBackoff < Poco::Timespan(1000))
		throwBadValue(
			context, "retryInitialBackoff", sdk::ConfigValue::formatDuration(settings.retryInitialBackoff), "a duration of at least 1ms");
	if (settings.retryMaxBackoff < settings.retryInitialBackoff)
		throwBadValue(context, "retryMaxBackoff", sdk::ConfigValue::formatDuration(settings.retryMaxBackoff),
			"a duration not below retryInitialBackoff");
	settings.spoolDir = getString(context, "spoolDir", "");
	if (!settings.spoolDir.empty() && settings.spoolDir[0] != '/')
		throwBadValue(context, "spoolDir", settings.spoolDir, "an absolute directory path");
	settings.spoolMaxBytes = getSize(context, "spoolMaxBytes", settings.spoolMaxBytes);
	settings.spoolMaxAge = getDuration(context, "spoolMaxAge", settings.spoolMaxAge);
}

// Loads and configures one instance (its children too, through the context);
// start() comes later, in startReporters(), once the whole tree is known.
PluginFactory::Instance PluginFactory::createReporter(const std::string& instanceName, const std::string& parent, int depth)
{
	enterInstance(instanceName, parent);
	Section section = resolveSection("reporter", instanceName);
	Instance instance;
	std::string pluginPath = section.library.empty() ? _registry.pluginPath("reporter", section.type) : section.library;
	instance.laneSettings.pluginPath = pluginPath;
	instance.reporter = _registry.createReporter(section.type, section.library);

	auto context = std::make_shared<SectionContext>(
		_config.configuration, section.name, _config.source, "asprof.reporter." + instanceName, childFactory(instanceName, depth));
	context->markKnown("type");
	context->markKnown("library");
	callPlugin("reading the lane settings", pluginPath, [&]() { readLaneSettings(*context, instance.laneSettings); });
	sdk::Reporter* reporter = instance.reporter.get();
	bool abandoned = false;
	try
	{
		callPluginBefore(
			depth, "configure() of [" + section.name + "]", pluginPath, [reporter, context] { reporter->configure(*context); }, abandoned);
	}
	catch (...)
	{
		if (abandoned) static_cast<void>(instance.reporter.release()); // still in use by the abandoned call
		throw;
	}
	context->checkUnknownKeys();
	_pendingStarts.push_back(PendingStart{reporter, section.name, pluginPath});
	_creating.pop_back();
	return instance;
}

std::vector<MetadataResolver::Candidate> PluginFactory::createMetadataCandidates()
{
	std::vector<std::pair<std::string, bool>> names; // name, optional (from auto)
	for (const auto& name : _config.metadata)
	{
		if (name != "auto")
		{
			names.emplace_back(name, false);
			continue;
		}
		if (Poco::Environment::has("ECS_CONTAINER_METADATA_URI_V4")) names.emplace_back("ecs", true);
		names.emplace_back("ec2", true);
		names.emplace_back("onprem", true);
	}
	Poco::Logger& logger = Poco::Logger::get("asprof.agent");
	std::vector<MetadataResolver::Candidate> candidates;
	for (const auto& entry : names)
	{
		const std::string& name = entry.first;
		Poco::Util::AbstractConfiguration::Keys keys;
		_config.configuration->keys("metadata." + name, keys);
		if (entry.second && keys.empty() && !_registry.hasPlugin("metadata", name))
		{
			logger.debug("metadata %s: plugin not installed, skipped", name);
			continue;
		}
		try
		{
			Section section = resolveSection("metadata", name);
			std::string pluginPath = section.library.empty() ? _registry.pluginPath("metadata", section.type) : section.library;
			MetadataResolver::Candidate candidate{name, _registry.createMetadataProvider(section.type, section.library), {}};
			auto context = std::make_shared<SectionContext>(_config.configuration, section.name, _config.source, "asprof.metadata." + name);
			context->markKnown("type");
			context->markKnown("library");
			candidate.labels = context->readLabels();
			sdk::MetadataProvider* provider = candidate.provider.get();
			bool abandoned = false;
			try
			{
				callPluginBefore(
					0, "configure() of [" + section.name + "]", pluginPath, [provider, context] { provider->configure(*context); },
					abandoned);
			}
			catch (...)
			{
				if (abandoned) static_cast<void>(candidate.provider.release()); // still in use by the abandoned call
				throw;
			}
			context->checkUnknownKeys();
			candidates.push_back(std::move(candidate));
		}
		catch (ConfigException&)
		{
			throw; // a bad agent.ini stops everything, as anywhere else
		}
		catch (Poco::Exception& e)
		{
			logger.error("metadata %s disabled: %s", name, e.displayText());
		}
	}
	return candidates;
}

} // namespace agent
} // namespace asprof
