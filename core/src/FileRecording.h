//
// FileRecording.h
//
// The agent's recordings: anonymous files async-profiler writes.
//

#ifndef Asprof_Agent_FileRecording_INCLUDED
#define Asprof_Agent_FileRecording_INCLUDED

#include "asprof/sdk/Recording.h"
#include "asprof/sdk/RecordingStream.h"
#include <memory>
#include <string>

namespace asprof {
namespace agent {

/// An anonymous file (O_TMPFILE, else mkstemp + unlink), mode 0600,
/// that async-profiler writes through "/proc/self/fd/N".
///
/// Reads use pread() at explicit offsets (thread-safe, see
/// sdk::Recording). The descriptor is closed when the FileRecording is
/// destroyed, unless leak() was called (when async-profiler may still
/// write to it). A RecordingRanges too: readAt() is one pread() loop.
class FileRecording final: public sdk::Recording, public sdk::RecordingRanges
{
public:
	/// Creates an empty anonymous file in directory (an empty string means
	/// $TMPDIR or /tmp). Throws Poco::FileException naming the directory
	/// and the reason when it cannot.
	static std::unique_ptr<FileRecording> create(const std::string& directory);

	/// Creates an anonymous recording holding a copy of the given file.
	/// For tests, tools and replay. Throws Poco::FileException.
	static std::unique_ptr<FileRecording> fromFile(const std::string& path);

	~FileRecording() override;

	/// Returns the file descriptor, or -1 after leak().
	int fd() const;

	/// Returns "/proc/self/fd/N", the name async-profiler writes to.
	std::string path() const;

	std::uint64_t size() const override;
	std::string readAll() const override;
	void copyTo(std::ostream& out) const override;
	std::size_t readAt(std::uint64_t offset, char* buffer, std::size_t length) const override;

	/// Returns up to length bytes from offset (fewer only at the end of
	/// the file). Throws Poco::FileException on I/O errors.
	std::string readRange(std::uint64_t offset, std::uint64_t length) const;

	/// Streams up to length bytes from offset to out. Throws
	/// Poco::FileException on read errors, Poco::WriteFileException when
	/// out fails.
	void copyRangeTo(std::ostream& out, std::uint64_t offset, std::uint64_t length) const;

	/// Forgets the descriptor without closing it. Used after a failed
	/// async-profiler stop: the profiler may still write to the file, so
	/// the number must never be reused for another file.
	void leak() noexcept;

private:
	explicit FileRecording(int fd);

	int _fd;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_FileRecording_INCLUDED
