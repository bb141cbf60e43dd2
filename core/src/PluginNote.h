//
// PluginNote.h
//
// Reads a plugin's note (asprof/sdk/Plugin.h) from the file, without loading it.
//

#ifndef Asprof_Agent_PluginNote_INCLUDED
#define Asprof_Agent_PluginNote_INCLUDED

#include <cstdint>
#include <string>

namespace asprof {
namespace agent {

/// What a plugin says about itself in its ELF section ".asprof.plugin".
struct PluginNote
{
	unsigned abiVersion = 0;
	std::uint32_t pocoVersion = 0; ///< 0xMMmmPPbb
	unsigned cxxAbi = 0;           ///< 0 libstdc++ pre-C++11, 1 libstdc++ C++11, 2 libc++
	std::string kind;
	std::string type;
	std::string sdkVersion;

	/// Reads the note from the open file with pread() alone: nothing of
	/// the plugin runs, and a hostile file can only be refused. Checks
	/// that the file is a shared object for this machine (ELF class,
	/// byte order, machine) and that the note is well formed. Throws
	/// PluginException naming path and what is wrong; a file without
	/// the section is "not a plugin of this SDK (no plugin note)".
	static PluginNote read(int fd, const std::string& path);

	/// What this agent was built with, for the given kind and type.
	static PluginNote expected(const std::string& kind, const std::string& type);

	/// "SDK 0.1.0 (ABI 2), Poco 1.11, libstdc++ C++11 ABI", for messages.
	std::string builtWith() const;

	/// Empty when this plugin can be loaded by an agent built as
	/// expected: same ABI, same Poco major.minor, same C++ library ABI.
	/// Otherwise names every difference, both sides, e.g. "built with
	/// SDK ABI 1 and Poco 1.12, this agent with SDK ABI 2 and Poco 1.11".
	std::string mismatch(const PluginNote& expected) const;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_PluginNote_INCLUDED
