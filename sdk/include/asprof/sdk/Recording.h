//
// Recording.h
//
// One interval's JFR recording: an anonymous file owned by the agent.
//

#ifndef Asprof_Sdk_Recording_INCLUDED
#define Asprof_Sdk_Recording_INCLUDED

#include "asprof/sdk/Export.h"
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

namespace asprof {
namespace sdk {

class ASPROF_SDK_API Recording
	/// An anonymous file (O_TMPFILE, else mkstemp + unlink), mode 0600,
	/// that async-profiler writes through "/proc/self/fd/N".
	///
	/// Reading is thread-safe: every read uses pread() at an explicit offset,
	/// so several reporter lanes may read the same recording at once.
	/// The descriptor is closed when the Recording is destroyed, unless
	/// leak() was called (used when async-profiler may still write to it).
{
public:
	static std::unique_ptr<Recording> create(const std::string& directory);
		/// Creates an empty anonymous file in directory (an empty string means
		/// $TMPDIR or /tmp). Throws Poco::FileException naming the directory
		/// and the reason when it cannot.

	static std::unique_ptr<Recording> fromFile(const std::string& path);
		/// Creates an anonymous recording holding a copy of the given file.
		/// For tests, tools and replay. Throws Poco::FileException.

	~Recording();

	Recording(const Recording&) = delete;
	Recording& operator = (const Recording&) = delete;

	int fd() const;
		/// Returns the file descriptor, or -1 after leak().

	std::string path() const;
		/// Returns "/proc/self/fd/N", the name async-profiler writes to.

	std::uint64_t size() const;
		/// Returns the current size in bytes (fstat). Throws Poco::FileException.

	std::string readAll() const;
		/// Returns the whole content. Throws Poco::FileException on I/O errors.

	void copyTo(std::ostream& out) const;
		/// Streams the whole content to out without holding it all in memory.
		/// Throws Poco::FileException on read errors, Poco::WriteFileException
		/// when out fails.

	void leak() noexcept;
		/// Forgets the descriptor without closing it. Used after a failed
		/// async-profiler stop: the profiler may still write to the file, so
		/// the number must never be reused for another file.

private:
	explicit Recording(int fd);

	int _fd;
};

} } // namespace asprof::sdk

#endif // Asprof_Sdk_Recording_INCLUDED
