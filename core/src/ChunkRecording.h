//
// ChunkRecording.h
//
// One interval's finished JFR chunks, read in place from the recording file.
//

#ifndef Asprof_Agent_ChunkRecording_INCLUDED
#define Asprof_Agent_ChunkRecording_INCLUDED

#include "FileRecording.h"
#include "asprof/sdk/Recording.h"
#include <cstdint>
#include <memory>
#include <string>

namespace asprof {
namespace agent {

/// The byte range [offset, offset + length) of a recording file that
/// async-profiler goes on writing after it: the chunk(s) it finished at
/// one chunk switch ("dump"). Finished chunks are self-contained, so the
/// range is a valid JFR on its own, and async-profiler never writes into
/// it again (it only appends, and patches the header of the chunk it is
/// writing). The file is shared, reference-counted: it lives until the
/// last range cut from it and the loop are done with it.
///
/// Reads are pread()s at explicit offsets, thread-safe like
/// FileRecording's. Nothing is copied: readers that need a jfr::Input
/// read the range in place (openForReading, jfr::Input::fromRange).
class ChunkRecording final: public sdk::Recording
{
public:
	ChunkRecording(std::shared_ptr<const FileRecording> file, std::uint64_t offset, std::uint64_t length);

	~ChunkRecording() override;

	/// The range's length.
	std::uint64_t size() const override;

	std::string readAll() const override;
	void copyTo(std::ostream& out) const override;

	/// The recording file's descriptor (owned by the file: dup it to keep
	/// it; read only the range).
	int fd() const;

	/// Where the range starts in the recording file.
	std::uint64_t offset() const;

private:
	std::shared_ptr<const FileRecording> _file;
	std::uint64_t _offset;
	std::uint64_t _length;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_ChunkRecording_INCLUDED
