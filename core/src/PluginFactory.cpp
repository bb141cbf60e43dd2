#include "PluginFactory.h"
#include "LaneReporter.h"
#include "PluginBoundary.h"
#include "PluginRegistry.h"
#include "SectionContext.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/Environment.h"
#include "Poco/Logger.h"

namespace asprof {
namespace agent {

namespace {

const int MAX_NESTING = 4;

// Runs a plugin call so that no exception of any type escapes unexplained.
template <class Function>
void callPlugin(const std::string& what, const std::string& pluginPath, Function function)
{
	try
	{
		function();
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

} // namespace

PluginFactory::PluginFactory(const AgentConfig& config, PluginRegistry& registry):
	_config(config),
	_registry(registry)
{
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
			throw ConfigException(_config.source + ": [agent] names " + kind + " '" + instanceName + "', but there is no [" +
				section.name + "] section and no " + kind + " plugin of that type (" + _registry.pluginPath(kind, instanceName) + ")");
		}
		section.type = instanceName;
		return section;
	}
	section.type = _config.configuration->getString(section.name + ".type", "");
	if (section.type.empty())
	{
		throw ConfigException(_config.source + ": [" + section.name + "] type is required but not set; expected the plugin type, e.g. type = " +
			(kind == "reporter" ? "local" : "onprem"));
	}
	section.library = _config.configuration->getString(section.name + ".library", "");
	if (!section.library.empty() && section.library[0] != '/')
		throw ConfigException(_config.source + ": [" + section.name + "] library = " + section.library + ": expected an absolute path");
	return section;
}

std::vector<std::shared_ptr<DeliveryLane>> PluginFactory::buildLanes(const std::string& instanceName,
	std::shared_ptr<const ProfileAssembler> assembler)
{
	_lanes.clear();
	Instance top = createReporter(instanceName, 0);
	_lanes.push_back(std::make_shared<DeliveryLane>(instanceName, std::move(top.reporter), top.laneSettings, std::move(assembler)));
	return std::move(_lanes);
}

// A child of a composite reporter: its own lane; profiles arrive complete.
std::unique_ptr<sdk::Reporter> PluginFactory::createChild(const std::string& instanceName, int depth)
{
	if (depth > MAX_NESTING)
		throw ConfigException(_config.source + ": [reporter." + instanceName + "] reporters nest deeper than " + std::to_string(MAX_NESTING) + " levels (a cycle?)");
	Instance child = createReporter(instanceName, depth);
	auto lane = std::make_shared<DeliveryLane>(instanceName, std::move(child.reporter), child.laneSettings);
	_lanes.push_back(lane);
	return std::unique_ptr<sdk::Reporter>(new LaneReporter(lane));
}

PluginFactory::Instance PluginFactory::createReporter(const std::string& instanceName, int depth)
{
	Section section = resolveSection("reporter", instanceName);
	Instance instance;
	std::string pluginPath = section.library.empty() ? _registry.pluginPath("reporter", section.type) : section.library;
	instance.laneSettings.pluginPath = pluginPath;
	instance.reporter = _registry.createReporter(section.type, section.library);

	SectionContext context(_config.configuration, section.name, _config.source, "asprof.reporter." + instanceName,
		[this, depth](const std::string& child) { return createChild(child, depth + 1); });
	context.markKnown("type");
	context.markKnown("library");
	callPlugin("reading the lane settings", pluginPath, [&]() {
		instance.laneSettings.queueCapacity = static_cast<std::size_t>(context.getInt("queueCapacity", 16, 1, 100000));
		instance.laneSettings.retryInitialBackoff = context.getDuration("retryInitialBackoff", instance.laneSettings.retryInitialBackoff);
		instance.laneSettings.retryMaxBackoff = context.getDuration("retryMaxBackoff", instance.laneSettings.retryMaxBackoff);
		instance.laneSettings.retryMaxAttempts = static_cast<int>(context.getInt("retryMaxAttempts", 8, 1, 1000));
		if (instance.laneSettings.retryInitialBackoff < Poco::Timespan(1000))
			context.throwBadValue("retryInitialBackoff", sdk::ConfigValue::formatDuration(instance.laneSettings.retryInitialBackoff),
				"a duration of at least 1ms");
		if (instance.laneSettings.retryMaxBackoff < instance.laneSettings.retryInitialBackoff)
			context.throwBadValue("retryMaxBackoff", sdk::ConfigValue::formatDuration(instance.laneSettings.retryMaxBackoff),
				"a duration not below retryInitialBackoff");
		instance.laneSettings.spoolDir = context.getString("spoolDir", "");
		if (!instance.laneSettings.spoolDir.empty() && instance.laneSettings.spoolDir[0] != '/')
			context.throwBadValue("spoolDir", instance.laneSettings.spoolDir, "an absolute directory path");
		instance.laneSettings.spoolMaxBytes = context.getSize("spoolMaxBytes", instance.laneSettings.spoolMaxBytes);
		instance.laneSettings.spoolMaxAge = context.getDuration("spoolMaxAge", instance.laneSettings.spoolMaxAge);
	});
	callPlugin("configure of [" + section.name + "]", pluginPath, [&]() { instance.reporter->configure(context); });
	context.checkUnknownKeys();
	callPlugin("start of [" + section.name + "]", pluginPath, [&]() { instance.reporter->start(); });
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
			MetadataResolver::Candidate candidate{name, _registry.createMetadataProvider(section.type, section.library)};
			SectionContext context(_config.configuration, section.name, _config.source, "asprof.metadata." + name);
			context.markKnown("type");
			context.markKnown("library");
			callPlugin("configure of [" + section.name + "]", pluginPath, [&]() { candidate.provider->configure(context); });
			context.checkUnknownKeys();
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

} } // namespace asprof::agent
