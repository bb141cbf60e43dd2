#include "PyroscopeIngest.h"
#include "UrlTemplate.h"
#include "Poco/NumberParser.h"
#include "Poco/String.h"
#include "Poco/StringTokenizer.h"
#include "Poco/UUIDGenerator.h"
#include <algorithm>
#include <cctype>

namespace asprof {
namespace plugins {

const char* const PyroscopeIngest::SPY_NAME = "asprof-agent";
const unsigned PyroscopeIngest::DEFAULT_SAMPLE_RATE = 100;

namespace {

const Poco::UInt64 NANOSECONDS_PER_SECOND = 1000000000;

bool isAsciiAlnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string safeLabelName(const std::string& name)
{
	std::string safe = name;
	std::replace_if(
		safe.begin(), safe.end(), [](char c) { return !isAsciiAlnum(c) && c != '_'; }, '_');
	if (!safe.empty() && safe[0] >= '0' && safe[0] <= '9') safe.insert(0, "_");
	return safe;
}

std::string safeLabelValue(const std::string& value)
{
	std::string safe = Poco::trim(value);
	std::replace_if(
		safe.begin(), safe.end(),
		[](char c) { return c == '{' || c == '}' || c == ',' || c == '=' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '_');
	return safe;
}

// Why a label cannot go into the name, or nullptr when it can.
const char* reasonToDrop(const std::string& name, const std::string& value, const std::vector<std::string>& taken)
{
	if (name.empty()) return "empty name";
	if (name.compare(0, 2, "__") == 0) return "reserved by Pyroscope";
	if (name == "pyroscope_spy" || name == "jfr_event") return "set by Pyroscope itself";
	if (value.empty()) return "empty value";
	if (std::find(taken.begin(), taken.end(), name) != taken.end()) return "duplicate name";
	return nullptr;
}

// The interval=<n>[ns|us|ms|s] argument in nanoseconds, 0 when absent or unreadable.
Poco::UInt64 intervalNanoseconds(const std::string& profilerArgs)
{
	Poco::StringTokenizer arguments(profilerArgs, ",", Poco::StringTokenizer::TOK_TRIM);
	for (const auto& argument : arguments)
	{
		if (argument.compare(0, 9, "interval=") != 0) continue;
		const std::string value = argument.substr(9);
		const std::size_t unitAt = value.find_first_not_of("0123456789");
		const std::string unit = unitAt == std::string::npos ? "" : value.substr(unitAt);
		Poco::UInt64 count = 0;
		if (!Poco::NumberParser::tryParseUnsigned64(value.substr(0, unitAt), count)) return 0;
		if (unit.empty() || unit == "ns") return count;
		if (unit == "us") return count * 1000;
		if (unit == "ms") return count * 1000000;
		if (unit == "s") return count * NANOSECONDS_PER_SECOND;
		return 0;
	}
	return 0;
}

} // namespace

bool PyroscopeIngest::isValidAppName(const std::string& appName)
{
	return !appName.empty() &&
		std::all_of(appName.begin(), appName.end(), [](char c) { return isAsciiAlnum(c) || c == '_' || c == '.' || c == '-' || c == '/'; });
}

sdk::KeyValueList PyroscopeIngest::labelsOf(const sdk::Profile& profile, const std::vector<std::string>& hostFields)
{
	sdk::KeyValueList labels = profile.labels;
	for (const auto& field : hostFields)
	{
		const std::string value = profile.host.field(field);
		if (!value.empty()) labels.emplace_back(labelNameOf(field), value);
	}
	return labels;
}

std::string PyroscopeIngest::labelNameOf(const std::string& field)
{
	std::string name;
	for (char c : field)
	{
		if (c >= 'A' && c <= 'Z')
		{
			if (!name.empty()) name += '_';
			name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
		}
		else
			name += c;
	}
	return name;
}

PyroscopeIngest::Name PyroscopeIngest::name(const std::string& appName, const sdk::KeyValueList& labels)
{
	Name result;
	std::vector<std::string> taken;
	std::string pairs;
	for (const auto& label : labels)
	{
		const std::string name = safeLabelName(label.first);
		const std::string value = safeLabelValue(label.second);
		if (const char* reason = reasonToDrop(name, value, taken))
		{
			result.dropped.push_back(label.first + " (" + reason + ")");
			continue;
		}
		taken.push_back(name);
		pairs += (pairs.empty() ? "" : ",") + name + "=" + value;
	}
	result.text = pairs.empty() ? appName : appName + "{" + pairs + "}";
	return result;
}

unsigned PyroscopeIngest::sampleRate(const std::string& profilerArgs)
{
	const Poco::UInt64 interval = intervalNanoseconds(profilerArgs);
	if (interval == 0) return DEFAULT_SAMPLE_RATE;
	return static_cast<unsigned>(std::max<Poco::UInt64>(1, NANOSECONDS_PER_SECOND / interval));
}

std::string PyroscopeIngest::query(const std::string& name, const sdk::Profile& profile, unsigned sampleRate)
{
	// Whole seconds, rounded down, as the Java agent sends them (Instant.getEpochSecond()).
	return "name=" + UrlTemplate::percentEncode(name) + "&from=" + std::to_string(profile.start.epochTime()) +
		"&until=" + std::to_string(profile.end.epochTime()) + "&format=jfr&spyName=" + SPY_NAME +
		"&sampleRate=" + std::to_string(sampleRate);
}

std::string PyroscopeIngest::pprofQuery(const std::string& name, const sdk::Profile& profile)
{
	return "name=" + UrlTemplate::percentEncode(name) + "&from=" + std::to_string(profile.start.epochTime()) +
		"&until=" + std::to_string(profile.end.epochTime()) + "&spyName=" + SPY_NAME;
}

std::string PyroscopeIngest::boundaryFor(const std::string& part)
{
	for (;;)
	{
		std::string boundary = "asprof-" + Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
		if (part.find(boundary) == std::string::npos) return boundary;
	}
}

std::string PyroscopeIngest::multipartBody(
	const std::string& field, const std::string& filename, const std::string& part, const std::string& boundary)
{
	std::string body;
	body.reserve(part.size() + 2 * boundary.size() + 160);
	body += "--" + boundary + "\r\n";
	body += "Content-Disposition: form-data; name=\"" + field + "\"; filename=\"" + filename + "\"\r\n";
	body += "Content-Type: application/octet-stream\r\n\r\n";
	body += part;
	body += "\r\n--" + boundary + "--\r\n";
	return body;
}

} // namespace plugins
} // namespace asprof
