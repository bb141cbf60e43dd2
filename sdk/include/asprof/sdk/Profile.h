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

struct Profile
	/// What a Reporter receives. The agent fills every field before
	/// Reporter::report() is called; a reporter must not keep references to
	/// the Profile after report() returns, but may copy the shared recording.
{
	std::uint64_t seq = 0;
		/// 1 for the first interval of this agent run, increasing by one per
		/// rotation (empty intervals are not reported but still consume a number).

	Poco::Timestamp start;
		/// Wall-clock time just after async-profiler's start returned.

	Poco::Timestamp end;
		/// Wall-clock time just after async-profiler's stop returned.

	Poco::Timespan reportingInterval;
		/// The configured interval (not end - start), as in the Rust agent.

	int pid = 0;
		/// The profiled process.

	HostMetadata host;
		/// The host's identity (resolved once, lazily, then cached).

	KeyValueList labels;
		/// The agent's labels followed by the host metadata's labels.

	std::string profilerArgs;
		/// The async-profiler start command without the file= argument.

	std::shared_ptr<const Recording> recording;
		/// The JFR data; never null and never empty when reported.
};

} } } // namespace asprof::sdk::abi<N>

#endif // Asprof_Sdk_Profile_INCLUDED
