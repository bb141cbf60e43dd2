//
// ProfileArchive.h
//
// The zip the Rust agent uploads: the JFR plus metadata.json.
//

#ifndef Asprof_Sdk_ProfileArchive_INCLUDED
#define Asprof_Sdk_ProfileArchive_INCLUDED

#include "asprof/sdk/Export.h"
#include "asprof/sdk/PluginContext.h"
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
	/// How hard deflate works; each value is its zlib level. Every zip
	/// and gzip reader reads them all: only CPU time and size differ.
	enum CompressionLevel
	{
		CL_FAST = 1,   ///< zlib 1 (the default): about a third of CL_NORMAL's CPU on a JFR, 5 % larger
		CL_NORMAL = 6, ///< zlib's default, what write() without a level uses
		CL_BEST = 9
	};

	static const std::string JFR_ENTRY;
	static const std::string METADATA_ENTRY;

	/// compressionLevel = fast (default) | normal | best from the plugin's
	/// section; throws Poco::InvalidArgumentException naming the key
	/// (getChoice) for any other value.
	static CompressionLevel readCompressionLevel(const PluginContext& context);

	/// Returns metadata.json for the profile (compact, keys in the order above).
	static std::string metadataJson(const Profile& profile);

	/// Writes the zip to out, deflated at CL_NORMAL. Throws
	/// Poco::Exception on I/O errors.
	static void write(const Profile& profile, std::ostream& out);

	/// Writes the zip to out, deflated at level (the entries' general
	/// purpose flags say "super fast", "normal" or "maximum"). Throws
	/// Poco::Exception on I/O errors (reading the recording included).
	///
	/// The recording is read through a RecordingInputStream and deflated
	/// as it is read: no copy of the JFR is held, only zlib's state and
	/// 64 KiB buffers. out must be seekable (each entry's local header is
	/// patched after its data, as Poco::Zip::Compress does for a seekable
	/// stream), so the same profile gives the same bytes whatever out is:
	/// a std::ostringstream, a file, a memory file. A stream that fails
	/// without throwing may leave the zip cut short: check out (or use a
	/// stream that reports its errors) before trusting what it holds.
	static void write(const Profile& profile, std::ostream& out, CompressionLevel level);

	/// Returns the zip as bytes (CL_NORMAL).
	static std::string toString(const Profile& profile);

	/// Returns the zip as bytes, deflated at level: write() into a string.
	/// The zip is held on the heap (about a fifth of the JFR at CL_FAST);
	/// a reporter that sends or stores it may write() it into its
	/// destination (or a memory file) instead.
	static std::string toString(const Profile& profile, CompressionLevel level);
};

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_ProfileArchive_INCLUDED
