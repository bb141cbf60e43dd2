//
// EcsMetadataProvider.h
//
// Host metadata of an ECS task (EC2 or Fargate launch type).
//

#ifndef Asprof_Plugins_EcsMetadataProvider_INCLUDED
#define Asprof_Plugins_EcsMetadataProvider_INCLUDED

#include "asprof/sdk/MetadataProvider.h"
#include "Poco/Timespan.h"
#include <string>

namespace asprof {
namespace plugins {

/// [metadata.<name>] type = ecs. Keys:
///   endpoint = (empty)   the task metadata endpoint; default $ECS_CONTAINER_METADATA_URI_V4
///   timeout  = 1s
/// detect(): GET <endpoint>/task; kind "ecs" with accountId and region
/// (from the task ARN), taskArn, clusterArn, and cpuLimit / memoryLimit
/// when the task has limits. Throws when there is no endpoint (not on ECS)
/// or it does not answer.
class EcsMetadataProvider: public sdk::MetadataProvider
{
public:
	void configure(sdk::PluginContext& context) override;
	sdk::HostMetadata detect() override;

	/// The metadata from a task metadata v4 document. Throws Poco::DataFormatException.
	static sdk::HostMetadata parseTask(const std::string& json);

private:
	std::string _endpoint;
	Poco::Timespan _timeout = Poco::Timespan(1, 0);
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_EcsMetadataProvider_INCLUDED
