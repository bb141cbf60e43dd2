//
// ChunkRecording.h
//
// One interval's finished JFR chunks, read in place from the recording file.
//

#ifndef Asprof_Agent_ChunkRecording_INCLUDED
#define Asprof_Agent_ChunkRecording_INCLUDED

#include "ChunkSettings.h"
#include "FileRecording.h"
#include "asprof/jfr/Input.h"
#include "asprof/sdk/Recording.h"
#include "asprof/sdk/RecordingStream.h"
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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
/// A chunk after a file's first lacks async-profiler's settings (it
/// writes them into a file's first chunk only). Given the file's
/// ChunkSettings, every such chunk of the range carries a copy of them,
/// right after its header (before any sample, where async-profiler puts
/// them; its own converter reads the intervals at the first sample), and
/// its header says the larger size and the shifted offsets. The profile is
/// then pieces: the patched headers and the settings in memory, the rest
/// of each chunk read in place from the file; the file is never written.
/// The pieces are worked out once, at the first read, on the reading
/// thread (a lane, the endpoint), never on the control thread.
///
/// Reads are pread()s at explicit offsets, thread-safe like
/// FileRecording's. Nothing is copied: readers that need a jfr::Input
/// read the pieces in place (openForReading, jfr::Input::fromPieces), and
/// readAt() (sdk::RecordingRanges) reads any part of them.
class ChunkRecording final: public sdk::Recording, public sdk::RecordingRanges
{
public:
	ChunkRecording(std::shared_ptr<const FileRecording> file, std::uint64_t offset, std::uint64_t length,
		std::shared_ptr<const ChunkSettings> settings = nullptr);

	~ChunkRecording() override;

	/// The size of the profile: the range's length, and the settings
	/// inserted into it. Reads the file at the first call.
	std::uint64_t size() const override;

	std::string readAll() const override;
	void copyTo(std::ostream& out) const override;
	std::size_t readAt(std::uint64_t offset, char* buffer, std::size_t length) const override;

	/// The recording file's descriptor (owned by the file: dup it to keep
	/// it; read only the range).
	int fd() const;

	/// Where the range starts in the recording file.
	std::uint64_t offset() const;

	/// The range's own length in the file.
	std::uint64_t length() const;

	/// The profile's pieces in order: file ranges and, where a chunk gets
	/// the settings, its patched header and the settings. Throws
	/// Poco::FileException when reading the file fails (a later call tries
	/// again).
	const std::vector<jfr::Input::Piece>& pieces() const;

private:
	std::shared_ptr<const FileRecording> _file;
	std::uint64_t _offset;
	std::uint64_t _length;
	std::shared_ptr<const ChunkSettings> _settings;
	mutable std::once_flag _laid;
	mutable std::vector<jfr::Input::Piece> _pieces;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_ChunkRecording_INCLUDED
