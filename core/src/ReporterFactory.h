//
// ReporterFactory.h
//
// Turns [reporter.X] and [metadata.X] sections into configured instances.
//

#ifndef Asprof_Agent_ReporterFactory_INCLUDED
#define Asprof_Agent_ReporterFactory_INCLUDED

#include "DeliveryLane.h"
#include "MetadataResolver.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/sdk/Reporter.h"
#include <memory>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

class PluginRegistry;

struct ReporterInstance
{
	std::string name;
	std::string pluginPath;
	std::unique_ptr<sdk::Reporter> reporter;
	LaneSettings laneSettings;
};

class ReporterFactory
	/// Creates plugin instances from their sections: type picks the plugin
	/// (the instance name doubles as the type when there is no section),
	/// library = overrides the file. The plugin's configure() sees only its
	/// section; keys nobody read are reported as unknown.
{
public:
	ReporterFactory(const AgentConfig& config, PluginRegistry& registry);

	ReporterInstance create(const std::string& instanceName);
		/// Loads, configures and starts the reporter instance. Throws
		/// ConfigException or PluginException naming the section, the .so and
		/// the reason.

	std::vector<MetadataResolver::Candidate> createMetadataCandidates();
		/// The [agent] metadata list, with auto expanded to ecs (only when
		/// ECS_CONTAINER_METADATA_URI_V4 is set), ec2, onprem. An instance that
		/// cannot be created is logged and skipped, never fatal.

private:
	struct Section
	{
		std::string name;     // "reporter.local"
		std::string type;
		std::string library;
	};

	Section resolveSection(const std::string& kind, const std::string& instanceName) const;
	std::unique_ptr<sdk::Reporter> createChild(const std::string& instanceName, int depth);
	ReporterInstance createAt(const std::string& instanceName, int depth);

	const AgentConfig& _config;
	PluginRegistry& _registry;
};

} } // namespace asprof::agent

#endif // Asprof_Agent_ReporterFactory_INCLUDED
