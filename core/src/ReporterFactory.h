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
#include <functional>
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
	using ChildHandler = std::function<std::unique_ptr<sdk::Reporter>(ReporterInstance&&)>;
		/// Receives each child instance a composite reporter creates through
		/// PluginContext::createReporter and returns what the parent gets
		/// (the agent gives each child its own lane).

	ReporterFactory(const AgentConfig& config, PluginRegistry& registry, ChildHandler childHandler = nullptr);

	ReporterInstance create(const std::string& instanceName);
		/// Loads, configures and starts the reporter instance. Throws
		/// ConfigException or PluginException naming the section, the .so and
		/// the reason.

	std::vector<MetadataResolver::Candidate> createMetadataCandidates();
		/// The [agent] metadata list, with auto expanded to ecs (only when
		/// ECS_CONTAINER_METADATA_URI_V4 is set), ec2, onprem. A plugin that
		/// cannot be loaded or configured is logged and skipped; a configuration
		/// error (bad value, unknown key) throws ConfigException like any other.

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
	ChildHandler _childHandler;
};

} } // namespace asprof::agent

#endif // Asprof_Agent_ReporterFactory_INCLUDED
