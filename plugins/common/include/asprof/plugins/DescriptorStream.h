//
// DescriptorStream.h
//
// Streams over file descriptors, for the reporters that stream a recording
// (or what they build from it) instead of holding it in a string (static,
// PIC, linked into each plugin; never exported).
//

#ifndef Asprof_Plugins_DescriptorStream_INCLUDED
#define Asprof_Plugins_DescriptorStream_INCLUDED

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

namespace asprof {
namespace plugins {

/// An ostream writing to a descriptor it does not own, through a 64 KiB
/// buffer, seekable (seekp/tellp are lseek on the descriptor, after the
/// buffer is written): what Poco::Zip::Compress needs to patch a local
/// header after its entry.
///
/// A failed write or seek sets badbit, as any ostream, and the stream
/// remembers the first errno: close() then throws it. So a writer that
/// ignores the stream's state (Poco's zip and deflate streams do at
/// places) cannot turn a full disk into a silently cut file: call close()
/// before trusting what was written.
class DescriptorOutputStream: public std::ostream
{
public:
	/// name is what messages call the file (a path, "memory file for ...").
	DescriptorOutputStream(int fd, const std::string& name);
	~DescriptorOutputStream() override;

	DescriptorOutputStream(const DescriptorOutputStream&) = delete;
	DescriptorOutputStream& operator=(const DescriptorOutputStream&) = delete;

	/// Writes what is buffered. Throws Poco::FileException with the first
	/// failure's errno as its code ("write failed", "seek failed"), or with
	/// code 0 when the stream failed otherwise (a writer set badbit).
	void close();

private:
	class Buffer;
	std::unique_ptr<Buffer> _buffer;
	std::string _name;
};

/// An anonymous file in memory (memfd_create), for a body that must be
/// complete before it is sent (its length and digests go into the
/// request's headers): the zip, a gzipped body. Its pages are the
/// kernel's (shared memory, page cache), never the heap, and go with the
/// last descriptor.
class MemoryFile
{
public:
	/// Throws Poco::FileException (errno as code) when memfd_create fails.
	explicit MemoryFile(const std::string& name);
	~MemoryFile();

	MemoryFile(const MemoryFile&) = delete;
	MemoryFile& operator=(const MemoryFile&) = delete;

	/// The file's stream, seekable, at the end of what was written.
	DescriptorOutputStream& out();

	/// Closes out() (throws as DescriptorOutputStream::close) and returns
	/// the file's size. Call it once, after the last write.
	std::uint64_t finish();

	/// The size finish() returned.
	std::uint64_t size() const;

	/// Streams the whole file, as finished, to out (pread: any number of
	/// times, from the start each time). Throws Poco::FileException (errno
	/// as code) on read errors, Poco::WriteFileException when out fails
	/// without throwing, and whatever out throws.
	void copyTo(std::ostream& out) const;

	const std::string& name() const;

private:
	int _fd;
	std::string _name;
	std::unique_ptr<DescriptorOutputStream> _out;
	std::uint64_t _size = 0;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_DescriptorStream_INCLUDED
