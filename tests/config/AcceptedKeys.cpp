#include "AcceptedKeys.h"
#include "PluginFactory.h"
#include "PluginRegistry.h"
#include "TestSupport.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/agent/Exception.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/Mutex.h"
#include "Poco/RegularExpression.h"
#include "Poco/String.h"
#include "Poco/Util/MapConfiguration.h"
#include <vector>

namespace asprof {
namespace test {

namespace {

using Settings = std::vector<std::pair<std::string, std::string>>; // root key, value ({dir}: a scratch directory)

const std::string PROBE_URL = "http://127.0.0.1:9/docs-probe";

// What each plugin type needs to get through configure(): its required keys.
// A key read only in some mode gets a probe per mode (the http formats), so
// that every key any mode reads is seen. A type missing here is probed with
// its type alone; if that is refused, the test says so: add it here.
const std::map<AcceptedKeys::PluginType, std::vector<Settings>> PROBES = {
	{{"reporter", "local"}, {{{"reporter.probe.directory", "{dir}"}}}},
	{{"reporter", "multi"},
		{{{"reporter.probe.reporters", "probechild"}, {"reporter.probechild.type", "local"}, {"reporter.probechild.directory", "{dir}"}}}},
	{{"reporter", "s3"}, {{{"reporter.probe.bucket", "docs-probe"}}}},
	{{"reporter", "http"},
		{{{"reporter.probe.url", PROBE_URL}, {"reporter.probe.appName", "probe"}},
			{{"reporter.probe.url", PROBE_URL}, {"reporter.probe.format", "pyroscope-jfr"}, {"reporter.probe.appName", "probe"}},
			{{"reporter.probe.url", PROBE_URL}, {"reporter.probe.format", "pprof"}},
			{{"reporter.probe.url", PROBE_URL}, {"reporter.probe.format", "raw"}},
			{{"reporter.probe.url", PROBE_URL}, {"reporter.probe.format", "zip"}}}},
};

/// The root configuration of a probe: remembers every key read (present
/// or not) and every key enumerated, whoever asked.
class RecordingConfiguration: public Poco::Util::MapConfiguration
{
public:
	SectionKeys section(const std::string& name) const
	{
		Poco::FastMutex::ScopedLock lock(_recordMutex);
		const std::string prefix = name + ".";
		SectionKeys result;
		for (const auto& key : _read)
		{
			if (key.size() > prefix.size() && Poco::startsWith(key, prefix)) result.keys.insert(key.substr(prefix.size()));
		}
		for (const auto& key : _enumerated)
		{
			// The agent's unknown-key check enumerates below every key the
			// section holds; only an enumeration below no value is a family.
			std::string value;
			if (key.size() > prefix.size() && Poco::startsWith(key, prefix) && !MapConfiguration::getRaw(key, value))
				result.prefixes.insert(key.substr(prefix.size()));
		}
		return result;
	}

	std::set<std::string> sectionsRead() const
	{
		Poco::FastMutex::ScopedLock lock(_recordMutex);
		std::set<std::string> sections;
		for (const auto& key : _read)
		{
			if (key.find('.') != std::string::npos) sections.insert(key.substr(0, key.find('.')));
		}
		return sections;
	}

protected:
	bool getRaw(const std::string& key, std::string& value) const override
	{
		{
			Poco::FastMutex::ScopedLock lock(_recordMutex);
			_read.insert(key);
		}
		return MapConfiguration::getRaw(key, value);
	}

	void enumerate(const std::string& key, Keys& range) const override
	{
		{
			Poco::FastMutex::ScopedLock lock(_recordMutex);
			_enumerated.insert(key);
		}
		MapConfiguration::enumerate(key, range);
	}

private:
	mutable Poco::FastMutex _recordMutex;
	mutable std::set<std::string> _read;
	mutable std::set<std::string> _enumerated;
};

// [agent] <kind> = probe, and [<kind>.probe] of the type, configured as the agent does.
SectionKeys readsOf(
	const std::string& kind, const std::string& type, const Settings& settings, const std::string& pluginDir, bool refusalExpected = false)
{
	TemporaryDirectory scratch;
	Poco::AutoPtr<RecordingConfiguration> root(new RecordingConfiguration);
	root->setString("agent." + kind, "probe");
	root->setString(kind + ".probe.type", type);
	for (const auto& setting : settings)
		root->setString(setting.first, Poco::replace(setting.second, std::string("{dir}"), scratch.path()));
	agent::AgentConfig config = agent::AgentConfig::fromConfiguration(root, "docs probe of " + kind + " type " + type);
	agent::PluginRegistry registry(pluginDir);
	agent::PluginFactory factory(config, registry);
	try
	{
		if (kind == "reporter")
			factory.buildLanes("probe", nullptr);
		else if (factory.createMetadataCandidates().empty())
			throw Poco::IllegalStateException(
				"docs probe: metadata type " + type + " was not configured (ASPROF_TEST_VERBOSE=1 shows why)");
	}
	catch (agent::PluginException&)
	{
		if (!refusalExpected) throw;
	}
	return root->section(kind + ".probe");
}

// A test plugin that reads nothing of its own: what was read is the agent's
// share. The throwing reporter refuses in configure(), after the agent read
// the delivery keys and before anyone checks for unknown keys.
SectionKeys agentShareOf(const std::string& kind, const std::string& testPluginDir)
{
	return readsOf(kind, kind == "reporter" ? "throwing" : "failing", {}, testPluginDir, kind == "reporter");
}

std::vector<AcceptedKeys::PluginType> builtPluginTypes(const std::string& pluginDir)
{
	static const Poco::RegularExpression pluginFile("^libasprof-(reporter|metadata)-([A-Za-z0-9_-]+)\\.so$");
	std::vector<AcceptedKeys::PluginType> types;
	for (Poco::DirectoryIterator it(pluginDir), end; it != end; ++it)
	{
		std::vector<std::string> match;
		if (pluginFile.split(it.name(), match)) types.emplace_back(match[1], match[2]);
	}
	return types;
}

} // namespace

bool SectionKeys::accepts(const std::string& key) const
{
	if (keys.count(key)) return true;
	for (const auto& prefix : prefixes)
	{
		if (key.size() > prefix.size() + 1 && Poco::startsWith(key, prefix + ".")) return true;
	}
	return false;
}

AcceptedKeys AcceptedKeys::probe(const std::string& pluginDir, const std::string& testPluginDir)
{
	AcceptedKeys result;
	Poco::AutoPtr<RecordingConfiguration> defaults(new RecordingConfiguration);
	agent::AgentConfig::fromConfiguration(defaults, "docs probe of the agent's sections");
	// Every section the agent reads apart from the instances: [agent], [profiler], ...
	for (const auto& section : defaults->sectionsRead())
	{
		if (section != "reporter" && section != "metadata") result.fixedSections[section] = defaults->section(section);
	}
	for (const char* kind : {"reporter", "metadata"}) result.agentShare[kind] = agentShareOf(kind, testPluginDir);
	for (const auto& type : builtPluginTypes(pluginDir))
	{
		auto probes = PROBES.find(type);
		SectionKeys own;
		for (const auto& settings : probes == PROBES.end() ? std::vector<Settings>{Settings()} : probes->second)
		{
			SectionKeys reads;
			try
			{
				reads = readsOf(type.first, type.second, settings, pluginDir);
			}
			catch (Poco::Exception& e)
			{
				throw Poco::IllegalStateException("the probe of " + type.first + " type " + type.second +
					" was refused (give it the keys it requires in PROBES, tests/config/AcceptedKeys.cpp): " + e.displayText());
			}
			for (const auto& key : reads.keys)
			{
				if (!result.agentShare[type.first].keys.count(key)) own.keys.insert(key);
			}
			own.prefixes.insert(reads.prefixes.begin(), reads.prefixes.end());
		}
		result.plugins[type] = own;
	}
	return result;
}

} // namespace test
} // namespace asprof
