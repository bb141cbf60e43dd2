//
// HostMetadata.h
//
// The identity of the host a profile was recorded on.
//

#ifndef Asprof_Sdk_HostMetadata_INCLUDED
#define Asprof_Sdk_HostMetadata_INCLUDED

#include "asprof/sdk/Export.h"
#include <string>
#include <utility>
#include <vector>

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

/// An ordered list of name/value pairs. Order is kept on the wire
/// (metadata.json, labels) so output is deterministic.
using KeyValueList = std::vector<std::pair<std::string, std::string>>;

/// What a MetadataProvider detected about the host.
///
/// kind is "ec2", "ecs", "onprem", "unknown" or a custom word chosen by a
/// third-party provider. fields are the kind's facts in a fixed order:
///   ec2:    accountId, region, instanceId, instanceType
///   ecs:    accountId, region, taskArn, clusterArn, cpuLimit, memoryLimit
///   onprem: hostname, then any configured fields
/// labels are labels the provider detected (most detect none); the agent
/// appends the labels = of the provider's [metadata.<name>] section to
/// them, and adds them all to every profile's labels.
struct ASPROF_SDK_API HostMetadata
{
	std::string kind = "unknown";
	KeyValueList fields;
	KeyValueList labels;

	/// Returns the value of the named field, or defaultValue if absent.
	std::string field(const std::string& name, const std::string& defaultValue = std::string()) const;

	/// Sets the named field, replacing an existing value in place
	/// or appending a new one.
	void setField(const std::string& name, const std::string& value);

	/// The metadata of a machine known only by its name: kind "onprem"
	/// and the field hostname = hostname, else this machine's node name
	/// (uname), else "unknown". The agent's fallback when no provider
	/// answers, and the onprem plugin's answer.
	static HostMetadata onprem(const std::string& hostname = std::string());
};

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_HostMetadata_INCLUDED
