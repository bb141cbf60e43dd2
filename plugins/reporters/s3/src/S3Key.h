//
// S3Key.h
//
// Object keys in the Rust agent's layout.
//

#ifndef Asprof_Plugins_S3Key_INCLUDED
#define Asprof_Plugins_S3Key_INCLUDED

#include "asprof/sdk/HostMetadata.h"
#include "Poco/Timestamp.h"
#include <string>

namespace asprof {
namespace plugins {

/// profile_{profilingGroup}_{machine}_{pid}_{time}.zip, as the async-profiler
/// Rust agent writes it, so its tooling finds our profiles:
///   machine: ec2_{instanceId}_ | ecs_{taskArn}_ | onprem__ | unknown__
///            (every byte of the id but A-Z a-z 0-9 . : - replaced by '-',
///            so '/', '_', spaces and line breaks never reach the key)
///   time:    YYYY-MM-DDTHH-MM-SSZ (UTC)
/// preceded by keyPrefix (e.g. "profiles/").
struct S3Key
{
	static std::string machine(const sdk::HostMetadata& host);
	static std::string make(const std::string& keyPrefix, const std::string& profilingGroup, const sdk::HostMetadata& host, int pid,
		const Poco::Timestamp& time);
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_S3Key_INCLUDED
