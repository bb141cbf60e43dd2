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

using KeyValueList = std::vector<std::pair<std::string, std::string>>;
	/// An ordered list of name/value pairs. Order is kept on the wire
	/// (metadata.json, labels) so output is deterministic.

struct ASPROF_SDK_API HostMetadata
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
{
	std::string kind = "unknown";
	KeyValueList fields;
	KeyValueList labels;

	std::string field(const std::string& name, const std::string& defaultValue = std::string()) const;
		/// Returns the value of the named field, or defaultValue if absent.

	void setField(const std::string& name, const std::string& value);
		/// Sets the named field, replacing an existing value in place
		/// or appending a new one.

	static HostMetadata onprem(const std::string& hostname = std::string());
		/// The metadata of a machine known only by its name: kind "onprem"
		/// and the field hostname = hostname, else this machine's node name
		/// (uname), else "unknown". The agent's fallback when no provider
		/// answers, and the onprem plugin's answer.
};

} } } // namespace asprof::sdk::abi<N>

#endif // Asprof_Sdk_HostMetadata_INCLUDED
