#include "asprof/agent/AgentConfig.h"
#include "SectionContext.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/File.h"
#include "Poco/FileStream.h"
#include "Poco/StreamCopier.h"
#include "Poco/RegularExpression.h"
#include "Poco/String.h"
#include "Poco/Util/IniFileConfiguration.h"
#include "Poco/Util/MapConfiguration.h"
#include "Poco/Util/XMLConfiguration.h"
#include <sstream>

namespace asprof {
namespace agent {

namespace {

using Poco::Timespan;

const Timespan MIN_REPORTING_INTERVAL(100 * Timespan::MILLISECONDS);
const Timespan MAX_REPORTING_INTERVAL(24 * Timespan::HOURS);
const Timespan MAX_FLUSH_TIMEOUT(10 * Timespan::MINUTES);

// Arguments that the agent sets itself, or that would break the rotation.
const char* const RESERVED_ARGS[] = {"start", "resume", "stop", "dump", "check", "status", "meminfo", "list",
	"version", "file", "log", "loglevel", "quiet", "event", "interval", "wall", "cstack", "nativemem", "jfr",
	"collapsed", "flamegraph", "tree", "flat", "traces", "summary", "otlp", "loop", "timeout", "chunksize",
	"chunktime"};

// Poco's INI parser keeps everything after '=' as the value; strip inline
// comments (a ';' or '#' after whitespace) and '#' full-line comments so the
// documented agent.ini style works.
std::string stripIniComments(const std::string& text)
{
	std::istringstream in(text);
	std::string out;
	std::string line;
	while (std::getline(in, line))
	{
		std::string trimmed = Poco::trimLeft(line);
		if (!trimmed.empty() && trimmed[0] == '#') line.clear();
		for (std::size_t i = 1; i < line.size(); ++i)
		{
			if ((line[i] == ';' || line[i] == '#') && (line[i - 1] == ' ' || line[i - 1] == '\t'))
			{
				line.erase(i);
				break;
			}
		}
		out += line;
		out += '\n';
	}
	return out;
}

void checkSectionNames(const Poco::Util::AbstractConfiguration& config, const std::string& source)
{
	Poco::Util::AbstractConfiguration::Keys top;
	config.keys(top);
	for (const auto& name : top)
	{
		if (name == "agent" || name == "profiler") continue;
		if (name == "reporter" || name == "metadata")
		{
			Poco::Util::AbstractConfiguration::Keys instances;
			config.keys(name, instances);
			for (const auto& instance : instances)
			{
				Poco::Util::AbstractConfiguration::Keys keys;
				config.keys(name + "." + instance, keys);
				if (keys.empty())
					throw ConfigException(source + ": " + name + "." + instance + " is not a section; expected [" + name + "." + instance + "] with a type = key");
			}
			// (In XML an element with children is also a property; only a bare
			// top-level value without instances is a misplaced key.)
			if (instances.empty() && config.hasProperty(name))
				throw ConfigException(source + ": " + name + " = ... must be given in [agent], not as a top-level key");
			continue;
		}
		throw ConfigException(source + ": unknown section [" + name + "]; expected [agent], [profiler], [reporter.<name>] or [metadata.<name>]");
	}
}

void checkExtraArgs(SectionContext& section, const std::string& extraArgs)
{
	static const Poco::RegularExpression argument("^[A-Za-z][A-Za-z0-9_]*(=[A-Za-z0-9_.:/+*%@-]*)?$");
	for (const auto& item : sdk::ConfigValue::parseList(extraArgs))
	{
		if (!argument.match(item))
			section.throwBadValue("extraArgs", extraArgs, "async-profiler arguments such as alloc=2m,threads (\"" + item + "\" is not one)");
		std::string name = item.substr(0, item.find('='));
		for (const char* reserved : RESERVED_ARGS)
		{
			if (name == reserved)
				section.throwBadValue("extraArgs", extraArgs, "no " + name + " (the agent sets it, or it breaks the rotation; use the [profiler] keys)");
		}
	}
}

void readAgentSection(AgentConfig& result)
{
	SectionContext section(result.configuration, "agent", result.source, "asprof.agent");
	result.library = section.getString("library", result.library);
	if (result.library.empty() || (result.library.find('/') != std::string::npos && result.library[0] != '/'))
		section.throwBadValue("library", result.library, "a library name (searched like dlopen, never in the current directory) or an absolute path");
	result.pluginDir = section.getString("pluginDir", result.pluginDir);
	if (!result.pluginDir.empty() && result.pluginDir[0] != '/')
		section.throwBadValue("pluginDir", result.pluginDir, "an absolute directory path");
	result.reportingInterval = section.getDuration("reportingInterval", result.reportingInterval);
	if (result.reportingInterval < MIN_REPORTING_INTERVAL || result.reportingInterval > MAX_REPORTING_INTERVAL)
		section.throwBadValue("reportingInterval", sdk::ConfigValue::formatDuration(result.reportingInterval), "a duration from 100ms to 24h");
	static const Poco::RegularExpression instanceName("^[A-Za-z0-9_-]+$");
	result.reporter = section.getString("reporter", result.reporter);
	if (!instanceName.match(result.reporter))
		section.throwBadValue("reporter", result.reporter, "the name of a [reporter.<name>] section or a reporter type");
	std::string metadata = section.getString("metadata", "auto");
	result.metadata = sdk::ConfigValue::parseList(metadata);
	for (const auto& name : result.metadata)
	{
		if (!instanceName.match(name))
			section.throwBadValue("metadata", metadata, "auto, or a list of [metadata.<name>] sections or metadata types");
	}
	if (result.metadata.empty()) result.metadata.push_back("auto");
	result.labels = section.getKeyValueList("labels");
	result.flushTimeout = section.getDuration("flushTimeout", result.flushTimeout);
	if (result.flushTimeout > MAX_FLUSH_TIMEOUT)
		section.throwBadValue("flushTimeout", sdk::ConfigValue::formatDuration(result.flushTimeout), "a duration up to 10m");
	result.tempDir = section.getString("tempDir", result.tempDir);
	result.statusLogInterval = section.getDuration("statusLogInterval", result.statusLogInterval);
	if (result.statusLogInterval != Timespan(0) && result.statusLogInterval < Timespan(Timespan::SECONDS))
		section.throwBadValue("statusLogInterval", sdk::ConfigValue::formatDuration(result.statusLogInterval), "0 (off) or a duration of at least 1s");
	section.checkUnknownKeys();
}

void readProfilerSection(AgentConfig& result)
{
	SectionContext section(result.configuration, "profiler", result.source, "asprof.agent");
	ProfilerSettings& profiler = result.profiler;
	profiler.event = section.getChoice("event", profiler.event, {"cpu", "itimer", "ctimer"});
	profiler.cpuInterval = section.getDuration("cpuInterval", profiler.cpuInterval);
	if (profiler.cpuInterval < Timespan(100) || profiler.cpuInterval > Timespan(60 * Timespan::SECONDS))
		section.throwBadValue("cpuInterval", sdk::ConfigValue::formatDuration(profiler.cpuInterval), "a duration from 100us to 60s");
	profiler.wallInterval = section.getDuration("wallInterval", profiler.wallInterval);
	// async-profiler takes wall= in whole milliseconds.
	if (profiler.wallInterval != Timespan(0) && (profiler.wallInterval < Timespan(Timespan::MILLISECONDS) ||
		profiler.wallInterval > Timespan(60 * Timespan::SECONDS) || profiler.wallInterval.totalMicroseconds() % 1000 != 0))
		section.throwBadValue("wallInterval", sdk::ConfigValue::formatDuration(profiler.wallInterval), "0 (off) or a whole number of milliseconds from 1ms to 60s");
	profiler.cstack = section.getChoice("cstack", profiler.cstack, {"dwarf", "fp", "lbr", "vm", "vmx", "no"});
	profiler.nativeMem = section.getString("nativeMem", profiler.nativeMem);
	static const Poco::RegularExpression nativeMem("^[0-9]+[kKmMgG]?$");
	if (!profiler.nativeMem.empty() && !nativeMem.match(profiler.nativeMem))
		section.throwBadValue("nativeMem", profiler.nativeMem, "empty (off) or an allocation sampling interval in bytes such as 0, 512k or 10m");
	profiler.extraArgs = section.getString("extraArgs", profiler.extraArgs);
	checkExtraArgs(section, profiler.extraArgs);
	section.checkUnknownKeys();
}

// The SDK getters throw InvalidArgumentException; the public API promises ConfigException.
template <class Function>
auto asConfigError(Function function) -> decltype(function())
{
	try
	{
		return function();
	}
	catch (ConfigException&)
	{
		throw;
	}
	catch (Poco::InvalidArgumentException& e)
	{
		throw ConfigException(e.message());
	}
}

} // namespace

AgentConfig AgentConfig::defaults()
{
	return fromConfiguration(new Poco::Util::MapConfiguration, "<built-in defaults>");
}

AgentConfig AgentConfig::load(const std::string& path)
{
	std::string text;
	try
	{
		if (Poco::File(path).isDirectory()) throw Poco::OpenFileException("it is a directory", path);
		Poco::FileInputStream in(path);
		Poco::StreamCopier::copyToString(in, text);
		if (in.bad()) throw Poco::ReadFileException(path);
	}
	catch (Poco::Exception& e)
	{
		throw ConfigException("cannot read agent configuration " + path + ": " + e.displayText());
	}
	if (Poco::endsWith(Poco::toLower(path), std::string(".xml"))) return fromXml(text, path);
	return fromIni(text, path);
}

AgentConfig AgentConfig::fromIni(const std::string& text, const std::string& sourceName)
{
	Poco::AutoPtr<Poco::Util::IniFileConfiguration> config;
	try
	{
		std::istringstream in(stripIniComments(text));
		config = new Poco::Util::IniFileConfiguration(in);
	}
	catch (Poco::Exception& e)
	{
		throw ConfigException(sourceName + ": not a valid INI file: " + e.displayText());
	}
	// In INI, sections are not properties: a top-level property is a key
	// written before any [section].
	Poco::Util::AbstractConfiguration::Keys top;
	config->keys(top);
	for (const auto& key : top)
	{
		if (config->hasProperty(key))
			throw ConfigException(sourceName + ": " + key + " = " + config->getRawString(key) + " is outside any section; put it under [agent] or [profiler]");
	}
	return fromConfiguration(config, sourceName);
}

AgentConfig AgentConfig::fromXml(const std::string& text, const std::string& sourceName)
{
	Poco::AutoPtr<Poco::Util::XMLConfiguration> config;
	try
	{
		std::istringstream in(text);
		config = new Poco::Util::XMLConfiguration(in);
	}
	catch (Poco::Exception& e)
	{
		throw ConfigException(sourceName + ": not a valid XML file: " + e.displayText());
	}
	return fromConfiguration(config, sourceName);
}

AgentConfig AgentConfig::fromConfiguration(Poco::AutoPtr<Poco::Util::AbstractConfiguration> config, const std::string& sourceName)
{
	return asConfigError([&]() {
		AgentConfig result;
		result.source = sourceName;
		result.configuration = config;
		checkSectionNames(*config, sourceName);
		readAgentSection(result);
		readProfilerSection(result);
		return result;
	});
}

} } // namespace asprof::agent
