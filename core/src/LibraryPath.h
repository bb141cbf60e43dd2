//
// LibraryPath.h
//
// Finds a shared library by name the way dlopen would, without ever looking
// in the current directory.
//

#ifndef Asprof_Agent_LibraryPath_INCLUDED
#define Asprof_Agent_LibraryPath_INCLUDED

#include <string>
#include <vector>

namespace asprof {
namespace agent {

/// Resolves a library name to absolute paths before anything is loaded,
/// so that dlopen() is only ever given an absolute path and never
/// searches on its own (dlopen takes an empty LD_LIBRARY_PATH component,
/// as in "/x:" or "::", for the current directory, and runs the
/// constructor of whatever it finds there).
class LibraryPath
{
public:
	/// Absolute paths of existing files to try, in order. An absolute
	/// library is returned as is; a bare name (no '/') is looked up in
	/// the absolute components of LD_LIBRARY_PATH, the directory of
	/// libasprof-agent.so (its RUNPATH is $ORIGIN), /etc/ld.so.cache,
	/// the system library directories and then installDirectories.
	/// Relative and empty LD_LIBRARY_PATH components are skipped with a
	/// warning (logger asprof.agent). Throws AgentException for a
	/// relative path with a '/'.
	static std::vector<std::string> candidates(const std::string& library, const std::vector<std::string>& installDirectories);

	/// The directories searched for a bare name, given LD_LIBRARY_PATH's
	/// value, without the ld.so.cache entries: only absolute ones.
	/// The components left out (relative or empty) go to skipped.
	static std::vector<std::string> searchDirectories(const std::string& ldLibraryPath, std::vector<std::string>* skipped = nullptr);

	/// The paths /etc/ld.so.cache (or cacheFile) maps name to, in the
	/// cache's order; empty when the file is missing or not a cache.
	static std::vector<std::string> cacheEntries(const std::string& cacheFile, const std::string& name);
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_LibraryPath_INCLUDED
