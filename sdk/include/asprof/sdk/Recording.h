//
// Recording.h
//
// One interval's JFR recording, as a reporter reads it.
//

#ifndef Asprof_Sdk_Recording_INCLUDED
#define Asprof_Sdk_Recording_INCLUDED

#include "asprof/sdk/Export.h"
#include <cstdint>
#include <ostream>
#include <string>

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

/// The JFR data of one profile, read-only. The agent owns the storage
/// (an anonymous file); a reporter only reads it.
///
/// Every function is thread-safe and may be called any number of times:
/// each read starts at the beginning and does not move a shared offset,
/// so several reporter lanes may read the same recording at once.
///
/// readAll() copies the whole recording onto the heap: a reporter that
/// only passes the bytes on should stream them instead, with copyTo()
/// (push) or a RecordingInputStream (pull, asprof/sdk/RecordingStream.h).
/// The agent's recordings are also RecordingRanges (reads at any offset).
class ASPROF_SDK_API Recording
{
public:
	virtual ~Recording();

	Recording(const Recording&) = delete;
	Recording& operator=(const Recording&) = delete;

	/// Returns the size in bytes. Throws Poco::FileException on I/O errors.
	virtual std::uint64_t size() const = 0;

	/// Returns the whole content. Throws Poco::FileException on I/O errors.
	virtual std::string readAll() const = 0;

	/// Streams the whole content to out without holding it all in memory.
	/// Throws Poco::FileException on read errors, Poco::WriteFileException
	/// when out fails.
	virtual void copyTo(std::ostream& out) const = 0;

protected:
	Recording() = default;
};

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_Recording_INCLUDED
