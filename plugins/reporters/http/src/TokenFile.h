//
// TokenFile.h
//
// A bearer token kept in a file that something else rotates.
//

#ifndef Asprof_Plugins_TokenFile_INCLUDED
#define Asprof_Plugins_TokenFile_INCLUDED

#include "Poco/Exception.h"
#include <ctime>
#include <optional>
#include <string>
#include <sys/types.h>

namespace asprof {
namespace plugins {

/// Reads the token again whenever the file changed: a cheap stat() per
/// token() call compares device, inode, size and modification time (ns),
/// so rewriting the file in place and replacing it by a rename (as
/// Kubernetes does with projected service-account tokens) are both seen.
/// A file changed less than 2 s before it was read is read again on the
/// next call, as a rewrite within one timestamp tick may keep size and mtime.
/// Surrounding whitespace (the trailing newline) is trimmed.
/// The token never appears in a message.
class TokenFile
{
public:
	explicit TokenFile(const std::string& path);

	/// Throws Poco::FileException naming the file when it is missing,
	/// unreadable, empty or holds bytes a header cannot carry; the last good
	/// token is then forgotten, so it is never sent after such a change.
	std::string token();

	const std::string& path() const;

	/// Whether the last token() call returned another token than the one before.
	bool changedOnLastCall() const;

private:
	struct Stamp
	{
		dev_t device = 0;
		ino_t inode = 0;
		off_t size = 0;
		std::time_t seconds = 0;
		long nanoseconds = 0;
		bool operator==(const Stamp& other) const;
	};

	std::string read() const;

	std::string _path;
	std::optional<Stamp> _stamp;
	std::string _token;
	bool _racy = false;
	bool _changed = false;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_TokenFile_INCLUDED
