//
// DocumentedKeys.h
//
// The keys etc/agent.ini documents, section by section.
//

#ifndef Asprof_Tests_DocumentedKeys_INCLUDED
#define Asprof_Tests_DocumentedKeys_INCLUDED

#include <map>
#include <string>
#include <vector>

namespace asprof {
namespace test {

/// One [section] of the example file, active or commented out.
struct DocumentedSection
{
	std::string name;                ///< "agent", "reporter.local", "metadata.ec2"
	std::string kind;                ///< "agent", "profiler", "endpoint", "reporter" or "metadata"
	std::string type;                ///< an instance section's type = value; empty otherwise
	int line = 0;                    ///< where its header is
	std::map<std::string, int> keys; ///< key -> line ("headers.X-Team" as written)
};

/// Reads the example agent.ini the way a reader does: a section header is
/// "[name]" or, commented out, ";[name]"; a key is "key = value" or,
/// commented out, ";key = value" (no space after the ';'). Prose comments
/// start with "; " and are skipped, so "; e.g. labels = a=b" documents
/// nothing. Any other uncommented line is a problem of the file.
class DocumentedKeys
{
public:
	static DocumentedKeys parse(const std::string& text);

	const std::vector<DocumentedSection>& sections() const;

	/// Lines that are neither comment, header nor key, and instance
	/// sections without type = (each with its line number).
	const std::vector<std::string>& problems() const;

	void removeKey(const std::string& section, const std::string& key);

	/// For the self-test: the documentation with one key less or more.
	void addKey(const std::string& section, const std::string& key);

private:
	std::vector<DocumentedSection> _sections;
	std::vector<std::string> _problems;
};

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_DocumentedKeys_INCLUDED
