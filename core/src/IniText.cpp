#include "IniText.h"
#include "asprof/agent/Exception.h"
#include "Poco/NumberFormatter.h"
#include "Poco/RegularExpression.h"
#include "Poco/String.h"
#include <map>
#include <sstream>

namespace asprof {
namespace agent {

namespace {

// Constant-initialized: no static constructor (the preload library may read
// it from its agent thread while the library is still being initialized).
constexpr char UTF8_BOM[] = "\xEF\xBB\xBF";
constexpr std::size_t UTF8_BOM_SIZE = sizeof(UTF8_BOM) - 1;

// Poco's INI parser keeps everything after '=' as the value; strip inline
// comments (a ';' or '#' after whitespace) and '#' full-line comments so the
// documented agent.ini style works.
std::string stripComment(const std::string& line)
{
	std::string trimmed = Poco::trimLeft(line);
	if (!trimmed.empty() && (trimmed[0] == '#' || trimmed[0] == ';')) return std::string();
	for (std::size_t i = 1; i < line.size(); ++i)
	{
		if ((line[i] == ';' || line[i] == '#') && (line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
	}
	return line;
}

class Checker
{
public:
	explicit Checker(const std::string& source): _source(source)
	{
	}

	void checkCharacters(const std::string& line)
	{
		for (std::size_t i = 0; i < line.size(); ++i)
		{
			auto c = static_cast<unsigned char>(line[i]);
			if (c == '\t' || (c == '\r' && i + 1 == line.size()) || (c >= 0x20 && c != 0x7f)) continue;
			fail(
				"control character 0x" + Poco::NumberFormatter::formatHex(c, 2) + " in the line; only printable text and tabs are allowed");
		}
	}

	void header(const std::string& line)
	{
		std::size_t close = line.find(']');
		if (close == std::string::npos) fail("'" + line + "' is not a section header: the closing ] is missing");
		if (!Poco::trim(line.substr(close + 1)).empty())
			fail("'" + line + "' has text after the closing ]; put keys on lines of their own");
		_section = Poco::trim(line.substr(1, close - 1));
		static const Poco::RegularExpression instance("^(reporter|metadata)\\.[A-Za-z0-9_-]+$", Poco::RegularExpression::RE_CASELESS);
		std::string lower = Poco::toLower(_section);
		if (_section.empty()) fail("[] has no section name; expected [agent], [profiler], [reporter.<name>] or [metadata.<name>]");
		if ((lower.rfind("reporter.", 0) == 0 || lower.rfind("metadata.", 0) == 0) && !instance.match(_section))
			fail("[" + _section + "] is not a valid instance section; expected [" + lower.substr(0, 8) +
				".<name>] with a name of letters, digits, _ or -");
		remember(_sections, lower, "section [" + _section + "] appears twice",
			"merge the two: the later keys would silently replace the earlier");
	}

	void key(const std::string& line)
	{
		std::string name = Poco::trim(line.substr(0, line.find('=')));
		std::string where = _section.empty() ? name : "[" + _section + "] " + name;
		remember(_keys, Poco::toLower(_section + "." + name), where + " is set twice", "keep one: only the last would count");
	}

	void setLine(int number)
	{
		_line = number;
	}

private:
	void remember(std::map<std::string, int>& seen, const std::string& name, const std::string& what, const std::string& advice)
	{
		auto it = seen.find(name);
		if (it != seen.end()) fail(what + " (first on line " + std::to_string(it->second) + "); " + advice);
		seen[name] = _line;
	}

	[[noreturn]] void fail(const std::string& message) const
	{
		throw ConfigException(_source + ": line " + std::to_string(_line) + ": " + message);
	}

	std::string _source;
	std::string _section;
	int _line = 0;
	std::map<std::string, int> _sections;
	std::map<std::string, int> _keys;
};

} // namespace

std::string IniText::prepare(const std::string& text, const std::string& source)
{
	// A byte order mark (some Windows editors write one) is not text.
	std::istringstream in(text.compare(0, UTF8_BOM_SIZE, UTF8_BOM) == 0 ? text.substr(UTF8_BOM_SIZE) : text);
	Checker checker(source);
	std::string out;
	std::string line;
	for (int number = 1; std::getline(in, line); ++number)
	{
		checker.setLine(number);
		checker.checkCharacters(line);
		std::string content = Poco::trim(stripComment(line));
		if (!content.empty() && content[0] == '[')
			checker.header(content);
		else if (!content.empty())
			checker.key(content);
		out += content;
		out += '\n';
	}
	return out;
}

} // namespace agent
} // namespace asprof
