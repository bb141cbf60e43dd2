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

class PluginRegistry
	/// Loads libasprof-<kind>-<type>.so from the plugin directory (or a
	/// section's library = path) and creates instances from its manifest.
	///
	/// Before any code of a plugin runs, the registry refuses files and
	/// directories that are writable by group or others or owned by another
	/// user than root or the process's user. It then checks the plugin's
	/// asprofPluginInfo (kind, type, ABI version) and builds the Poco manifest
	/// ReporterV<ABI> / MetadataV<ABI>. Every refusal throws PluginException
	/// naming the file and the reason. Libraries are never unloaded.
{
public:
	explicit PluginRegistry(const std::string& pluginDir);
		/// An empty pluginDir means defaultPluginDir().

	static std::string defaultPluginDir();
		/// <directory of libasprof-agent.so>/asprof-agent/plugins.

	const std::string& pluginDir() const;

	std::string pluginPath(const std::string& kind, const std::string& type) const;
		/// <pluginDir>/libasprof-<kind>-<type>.so

	bool hasPlugin(const std::string& kind, const std::string& type) const;

	std::unique_ptr<sdk::Reporter> createReporter(const std::string& type, const std::string& library);
		/// library: the section's library = value, or empty for the plugin dir.

	std::unique_ptr<sdk::MetadataProvider> createMetadataProvider(const std::string& type, const std::string& library);

	static void checkOwnership(const std::string& path, bool directory);
		/// Throws PluginException when path is missing, of the wrong kind,
		/// writable by group/others or owned by an untrusted user.

private:
	std::string resolvePath(const std::string& kind, const std::string& type, const std::string& library) const;

	std::string _pluginDir;
};

} } // namespace asprof::agent

#endif // Asprof_Agent_PluginRegistry_INCLUDED
