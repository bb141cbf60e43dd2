#include "asprof/sdk/PluginContext.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/Exception.h"
#include "Poco/NumberParser.h"
#include "Poco/Util/AbstractConfiguration.h"

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

namespace {

std::string where(const PluginContext& context, const std::string& key)
{
	return context.configSource() + ": [" + context.sectionName() + "] " + key;
}

// The raw text of a key that is present, for the parsing getters.
bool rawValue(const PluginContext& context, const std::string& key, std::string& text)
{
	if (!context.config().has(key)) return false;
	text = context.config().getString(key);
	return true;
}

} // namespace

PluginContext::~PluginContext() = default;

void throwBadValue(const PluginContext& context, const std::string& key, const std::string& value, const std::string& expected)
{
	throw Poco::InvalidArgumentException(where(context, key) + " = " + ConfigValue::printable(value, 200) + ": expected " + expected);
}

void throwBadSecret(const PluginContext& context, const std::string& key, const std::string& expected)
{
	throw Poco::InvalidArgumentException(where(context, key) + " (value hidden): expected " + expected);
}

std::string getString(const PluginContext& context, const std::string& key, const std::string& defaultValue)
{
	return context.config().getString(key, defaultValue);
}

std::string getRequiredString(const PluginContext& context, const std::string& key)
{
	std::string value = context.config().getString(key, "");
	if (value.empty()) throw Poco::InvalidArgumentException(where(context, key) + " is required but not set");
	return value;
}

std::string getChoice(
	const PluginContext& context, const std::string& key, const std::string& defaultValue, std::initializer_list<const char*> choices)
{
	std::string value = context.config().getString(key, defaultValue);
	std::string expected;
	for (const char* choice : choices)
	{
		if (value == choice) return value;
		expected += expected.empty() ? "" : " | ";
		expected += choice;
	}
	throwBadValue(context, key, value, "one of " + expected);
}

std::int64_t getInt(const PluginContext& context, const std::string& key, std::int64_t defaultValue, std::int64_t min, std::int64_t max)
{
	std::string text;
	if (!rawValue(context, key, text)) return defaultValue;
	Poco::Int64 value = 0;
	if (!Poco::NumberParser::tryParse64(text, value) || value < min || value > max)
		throwBadValue(context, key, text, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
	return value;
}

bool getBool(const PluginContext& context, const std::string& key, bool defaultValue)
{
	std::string text;
	if (!rawValue(context, key, text)) return defaultValue;
	auto value = ConfigValue::parseBool(text);
	if (!value) throwBadValue(context, key, text, ConfigValue::BOOL_FORM);
	return *value;
}

Poco::Timespan getDuration(const PluginContext& context, const std::string& key, const Poco::Timespan& defaultValue)
{
	std::string text;
	if (!rawValue(context, key, text)) return defaultValue;
	auto value = ConfigValue::parseDuration(text);
	if (!value) throwBadValue(context, key, text, ConfigValue::DURATION_FORM);
	return *value;
}

std::uint64_t getSize(const PluginContext& context, const std::string& key, std::uint64_t defaultValue)
{
	std::string text;
	if (!rawValue(context, key, text)) return defaultValue;
	auto value = ConfigValue::parseSize(text);
	if (!value) throwBadValue(context, key, text, ConfigValue::SIZE_FORM);
	return *value;
}

KeyValueList getKeyValueList(const PluginContext& context, const std::string& key)
{
	std::string text = context.config().getString(key, "");
	auto value = ConfigValue::parseKeyValueList(text);
	if (!value) throwBadValue(context, key, text, ConfigValue::LIST_FORM);
	return *value;
}

std::string getSecret(const PluginContext& context, const std::string& key)
{
	std::string value = context.config().getString(key, "");
	if (ConfigValue::hasControlCharacter(value)) throwBadSecret(context, key, "a value without control characters (CR, LF, tab, ...)");
	return value;
}

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof
