//
// RecordingStream.h
//
// Reading a Recording piece by piece: an istream over it, and the interface
// the agent's recordings offer for it.
//

#ifndef Asprof_Sdk_RecordingStream_INCLUDED
#define Asprof_Sdk_RecordingStream_INCLUDED

#include "asprof/sdk/Export.h"
#include "asprof/sdk/Recording.h"
#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

/// Reads any part of a recording without holding the whole of it. Every
/// Recording the agent hands to a reporter also is a RecordingRanges
/// (find it with dynamic_cast<const RecordingRanges*>); RecordingInputStream
/// reads through it. A Recording of your own (tests, tools) may implement it
/// too.
///
/// Thread-safe like Recording: reads at explicit offsets, no shared position.
class ASPROF_SDK_API RecordingRanges
{
public:
	virtual ~RecordingRanges();

	RecordingRanges(const RecordingRanges&) = delete;
	RecordingRanges& operator=(const RecordingRanges&) = delete;

	/// Copies up to length bytes of the recording, from offset on, into
	/// buffer and returns how many it copied: length, fewer only where the
	/// recording ends (0 at or past its end). The bytes are those readAll()
	/// returns at the same offsets. Throws Poco::FileException on I/O errors.
	virtual std::size_t readAt(std::uint64_t offset, char* buffer, std::size_t length) const = 0;

protected:
	RecordingRanges() = default;
};

/// An istream of a recording's bytes, from the first to the last, read
/// 64 KiB at a time: what a reporter hands to a stream consumer (a zip
/// writer, a compressor) instead of readAll()'s copy. A recording that is
/// not a RecordingRanges (a third party's) is read with readAll() once, at
/// the first read, and held by the stream until it is destroyed.
///
/// The stream yields exactly size() bytes (size() as at construction),
/// then end of file. Its exceptions() include badbit: a read error (the
/// recording's Poco::FileException, or Poco::ReadFileException when the
/// recording ends before size() bytes) leaves the read call as that
/// exception instead of a silent end of file, so a consumer never takes a
/// cut-short recording for a whole one.
///
/// The recording must outlive the stream. One stream is for one thread;
/// several streams may read one recording at once.
class ASPROF_SDK_API RecordingInputStream: public std::istream
{
public:
	/// Throws what recording.size() throws.
	explicit RecordingInputStream(const Recording& recording);
	~RecordingInputStream() override;

	RecordingInputStream(const RecordingInputStream&) = delete;
	RecordingInputStream& operator=(const RecordingInputStream&) = delete;

	/// The number of bytes the stream yields: the recording's size().
	std::uint64_t size() const;

private:
	class Buffer;
	std::unique_ptr<Buffer> _buffer;
};

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_RecordingStream_INCLUDED
