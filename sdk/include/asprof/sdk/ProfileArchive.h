//
// ProfileArchive.h
//
// The zip the Rust agent uploads: the JFR plus metadata.json.
//

#ifndef Asprof_Sdk_ProfileArchive_INCLUDED
#define Asprof_Sdk_ProfileArchive_INCLUDED

#include "asprof/sdk/Export.h"
#include "asprof/sdk/Profile.h"
#include <ostream>
#include <string>

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

/// Builds the archive format shared by the s3, http and local reporters,
/// compatible with the async-profiler Rust agent:
///   1. "async_profiler_dump_0.jfr"  the recording, deflated
///   2. "metadata.json"              deflated
/// metadata.json starts with the Rust agent's fields, same names and units
/// (start, end: ms since the epoch; reporting_interval: ms), followed by
/// our additions: agent {name, version}, pid, seq, host {kind, fields...},
/// labels {...}, profiler {args}.
class ASPROF_SDK_API ProfileArchive
{
public:
	static const std::string JFR_ENTRY;
	static const std::string METADATA_ENTRY;

	/// Returns metadata.json for the profile (compact, keys in the order above).
	static std::string metadataJson(const Profile& profile);

	/// Writes the zip to out. Throws Poco::Exception on I/O errors.
	static void write(const Profile& profile, std::ostream& out);

	/// Returns the zip as bytes.
	static std::string toString(const Profile& profile);
};

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_ProfileArchive_INCLUDED
