//
// PluginRegistry.h
//
// Finds, checks and loads plugin libraries.
//

#ifndef Asprof_Agent_PluginRegistry_INCLUDED
#define Asprof_Agent_PluginRegistry_INCLUDED

#include "asprof/sdk/MetadataProvider.h"
#include "asprof/sdk/Reporter.h"
#include <memory>
#include <string>

namespace asprof {
namespace agent {

/// Loads libasprof-<kind>-<type>.so from the plugin directory (or a
/// section's library = path) and creates instances from its manifest.
///
/// Before any code of a plugin runs, the registry opens the file once and
/// refuses it, or any directory above it, when writable by group or
/// others or owned by another user than root or the process's user (see
/// openTrusted()); it logs "loading plugin <path>" (information, logger
/// asprof.agent) before it loads a file, so that a plugin whose
/// constructor crashes the host is named. Still before loading, it reads
/// the plugin note from the file (PluginNote) and refuses a plugin built
/// with another SDK ABI, Poco major.minor or C++ library ABI, or of
/// another kind or type, naming both sides. Only then does it load the
/// file and build the Poco manifest ReporterV<ABI> / MetadataV<ABI>. Every refusal throws PluginException
/// naming the file and the reason. Libraries are never unloaded.
class PluginRegistry
{
public:
	/// An empty pluginDir means defaultPluginDir().
	explicit PluginRegistry(const std::string& pluginDir);

	/// <directory of libasprof-agent.so>/asprof-agent/plugins (or of the
	/// preload library); for the agent linked statically into a program
	/// in bin/ (the test runners), <bin>/../lib/asprof-agent/plugins.
	static std::string defaultPluginDir();

	const std::string& pluginDir() const;

	/// <pluginDir>/libasprof-<kind>-<type>.so
	std::string pluginPath(const std::string& kind, const std::string& type) const;

	bool hasPlugin(const std::string& kind, const std::string& type) const;

	/// library: the section's library = value, or empty for the plugin dir.
	std::unique_ptr<sdk::Reporter> createReporter(const std::string& type, const std::string& library);

	std::unique_ptr<sdk::MetadataProvider> createMetadataProvider(const std::string& type, const std::string& library);

	/// Opens the plugin file path for loading, checked on the open
	/// descriptor: a regular file, not a symbolic link (O_NOFOLLOW),
	/// owned by root or this process's user and not writable by group
	/// or others. Every directory from / down to it (symbolic links in
	/// the directory part resolved first) is opened the same way and
	/// must be owned likewise and not writable by group or others,
	/// unless sticky (like /tmp). Returns the close-on-exec descriptor;
	/// the plugin is then loaded through /proc/self/fd/<descriptor>, so
	/// the file checked is the file loaded. Throws PluginException
	/// naming the file or directory and the reason.
	static int openTrusted(const std::string& path);

	/// The directory part of openTrusted(): a descriptor of the checked
	/// directory path.
	static int openTrustedDirectory(const std::string& path);

private:
	int openPlugin(const std::string& kind, const std::string& type, const std::string& library) const;
	static void checkOpenFile(int fd, const std::string& path, bool directory);

	std::string _pluginDir;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_PluginRegistry_INCLUDED
