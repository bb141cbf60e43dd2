#include "DocumentedKeys.h"
#include "Poco/RegularExpression.h"
#include "Poco/String.h"
#include <sstream>

namespace asprof {
namespace test {

namespace {

// The agent's own comment rule: ';' or '#' after a space or tab starts one.
std::string withoutTrailingComment(const std::string& value)
{
	for (std::size_t i = 1; i < value.size(); ++i)
	{
		if ((value[i] == ';' || value[i] == '#') && (value[i - 1] == ' ' || value[i - 1] == '\t')) return Poco::trim(value.substr(0, i));
	}
	return Poco::trim(value);
}

std::string kindOf(const std::string& section)
{
	std::size_t dot = section.find('.');
	return dot == std::string::npos ? section : section.substr(0, dot);
}

} // namespace

DocumentedKeys DocumentedKeys::parse(const std::string& text)
{
	static const Poco::RegularExpression header("^\\[([^]]+)\\]\\s*$");
	static const Poco::RegularExpression keyLine("^([A-Za-z][A-Za-z0-9_.-]*)\\s*=(.*)$");
	DocumentedKeys result;
	std::istringstream in(text);
	std::string rawLine;
	int lineNumber = 0;
	while (std::getline(in, rawLine))
	{
		++lineNumber;
		std::string line = Poco::trimRight(rawLine);
		bool commented = !line.empty() && line[0] == ';';
		// "; prose" and ";; x" are comments; ";word" is commented-out INI.
		if (commented && (line.size() == 1 || line[1] == ' ' || line[1] == '\t' || line[1] == ';')) continue;
		if (line.empty() || line[0] == '#') continue;
		std::string body = commented ? line.substr(1) : line;
		std::vector<std::string> match;
		if (header.split(body, match))
		{
			DocumentedSection section;
			section.name = match[1];
			section.kind = kindOf(section.name);
			section.line = lineNumber;
			result._sections.push_back(section);
			continue;
		}
		if (!keyLine.split(body, match))
		{
			result._problems.push_back("line " + std::to_string(lineNumber) + ": neither a comment, a [section] nor a key: " + line);
			continue;
		}
		if (result._sections.empty())
		{
			result._problems.push_back("line " + std::to_string(lineNumber) + ": key " + match[1] + " before the first [section]");
			continue;
		}
		DocumentedSection& section = result._sections.back();
		section.keys.emplace(match[1], lineNumber);
		if (match[1] == "type") section.type = withoutTrailingComment(match[2]);
	}
	for (const auto& section : result._sections)
	{
		if ((section.kind == "reporter" || section.kind == "metadata") && section.type.empty())
			result._problems.push_back("line " + std::to_string(section.line) + ": [" + section.name + "] documents no type =");
	}
	return result;
}

const std::vector<DocumentedSection>& DocumentedKeys::sections() const
{
	return _sections;
}

const std::vector<std::string>& DocumentedKeys::problems() const
{
	return _problems;
}

void DocumentedKeys::removeKey(const std::string& section, const std::string& key)
{
	for (auto& each : _sections)
	{
		if (each.name == section) each.keys.erase(key);
	}
}

void DocumentedKeys::addKey(const std::string& section, const std::string& key)
{
	for (auto& each : _sections)
	{
		if (each.name == section) each.keys.emplace(key, 0);
	}
}

} // namespace test
} // namespace asprof
