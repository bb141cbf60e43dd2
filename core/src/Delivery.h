//
// Delivery.h
//
// Every delivery lane of one agent run, built in one place.
//

#ifndef Asprof_Agent_Delivery_INCLUDED
#define Asprof_Agent_Delivery_INCLUDED

#include "DeliveryLane.h"
#include "ProfileAssembler.h"
#include "ProfilingLoop.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/AgentConfig.h"
#include "Poco/Timestamp.h"
#include <memory>
#include <vector>

namespace asprof {
namespace agent {

class PluginRegistry;

/// Where the control thread hands finished recordings. Built from the
/// configuration: the metadata providers (a MetadataResolver), the
/// ProfileAssembler, the top-level reporter's lane and the lanes of the
/// children a composite reporter (multi) creates.
///
///   accept(finished)  control thread: assembler draft -> top lane's queue
///   top lane          completes (host metadata), spools, reports
///   multi's report()  hands the profile to each child's own lane
class Delivery: public RecordingSink
{
public:
	/// Loads, configures and starts every reporter and metadata plugin.
	/// Throws ConfigException or PluginException (see PluginFactory).
	Delivery(const AgentConfig& config, PluginRegistry& registry);

	/// stop(now) if not stopped.
	~Delivery();

	/// Starts every lane (opens the spools). Throws AgentException naming
	/// the reporter instance whose lane cannot start (e.g. its spool is
	/// locked by another agent).
	void start();

	/// On the control thread: cheap, never blocks on disk, network or a plugin.
	void accept(FinishedRecording&& finished) override;

	/// The top-level lane drains first (a composite hands its last
	/// profiles to its children), then the children side by side, all by
	/// the same deadline. Returns true when every profile this run
	/// received was delivered: none failed, dropped or left in a spool.
	bool stop(const Poco::Timestamp& deadline) noexcept;

	/// The top-level lane first, then its children.
	std::vector<LaneStatus> status() const;

private:
	std::shared_ptr<MetadataResolver> _resolver;
	std::shared_ptr<const ProfileAssembler> _assembler;
	std::vector<std::shared_ptr<DeliveryLane>> _lanes; // children first; the top-level lane last
	bool _stopped = false;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_Delivery_INCLUDED
