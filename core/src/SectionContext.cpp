#include "SectionContext.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/ConfigValue.h"
#include "asprof/sdk/Reporter.h"
#include "asprof/sdk/Version.h"
#include "Poco/Logger.h"

namespace asprof {
namespace agent {

SectionContext::SectionContext(Poco::AutoPtr<Poco::Util::AbstractConfiguration> root, const std::string& section, const std::string& source,
	const std::string& loggerName, ReporterFactory reporterFactory):
	_config(new TrackingConfiguration(root, section)),
	_section(section),
	_instance(section.substr(section.find('.') == std::string::npos ? 0 : section.find('.') + 1)),
	_source(source),
	_logger(Poco::Logger::get(loggerName)),
	_reporterFactory(std::move(reporterFactory))
{
}

const std::string& SectionContext::instanceName() const
{
	return _instance;
}

const std::string& SectionContext::sectionName() const
{
	return _section;
}

const std::string& SectionContext::configSource() const
{
	return _source;
}

const Poco::Util::AbstractConfiguration& SectionContext::config() const
{
	return *_config;
}

Poco::Logger& SectionContext::logger() const
{
	return _logger;
}

std::unique_ptr<sdk::Reporter> SectionContext::createReporter(const std::string& instanceName) const
{
	if (!_reporterFactory)
		throw PluginException("[" + _section + "] cannot create reporter instance " + instanceName + ": not supported here");
	return _reporterFactory(instanceName);
}

std::string SectionContext::agentVersion() const
{
	return ASPROF_VERSION_STRING;
}

sdk::KeyValueList SectionContext::readLabels() const
{
	sdk::KeyValueList labels = getKeyValueList(*this, "labels");
	for (const auto& label : labels)
	{
		if (sdk::ConfigValue::hasControlCharacter(label.first) || sdk::ConfigValue::hasControlCharacter(label.second))
			throwBadValue(*this, "labels", getString(*this, "labels", ""), "labels without control characters (CR, LF, tab, ...)");
	}
	return labels;
}

void SectionContext::markKnown(const std::string& key)
{
	_config->markKnown(key);
}

void SectionContext::checkUnknownKeys() const
{
	for (const auto& key : _config->unknownKeys())
	{
		std::string message = _source + ": [" + _section + "] unknown key " + key;
		std::string suggestion = _config->suggestion(key);
		if (!suggestion.empty())
			message += " (did you mean " + suggestion + "?)";
		else
			message += "; known keys: " + _config->knownKeys();
		throw ConfigException(message);
	}
}

} // namespace agent
} // namespace asprof
