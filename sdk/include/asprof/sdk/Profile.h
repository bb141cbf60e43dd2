//
// Profile.h
//
// One reporting interval's recording and everything known about it.
//

#ifndef Asprof_Sdk_Profile_INCLUDED
#define Asprof_Sdk_Profile_INCLUDED

#include "asprof/sdk/Export.h"
#include "asprof/sdk/HostMetadata.h"
#include "asprof/sdk/Recording.h"
#include "Poco/Timespan.h"
#include "Poco/Timestamp.h"
#include <cstdint>
#include <memory>
#include <string>

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

/// What a Reporter receives. The agent fills every field before
/// Reporter::report() is called; a reporter must not keep references to
/// the Profile after report() returns, but may copy the shared recording.
struct Profile
{
	/// 1 for the first interval of this agent run, increasing by one per
	/// rotation (empty intervals are not reported but still consume a number).
	std::uint64_t seq = 0;

	/// Wall-clock time just after async-profiler's start returned.
	Poco::Timestamp start;

	/// Wall-clock time just after async-profiler's stop returned.
	Poco::Timestamp end;

	/// The configured interval (not end - start), as in the Rust agent.
	Poco::Timespan reportingInterval;

	/// The profiled process.
	int pid = 0;

	/// The host's identity (resolved once, lazily, then cached).
	HostMetadata host;

	/// The agent's labels followed by the host metadata's labels.
	KeyValueList labels;

	/// The async-profiler start command without the file= argument.
	std::string profilerArgs;

	/// The JFR data; never null and never empty when reported.
	std::shared_ptr<const Recording> recording;
};

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_Profile_INCLUDED
