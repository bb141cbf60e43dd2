//
// IniText.h
//
// What Poco's INI parser would accept silently, checked first.
//

#ifndef Asprof_Agent_IniText_INCLUDED
#define Asprof_Agent_IniText_INCLUDED

#include <string>

namespace asprof {
namespace agent {

/// Prepares agent.ini text for Poco::Util::IniFileConfiguration, which
/// takes a line "[reporter.local" for a section, lets the last of two
/// equal sections or keys win without a word, and keeps everything after
/// '=' (comments too) as the value.
class IniText
{
public:
	/// Returns text without a leading UTF-8 byte order mark and without
	/// comments (full lines starting with ';' or '#', and a ';' or '#'
	/// preceded by whitespace up to the end of the line). Throws
	/// ConfigException naming source and line for: a section header
	/// without its closing ']' or with text after it, a section name
	/// that is empty or has an empty instance name ([reporter.]), a
	/// section or key given twice (names compare without regard to case,
	/// as Poco's do), and control characters other than tab (and a
	/// carriage return ending the line).
	static std::string prepare(const std::string& text, const std::string& source);
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_IniText_INCLUDED
