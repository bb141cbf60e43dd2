#include "asprof/agent/AgentConfig.h"
#include "IniText.h"
#include "ListenAddress.h"
#include "ProfilerArguments.h"
#include "SectionContext.h"
#include "SmallFile.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/NumberFormatter.h"
#include "Poco/RegularExpression.h"
#include "Poco/String.h"
#include "Poco/Util/IniFileConfiguration.h"
#include "Poco/Util/MapConfiguration.h"
#include "Poco/Util/XMLConfiguration.h"
#include "Poco/DOM/Attr.h"
#include "Poco/DOM/DOMParser.h"
#include "Poco/DOM/Document.h"
#include "Poco/DOM/Element.h"
#include "Poco/DOM/NamedNodeMap.h"
#include "Poco/SAX/XMLReader.h"
#include <sstream>

namespace asprof {
namespace agent {

namespace {

using Poco::Timespan;

const Timespan MIN_REPORTING_INTERVAL(100 * Timespan::MILLISECONDS);
const Timespan MAX_REPORTING_INTERVAL(24 * Timespan::HOURS);
const Timespan MAX_FLUSH_TIMEOUT(10 * Timespan::MINUTES);
const Timespan MIN_START_TIMEOUT(100 * Timespan::MILLISECONDS);

const std::size_t MAX_CONFIG_SIZE = 1024 * 1024;
const std::uint64_t MIN_RESTART_FILE_SIZE = 1024 * 1024;

void checkSectionNames(const Poco::Util::AbstractConfiguration& config, const std::string& source)
{
	Poco::Util::AbstractConfiguration::Keys top;
	config.keys(top);
	for (const auto& name : top)
	{
		if (name == "agent" || name == "profiler" || name == "endpoint") continue;
		if (name == "reporter" || name == "metadata")
		{
			Poco::Util::AbstractConfiguration::Keys instances;
			config.keys(name, instances);
			for (const auto& instance : instances)
			{
				Poco::Util::AbstractConfiguration::Keys keys;
				config.keys(name + "." + instance, keys);
				if (keys.empty())
					throw ConfigException(source + ": " + name + "." + instance + " is not a section; expected [" + name + "." + instance +
						"] with a type = key");
			}
			// (In XML an element with children is also a property; only a bare
			// top-level value without instances is a misplaced key.)
			if (instances.empty() && config.hasProperty(name))
				throw ConfigException(source + ": " + name + " = ... must be given in [agent], not as a top-level key");
			continue;
		}
		throw ConfigException(
			source + ": unknown section [" + name + "]; expected [agent], [profiler], [endpoint], [reporter.<name>] or [metadata.<name>]");
	}
}

void checkExtraArgs(SectionContext& section, const std::string& extraArgs)
{
	std::string refusal = ProfilerArguments::refusal(extraArgs);
	if (!refusal.empty()) throwBadValue(section, "extraArgs", extraArgs, refusal);
}

// A [metadata.X] section that [agent] metadata does not reach would never be
// read, let alone checked: a typo there would go unnoticed.
void checkMetadataSectionsUsed(const AgentConfig& result)
{
	Poco::Util::AbstractConfiguration::Keys instances;
	result.configuration->keys("metadata", instances);
	for (const auto& instance : instances)
	{
		bool used = false;
		for (const auto& name : result.metadata)
			used = used || name == instance || (name == "auto" && (instance == "ecs" || instance == "ec2" || instance == "onprem"));
		if (!used)
		{
			std::string list;
			for (const auto& name : result.metadata) list += (list.empty() ? "" : ", ") + name;
			throw ConfigException(result.source + ": unused section [metadata." + instance + "]: [agent] metadata = " + list +
				" does not name it (auto uses ecs, ec2 and onprem); remove it or add it to metadata =");
		}
	}
}

void readRotationKeys(SectionContext& section, RotationSettings& rotation)
{
	rotation.strategy = getChoice(section, "rotation", rotation.strategy, {"dump", "restart"});
	rotation.restartEvery = static_cast<int>(getInt(section, "restartEvery", rotation.restartEvery, 1, 100000));
	rotation.maxFileSize = getSize(section, "restartFileSize", rotation.maxFileSize);
	if (rotation.maxFileSize < MIN_RESTART_FILE_SIZE)
		throwBadValue(section, "restartFileSize", std::to_string(rotation.maxFileSize) + " bytes", "a size of at least 1MiB");
	rotation.maxProfilerMemory = getSize(section, "restartProfilerMemory", rotation.maxProfilerMemory);
}

void readAgentSection(AgentConfig& result)
{
	SectionContext section(result.configuration, "agent", result.source, "asprof.agent");
	result.library = getString(section, "library", result.library);
	if (result.library.empty() || (result.library.find('/') != std::string::npos && result.library[0] != '/'))
		throwBadValue(section, "library", result.library,
			"a library name (searched like dlopen, never in the current directory) or an absolute path");
	result.pluginDir = getString(section, "pluginDir", result.pluginDir);
	if (!result.pluginDir.empty() && result.pluginDir[0] != '/')
		throwBadValue(section, "pluginDir", result.pluginDir, "an absolute directory path");
	result.reportingInterval = getDuration(section, "reportingInterval", result.reportingInterval);
	if (result.reportingInterval < MIN_REPORTING_INTERVAL || result.reportingInterval > MAX_REPORTING_INTERVAL)
		throwBadValue(
			section, "reportingInterval", sdk::ConfigValue::formatDuration(result.reportingInterval), "a duration from 100ms to 24h");
	static const Poco::RegularExpression instanceName("^[A-Za-z0-9_-]+$");
	result.reporter = getString(section, "reporter", result.reporter);
	if (!instanceName.match(result.reporter))
		throwBadValue(section, "reporter", result.reporter, "the name of a [reporter.<name>] section or a reporter type");
	std::string metadata = getString(section, "metadata", "auto");
	result.metadata = sdk::ConfigValue::parseList(metadata);
	if (result.metadata.empty())
		throwBadValue(
			section, "metadata", metadata, "auto, or a list of [metadata.<name>] sections or metadata types (empty is not a list)");
	for (const auto& name : result.metadata)
	{
		if (!instanceName.match(name))
			throwBadValue(section, "metadata", metadata, "auto, or a list of [metadata.<name>] sections or metadata types");
	}
	result.labels = section.readLabels();
	result.flushTimeout = getDuration(section, "flushTimeout", result.flushTimeout);
	if (result.flushTimeout > MAX_FLUSH_TIMEOUT)
		throwBadValue(section, "flushTimeout", sdk::ConfigValue::formatDuration(result.flushTimeout), "a duration up to 10m");
	result.startTimeout = getDuration(section, "startTimeout", result.startTimeout);
	if (result.startTimeout < MIN_START_TIMEOUT || result.startTimeout > MAX_FLUSH_TIMEOUT)
		throwBadValue(section, "startTimeout", sdk::ConfigValue::formatDuration(result.startTimeout), "a duration from 100ms to 10m");
	result.tempDir = getString(section, "tempDir", result.tempDir);
	result.metadataTimeout = getDuration(section, "metadataTimeout", result.metadataTimeout);
	if (result.metadataTimeout > MAX_FLUSH_TIMEOUT)
		throwBadValue(section, "metadataTimeout", sdk::ConfigValue::formatDuration(result.metadataTimeout), "a duration up to 10m");
	result.statusLogInterval = getDuration(section, "statusLogInterval", result.statusLogInterval);
	if (result.statusLogInterval != Timespan(0) && result.statusLogInterval < Timespan(Timespan::SECONDS))
		throwBadValue(section, "statusLogInterval", sdk::ConfigValue::formatDuration(result.statusLogInterval),
			"0 (off) or a duration of at least 1s");
	readRotationKeys(section, result.rotation);
	section.checkUnknownKeys();
}

void readProfilerSection(AgentConfig& result)
{
	SectionContext section(result.configuration, "profiler", result.source, "asprof.agent");
	ProfilerSettings& profiler = result.profiler;
	profiler.event = getChoice(section, "event", profiler.event, {"cpu", "itimer", "ctimer"});
	profiler.cpuInterval = getDuration(section, "cpuInterval", profiler.cpuInterval);
	if (profiler.cpuInterval < Timespan(100) || profiler.cpuInterval > Timespan(60 * Timespan::SECONDS))
		throwBadValue(section, "cpuInterval", sdk::ConfigValue::formatDuration(profiler.cpuInterval), "a duration from 100us to 60s");
	profiler.wallInterval = getDuration(section, "wallInterval", profiler.wallInterval);
	// async-profiler takes wall= in whole milliseconds.
	if (profiler.wallInterval != Timespan(0) &&
		(profiler.wallInterval < Timespan(Timespan::MILLISECONDS) || profiler.wallInterval > Timespan(60 * Timespan::SECONDS) ||
			profiler.wallInterval.totalMicroseconds() % 1000 != 0))
		throwBadValue(section, "wallInterval", sdk::ConfigValue::formatDuration(profiler.wallInterval),
			"0 (off) or a whole number of milliseconds from 1ms to 60s");
	profiler.cstack = getChoice(section, "cstack", profiler.cstack, {"dwarf", "fp", "lbr", "vm", "vmx", "no"});
	profiler.nativeMem = getString(section, "nativeMem", profiler.nativeMem);
	static const Poco::RegularExpression nativeMem("^[0-9]+[kKmMgG]?$");
	if (!profiler.nativeMem.empty() && !nativeMem.match(profiler.nativeMem))
		throwBadValue(
			section, "nativeMem", profiler.nativeMem, "empty (off) or an allocation sampling interval in bytes such as 0, 512k or 10m");
	profiler.extraArgs = getString(section, "extraArgs", profiler.extraArgs);
	checkExtraArgs(section, profiler.extraArgs);
	section.checkUnknownKeys();
}

void readEndpointSection(AgentConfig& result)
{
	SectionContext section(result.configuration, "endpoint", result.source, "asprof.agent");
	EndpointSettings& endpoint = result.endpoint;
	endpoint.listen = getString(section, "listen", endpoint.listen);
	endpoint.allowRemote = getBool(section, "allowRemote", endpoint.allowRemote);
	endpoint.token = getSecret(section, "token");
	endpoint.tokenFile = getString(section, "tokenFile", endpoint.tokenFile);
	if (!endpoint.token.empty() && !endpoint.tokenFile.empty())
		throwBadValue(section, "tokenFile", endpoint.tokenFile, "token = or tokenFile =, not both");
	if (!endpoint.tokenFile.empty() && endpoint.tokenFile[0] != '/')
		throwBadValue(section, "tokenFile", endpoint.tokenFile, "an absolute file path");
	endpoint.maxSeconds = static_cast<int>(getInt(section, "maxSeconds", endpoint.maxSeconds, 1, 3600));
	endpoint.threads = static_cast<int>(getInt(section, "threads", endpoint.threads, 2, 64));
	endpoint.requestTimeout = getDuration(section, "requestTimeout", endpoint.requestTimeout);
	if (endpoint.requestTimeout < Timespan(100 * Timespan::MILLISECONDS) || endpoint.requestTimeout > Timespan(10 * Timespan::MINUTES))
		throwBadValue(section, "requestTimeout", sdk::ConfigValue::formatDuration(endpoint.requestTimeout), "a duration from 100ms to 10m");
	endpoint.heapMaxAllocations = static_cast<std::size_t>(
		getInt(section, "heapMaxAllocations", static_cast<std::int64_t>(endpoint.heapMaxAllocations), 1, 100000000));
	section.checkUnknownKeys();
	if (endpoint.listen.empty()) return;
	Poco::Net::SocketAddress address;
	try
	{
		address = parseListenAddress(endpoint.listen);
	}
	catch (Poco::InvalidArgumentException& e)
	{
		throwBadValue(section, "listen", endpoint.listen,
			"empty (off) or host:port with an IP address or localhost, e.g. 127.0.0.1:6060 (" + e.message() + ")");
	}
	if (!endpoint.allowRemote && !isLoopback(address))
		throwBadValue(section, "listen", endpoint.listen,
			"a loopback address (127.0.0.1, [::1], localhost): the endpoint serves profiles "
			"of this process; to listen on other interfaces set allowRemote = yes (and a token)");
}

std::string readConfigFile(const std::string& path)
{
	std::string problem;
	std::string text = readSmallFile(path, MAX_CONFIG_SIZE, "1 MiB", problem);
	if (!problem.empty()) throw ConfigException("cannot read agent configuration " + path + ": " + problem);
	return text;
}

// XMLConfiguration ignores the root element's name and turns attributes into
// keys the agent never reads: both would pass silently.
void checkXmlElement(const Poco::XML::Element& element, const std::string& sourceName)
{
	if (element.hasAttributes())
	{
		const Poco::XML::Attr* attribute = static_cast<const Poco::XML::Attr*>(element.attributes()->item(0));
		throw ConfigException(sourceName + ": <" + element.nodeName() + "> has the attribute " + attribute->nodeName() +
			"; the agent reads elements only (write <" + attribute->nodeName() + ">...</" + attribute->nodeName() + "> inside it)");
	}
	for (Poco::XML::Node* child = element.firstChild(); child; child = child->nextSibling())
	{
		if (child->nodeType() == Poco::XML::Node::ELEMENT_NODE) checkXmlElement(static_cast<const Poco::XML::Element&>(*child), sourceName);
	}
}

void checkXmlShape(const Poco::XML::Document& document, const std::string& sourceName)
{
	const Poco::XML::Element* root = document.documentElement();
	if (!root || root->nodeName() != "asprof")
		throw ConfigException(sourceName + ": the root element is <" + (root ? root->nodeName() : std::string()) + ">; expected <asprof>");
	checkXmlElement(*root, sourceName);
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
	std::string text = readConfigFile(path);
	bool xml = Poco::endsWith(Poco::toLower(path), std::string(".xml"));
	AgentConfig config = xml ? fromXml(text, path) : fromIni(text, path);
	Poco::Util::AbstractConfiguration::Keys top;
	config.configuration->keys(top);
	// An INI section without keys ("[agent]" alone) is no key to Poco, but it
	// is a deliberate choice of the defaults.
	if (xml ? top.empty() : Poco::trim(IniText::prepare(text, path)).empty())
		throw ConfigException(path +
			": the configuration file is empty (no section, no key); refusing to run on the built-in "
			"defaults unasked. Write at least an [agent] section (see etc/agent.ini)");
	return config;
}

AgentConfig AgentConfig::fromIni(const std::string& text, const std::string& sourceName)
{
	Poco::AutoPtr<Poco::Util::IniFileConfiguration> config;
	std::istringstream in(IniText::prepare(text, sourceName));
	try
	{
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
			throw ConfigException(sourceName + ": " + key + " = " + config->getRawString(key) +
				" is outside any section; put it under [agent] or [profiler]");
	}
	return fromConfiguration(config, sourceName);
}

AgentConfig AgentConfig::fromXml(const std::string& text, const std::string& sourceName)
{
	Poco::AutoPtr<Poco::XML::Document> document;
	try
	{
		// As XMLConfiguration(std::istream&) parses, but kept for the checks.
		Poco::XML::DOMParser parser;
		parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, false);
		parser.setFeature(Poco::XML::DOMParser::FEATURE_FILTER_WHITESPACE, true);
		document = parser.parseString(text);
	}
	catch (Poco::Exception& e)
	{
		throw ConfigException(sourceName + ": not a valid XML file: " + e.displayText());
	}
	checkXmlShape(*document, sourceName);
	Poco::AutoPtr<Poco::Util::XMLConfiguration> config;
	try
	{
		config = new Poco::Util::XMLConfiguration(document);
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
		checkMetadataSectionsUsed(result);
		readProfilerSection(result);
		readEndpointSection(result);
		return result;
	});
}

} // namespace agent
} // namespace asprof
