#include "asprof/sdk/PluginContext.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/Exception.h"
#include "Poco/NumberParser.h"
#include "Poco/Util/AbstractConfiguration.h"

namespace asprof {
namespace sdk {

PluginContext::~PluginContext() = default;

void PluginContext::throwBadValue(const std::string& key, const std::string& value, const std::string& expected)
{
	throw Poco::InvalidArgumentException(
		configSource() + ": [" + sectionName() + "] " + key + " = " + value + ": expected " + expected);
}

std::string PluginContext::getString(const std::string& key, const std::string& defaultValue)
{
	return config().getString(key, defaultValue);
}

std::string PluginContext::getRequiredString(const std::string& key)
{
	std::string value = config().getString(key, "");
	if (value.empty())
	{
		throw Poco::InvalidArgumentException(
			configSource() + ": [" + sectionName() + "] " + key + " is required but not set");
	}
	return value;
}

std::string PluginContext::getChoice(const std::string& key, const std::string& defaultValue, std::initializer_list<const char*> choices)
{
	std::string value = config().getString(key, defaultValue);
	std::string expected;
	for (const char* choice : choices)
	{
		if (value == choice) return value;
		expected += expected.empty() ? "" : " | ";
		expected += choice;
	}
	throwBadValue(key, value, "one of " + expected);
}

std::int64_t PluginContext::getInt(const std::string& key, std::int64_t defaultValue, std::int64_t min, std::int64_t max)
{
	if (!config().has(key)) return defaultValue;
	std::string text = config().getString(key);
	Poco::Int64 value = 0;
	if (!Poco::NumberParser::tryParse64(text, value) || value < min || value > max)
	{
		throwBadValue(key, text, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
	}
	return value;
}

bool PluginContext::getBool(const std::string& key, bool defaultValue)
{
	if (!config().has(key)) return defaultValue;
	std::string text = config().getString(key);
	auto value = ConfigValue::parseBool(text);
	if (!value) throwBadValue(key, text, ConfigValue::BOOL_FORM);
	return *value;
}

Poco::Timespan PluginContext::getDuration(const std::string& key, const Poco::Timespan& defaultValue)
{
	if (!config().has(key)) return defaultValue;
	std::string text = config().getString(key);
	auto value = ConfigValue::parseDuration(text);
	if (!value) throwBadValue(key, text, ConfigValue::DURATION_FORM);
	return *value;
}

std::uint64_t PluginContext::getSize(const std::string& key, std::uint64_t defaultValue)
{
	if (!config().has(key)) return defaultValue;
	std::string text = config().getString(key);
	auto value = ConfigValue::parseSize(text);
	if (!value) throwBadValue(key, text, ConfigValue::SIZE_FORM);
	return *value;
}

KeyValueList PluginContext::getKeyValueList(const std::string& key)
{
	std::string text = config().getString(key, "");
	auto value = ConfigValue::parseKeyValueList(text);
	if (!value) throwBadValue(key, text, ConfigValue::LIST_FORM);
	return *value;
}

} } // namespace asprof::sdk
