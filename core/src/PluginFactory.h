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
#include "SectionContext.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/sdk/Reporter.h"
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

class PluginRegistry;
class ProfileAssembler;

/// Creates plugin instances from their sections: type picks the plugin
/// (the instance name doubles as the type when there is no section),
/// library = overrides the file. The plugin's configure() sees only its
/// section; keys nobody read are reported as unknown.
///
/// Every reporter instance becomes a DeliveryLane here, and only here:
/// the top-level one, and each child a composite reporter (multi) asks
/// for through PluginContext::createReporter, which gets a LaneReporter
/// handing profiles to the child's own lane.
class PluginFactory
{
public:
	/// The start deadline (now + [agent] startTimeout) begins here.
	PluginFactory(const AgentConfig& config, PluginRegistry& registry);

	/// Waits for a plugin call abandoned at the deadline that is still
	/// creating a child instance (bounded by the same deadline).
	~PluginFactory();

	/// Loads and configures the reporter instance and every child it
	/// creates, each with its own (not yet started) lane, then starts
	/// them, children first; the top-level lane (fed by the assembler)
	/// is last. Throws ConfigException or PluginException naming the
	/// section, the .so and the reason; among the reasons: an instance
	/// reached twice (through nested multi reporters) or in a cycle, a
	/// [reporter.X] section no instance uses ("unused section"), and a
	/// configure() or start() that has not returned by the deadline
	/// (its thread is abandoned, never joined, and its instance leaked).
	std::vector<std::shared_ptr<DeliveryLane>> buildLanes(
		const std::string& instanceName, std::shared_ptr<const ProfileAssembler> assembler);

	/// The [agent] metadata list, with auto expanded to ecs (only when
	/// ECS_CONTAINER_METADATA_URI_V4 is set), ec2, onprem. A plugin that
	/// cannot be loaded or configured (also: whose configure() has not
	/// returned by the deadline) is logged and skipped; a configuration
	/// error (bad value, unknown key) throws ConfigException like any other.
	std::vector<MetadataResolver::Candidate> createMetadataCandidates();

private:
	struct Section
	{
		std::string name; // "reporter.local"
		std::string type;
		std::string library;
	};

	struct Instance
	{
		std::unique_ptr<sdk::Reporter> reporter;
		LaneSettings laneSettings;
	};

	struct PendingStart
	{
		sdk::Reporter* reporter; // owned by its lane
		std::string section;
		std::string pluginPath;
	};

	/// How a plugin thread reaches the factory to create a child; an
	/// abandoned one must not outlive it.
	struct ChildGate
	{
		std::mutex mutex;
		std::condition_variable idle;
		PluginFactory* factory = nullptr; // null once the factory is gone
		int active = 0;                   // createChild calls under way
	};

	Section resolveSection(const std::string& kind, const std::string& instanceName) const;
	SectionContext::ReporterFactory childFactory(const std::string& parent, int depth);
	std::unique_ptr<sdk::Reporter> createChild(const std::string& instanceName, const std::string& parent, int depth);
	Instance createReporter(const std::string& instanceName, const std::string& parent, int depth);
	static void readLaneSettings(SectionContext& context, LaneSettings& settings);
	void enterInstance(const std::string& instanceName, const std::string& parent);
	void checkUnusedReporterSections() const;
	void startReporters();
	void callPluginBefore(
		int depth, const std::string& what, const std::string& pluginPath, std::function<void()> function, bool& abandoned) const;

	const AgentConfig& _config;
	PluginRegistry& _registry;
	const std::chrono::steady_clock::time_point _deadline;
	std::shared_ptr<ChildGate> _children;
	std::vector<std::shared_ptr<DeliveryLane>> _lanes;
	std::vector<PendingStart> _pendingStarts;
	std::map<std::string, std::string> _reachedFrom; // instance -> who named it first
	std::vector<std::string> _creating;              // the chain being configured
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_PluginFactory_INCLUDED
