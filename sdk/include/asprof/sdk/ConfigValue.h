//
// ConfigValue.h
//
// Parsers for the value forms agent.ini uses: durations, sizes, booleans,
// key=value lists. Shared by the agent and every plugin so all of them accept
// and reject exactly the same text.
//

#ifndef Asprof_Sdk_ConfigValue_INCLUDED
#define Asprof_Sdk_ConfigValue_INCLUDED

#include "asprof/sdk/Export.h"
#include "asprof/sdk/HostMetadata.h"
#include "Poco/Timespan.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

/// Each parse function returns std::nullopt when text is not of its form;
/// the caller then reports the file, section, key and the EXPECTED text.
struct ASPROF_SDK_API ConfigValue
{
	static const char* const DURATION_FORM; ///< "a duration such as 250ms, 30s, 5m or 1h"
	static const char* const SIZE_FORM;     ///< "a size such as 512, 64KiB or 10MiB"
	static const char* const BOOL_FORM;     ///< "yes or no"
	static const char* const LIST_FORM;     ///< "a list of name=value pairs separated by commas"

	/// Accepts a non-negative integer followed by one of the units us, ms,
	/// s, m, h, d (no unit is an error: "30" is ambiguous). "0" alone is 0.
	static std::optional<Poco::Timespan> parseDuration(const std::string& text);

	/// Accepts a non-negative integer, optionally followed by B, KiB, MiB,
	/// GiB (powers of 1024) or KB, MB, GB (powers of 1000).
	static std::optional<std::uint64_t> parseSize(const std::string& text);

	/// Accepts yes/no, true/false, on/off, 1/0 (case-insensitive).
	static std::optional<bool> parseBool(const std::string& text);

	/// Accepts "k=v, k2=v2" (empty text is an empty list). Names must be
	/// non-empty and unique; whitespace around names and values is trimmed.
	static std::optional<KeyValueList> parseKeyValueList(const std::string& text);

	/// Splits "a, b , c" into {"a", "b", "c"}; empty items are dropped.
	static std::vector<std::string> parseList(const std::string& text);

	/// Formats a duration in the largest unit that represents it exactly
	/// ("30s", "250ms", "5m").
	static std::string formatDuration(const Poco::Timespan& span);

	/// The text fit for a message or a log line: each control character
	/// (below 0x20, and 0x7f) shown as \xNN; cut at maxLength characters
	/// of the input, with "..." after a cut.
	static std::string printable(const std::string& text, std::size_t maxLength = std::string::npos);

	/// True when text holds a byte below 0x20 or 0x7f.
	static bool hasControlCharacter(const std::string& text);
};

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_ConfigValue_INCLUDED
