#include "asprof/sdk/ConfigValue.h"
#include "Poco/NumberFormatter.h"
#include <algorithm>
#include "Poco/String.h"
#include <cctype>
#include <limits>

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

const char* const ConfigValue::DURATION_FORM = "a duration such as 250ms, 30s, 5m or 1h";
const char* const ConfigValue::SIZE_FORM = "a size such as 512, 64KiB or 10MiB";
const char* const ConfigValue::BOOL_FORM = "yes or no";
const char* const ConfigValue::LIST_FORM = "a list of name=value pairs separated by commas";

namespace {

// Splits "123unit" into the number and the unit; false when there is no
// leading number or it overflows.
bool splitNumber(const std::string& text, std::uint64_t& number, std::string& unit)
{
	std::string trimmed = Poco::trim(text);
	std::size_t pos = 0;
	number = 0;
	while (pos < trimmed.size() && std::isdigit(static_cast<unsigned char>(trimmed[pos])))
	{
		std::uint64_t digit = static_cast<std::uint64_t>(trimmed[pos] - '0');
		if (number > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
		number = number * 10 + digit;
		++pos;
	}
	if (pos == 0) return false;
	unit = Poco::trim(trimmed.substr(pos));
	return true;
}

bool multiply(std::uint64_t value, std::uint64_t factor, std::uint64_t& result)
{
	if (factor != 0 && value > std::numeric_limits<std::uint64_t>::max() / factor) return false;
	result = value * factor;
	return true;
}

} // namespace

std::optional<Poco::Timespan> ConfigValue::parseDuration(const std::string& text)
{
	std::uint64_t number = 0;
	std::string unit;
	if (!splitNumber(text, number, unit)) return std::nullopt;
	std::uint64_t factor = 0;
	if (unit == "us")
		factor = 1;
	else if (unit == "ms")
		factor = 1000;
	else if (unit == "s")
		factor = 1000 * 1000;
	else if (unit == "m")
		factor = 60ULL * 1000 * 1000;
	else if (unit == "h")
		factor = 3600ULL * 1000 * 1000;
	else if (unit == "d")
		factor = 86400ULL * 1000 * 1000;
	else if (unit.empty() && number == 0)
		factor = 1;
	else
		return std::nullopt;
	std::uint64_t micros = 0;
	if (!multiply(number, factor, micros) || micros > static_cast<std::uint64_t>(std::numeric_limits<Poco::Timespan::TimeDiff>::max()))
		return std::nullopt;
	return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(micros));
}

std::optional<std::uint64_t> ConfigValue::parseSize(const std::string& text)
{
	std::uint64_t number = 0;
	std::string unit;
	if (!splitNumber(text, number, unit)) return std::nullopt;
	std::uint64_t factor = 0;
	if (unit.empty() || unit == "B")
		factor = 1;
	else if (unit == "KiB")
		factor = 1024;
	else if (unit == "MiB")
		factor = 1024ULL * 1024;
	else if (unit == "GiB")
		factor = 1024ULL * 1024 * 1024;
	else if (unit == "KB")
		factor = 1000;
	else if (unit == "MB")
		factor = 1000ULL * 1000;
	else if (unit == "GB")
		factor = 1000ULL * 1000 * 1000;
	else
		return std::nullopt;
	std::uint64_t bytes = 0;
	if (!multiply(number, factor, bytes)) return std::nullopt;
	return bytes;
}

std::optional<bool> ConfigValue::parseBool(const std::string& text)
{
	std::string value = Poco::toLower(Poco::trim(text));
	if (value == "yes" || value == "true" || value == "on" || value == "1") return true;
	if (value == "no" || value == "false" || value == "off" || value == "0") return false;
	return std::nullopt;
}

std::vector<std::string> ConfigValue::parseList(const std::string& text)
{
	std::vector<std::string> items;
	std::string::size_type begin = 0;
	while (begin <= text.size())
	{
		std::string::size_type comma = text.find(',', begin);
		if (comma == std::string::npos) comma = text.size();
		std::string item = Poco::trim(text.substr(begin, comma - begin));
		if (!item.empty()) items.push_back(item);
		begin = comma + 1;
	}
	return items;
}

std::optional<KeyValueList> ConfigValue::parseKeyValueList(const std::string& text)
{
	KeyValueList result;
	for (const auto& item : parseList(text))
	{
		std::string::size_type equals = item.find('=');
		if (equals == std::string::npos) return std::nullopt;
		std::string name = Poco::trim(item.substr(0, equals));
		std::string value = Poco::trim(item.substr(equals + 1));
		if (name.empty()) return std::nullopt;
		for (const auto& existing : result)
		{
			if (existing.first == name) return std::nullopt;
		}
		result.emplace_back(name, value);
	}
	return result;
}

std::string ConfigValue::formatDuration(const Poco::Timespan& span)
{
	const Poco::Timespan::TimeDiff micros = span.totalMicroseconds();
	struct Unit
	{
		const char* name;
		Poco::Timespan::TimeDiff factor;
	};
	static const Unit units[] = {{"h", 3600LL * 1000 * 1000}, {"m", 60LL * 1000 * 1000}, {"s", 1000 * 1000}, {"ms", 1000}};
	if (micros == 0) return "0";
	for (const auto& unit : units)
	{
		if (micros % unit.factor == 0) return std::to_string(micros / unit.factor) + unit.name;
	}
	return std::to_string(micros) + "us";
}

std::string ConfigValue::printable(const std::string& text, std::size_t maxLength)
{
	std::string shown;
	for (char c : text.substr(0, maxLength))
	{
		auto byte = static_cast<unsigned char>(c);
		if (byte < 0x20 || byte == 0x7f)
			shown += "\\x" + Poco::NumberFormatter::formatHex(byte, 2);
		else
			shown += c;
	}
	return text.size() > maxLength ? shown + "..." : shown;
}

bool ConfigValue::hasControlCharacter(const std::string& text)
{
	return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof
