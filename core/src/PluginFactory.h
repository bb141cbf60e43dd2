//
// PluginFactory.h
//
// Turns [reporter.X] and [metadata.X] sections into configured instances:
// reporters as delivery lanes, metadata providers as resolver candidates.
//

#ifndef Asprof_Agent_PluginFactory_INCLUDED
#define Asprof_Agent_PluginFactory_INCLUDED

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
class ProfileAssembler;

class PluginFactory
	/// Creates plugin instances from their sections: type picks the plugin
	/// (the instance name doubles as the type when there is no section),
	/// library = overrides the file. The plugin's configure() sees only its
	/// section; keys nobody read are reported as unknown.
	///
	/// Every reporter instance becomes a DeliveryLane here, and only here:
	/// the top-level one, and each child a composite reporter (multi) asks
	/// for through PluginContext::createReporter, which gets a LaneReporter
	/// handing profiles to the child's own lane.
{
public:
	PluginFactory(const AgentConfig& config, PluginRegistry& registry);

	std::vector<std::shared_ptr<DeliveryLane>> buildLanes(const std::string& instanceName,
		std::shared_ptr<const ProfileAssembler> assembler);
		/// Loads, configures and starts the reporter instance and every child
		/// it creates, each with its own (not yet started) lane; children
		/// first, the top-level lane (fed by the assembler) last. Throws
		/// ConfigException or PluginException naming the section, the .so
		/// and the reason.

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

	struct Instance
	{
		std::unique_ptr<sdk::Reporter> reporter;
		LaneSettings laneSettings;
	};

	Section resolveSection(const std::string& kind, const std::string& instanceName) const;
	std::unique_ptr<sdk::Reporter> createChild(const std::string& instanceName, int depth);
	Instance createReporter(const std::string& instanceName, int depth);

	const AgentConfig& _config;
	PluginRegistry& _registry;
	std::vector<std::shared_ptr<DeliveryLane>> _lanes;
};

} } // namespace asprof::agent

#endif // Asprof_Agent_PluginFactory_INCLUDED
