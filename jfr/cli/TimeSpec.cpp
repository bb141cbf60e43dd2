#include "TimeSpec.h"
#include "asprof/jfr/Saturating.h"
#include "Options.h"
#include "Poco/DateTime.h"
#include "Poco/NumberParser.h"
#include "Poco/StringTokenizer.h"
#include "Poco/Timestamp.h"

namespace asprof {
namespace jfr {
namespace cli {

namespace {

const std::int64_t NANOS_PER_MS = 1000000;
const std::int64_t ABSOLUTE_MS = 1500000000000LL; // the converter's cut between offsets and epoch times

[[noreturn]] void bad(const std::string& option, const std::string& text)
{
	throw UsageError(option + " " + text +
		": expected milliseconds (12000, -5000), a duration (30s, 500ms), "
		"HH:MM[:SS[.mmm]] or YYYY-MM-DDTHH:MM[:SS[.mmm]] (UTC)");
}

[[noreturn]] void outOfRange(const std::string& option, const std::string& text)
{
	throw UsageError(option + " " + text + ": out of range (times are 64-bit nanoseconds since 1970: years 1678 to 2261)");
}

std::int64_t nanosOf(std::int64_t value, std::int64_t unit, const std::string& option, const std::string& text)
{
	std::int64_t nanos = 0;
	if (__builtin_mul_overflow(value, unit, &nanos)) outOfRange(option, text);
	return nanos;
}

int number(const std::string& text, const std::string& option, const std::string& whole)
{
	int value = 0;
	if (text.empty() || !Poco::NumberParser::tryParse(text, value) || value < 0) bad(option, whole);
	return value;
}

} // namespace

std::int64_t resolveTime(const std::string& text, const std::string& option, std::int64_t startNanos, std::int64_t endNanos)
{
	if (text.find(':') == std::string::npos)
	{
		static const std::pair<const char*, std::int64_t> UNITS[] = {
			{"ms", NANOS_PER_MS}, {"s", 1000 * NANOS_PER_MS}, {"m", 60000 * NANOS_PER_MS}, {"h", 3600000 * NANOS_PER_MS}};
		std::string digits = text;
		std::int64_t unit = 0;
		for (const auto& candidate : UNITS)
		{
			std::string name = candidate.first;
			if (digits.size() > name.size() && digits.compare(digits.size() - name.size(), name.size(), name) == 0)
			{
				digits = digits.substr(0, digits.size() - name.size());
				unit = candidate.second;
				break;
			}
		}
		Poco::Int64 value = 0;
		if (!Poco::NumberParser::tryParse64(digits, value)) bad(option, text);
		// Offsets from the recording's own (hostile?) times saturate.
		std::int64_t nanos = nanosOf(value, unit != 0 ? unit : NANOS_PER_MS, option, text);
		if (value < 0) return saturating::add(endNanos, nanos);
		if (unit != 0 || value < ABSOLUTE_MS) return saturating::add(startNanos, nanos);
		return nanos;
	}
	Poco::DateTime day(Poco::Timestamp(static_cast<Poco::Timestamp::TimeVal>(startNanos / 1000)));
	int year = day.year();
	int month = day.month();
	int dayOfMonth = day.day();
	std::string clock = text;
	auto t = text.find('T');
	if (t != std::string::npos)
	{
		Poco::StringTokenizer date(text.substr(0, t), "-");
		if (date.count() != 3) bad(option, text);
		year = number(date[0], option, text);
		month = number(date[1], option, text);
		dayOfMonth = number(date[2], option, text);
		clock = text.substr(t + 1);
	}
	Poco::StringTokenizer parts(clock, ":.");
	if (parts.count() < 2 || parts.count() > 4) bad(option, text);
	int hour = number(parts[0], option, text);
	int minute = number(parts[1], option, text);
	int second = parts.count() > 2 ? number(parts[2], option, text) : 0;
	int millis = parts.count() > 3 ? number(parts[3], option, text) : 0;
	if (!Poco::DateTime::isValid(year, month, dayOfMonth, hour, minute, second, millis)) bad(option, text);
	Poco::DateTime time(year, month, dayOfMonth, hour, minute, second, millis);
	return nanosOf(time.timestamp().epochMicroseconds(), 1000, option, text);
}

} // namespace cli
} // namespace jfr
} // namespace asprof
