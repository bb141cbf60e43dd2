//
// JfrChunks.h
//
// Where the finished chunks of a JFR file that async-profiler writes end.
//

#ifndef Asprof_Agent_JfrChunks_INCLUDED
#define Asprof_Agent_JfrChunks_INCLUDED

#include <cstdint>
#include <optional>
#include <vector>

namespace asprof {
namespace agent {

/// Reads the chunk headers of a recording file that async-profiler may
/// still be writing. A JFR file is a sequence of self-contained chunks,
/// each starting with a 68-byte header: magic "FLR\0", major and minor
/// version, then big-endian 64-bit chunk size (offset 8), constant pool
/// offset (16) and metadata offset (24) relative to the chunk. While
/// async-profiler writes a chunk, its header holds a placeholder size
/// (1 GiB) and zero offsets; finishing the chunk (stop, dump, or its own
/// chunksize/chunktime switch) patches them last.
///
/// Only headers are read (one pread per chunk), never the chunks.
class JfrChunks
{
public:
	static const std::uint64_t HEADER_SIZE = 68;

	/// The big-endian 64-bit field at bytes (the header's sizes, offsets, times).
	static std::uint64_t bigEndian64(const unsigned char* bytes);

	/// Walks the chunks from offset from (where a chunk starts) and
	/// returns the end of the last finished one in a row: from itself
	/// when the chunk at from is not finished (or there is none). Stops
	/// at the first chunk that is unfinished, runs past fileSize, or is
	/// not a chunk header. Throws Poco::FileException when a read fails.
	static std::uint64_t finishedEnd(int fd, std::uint64_t from, std::uint64_t fileSize);

	/// Whether [from, fileSize) is not empty and holds only finished
	/// chunks. Never throws.
	static bool onlyFinishedChunks(int fd, std::uint64_t from, std::uint64_t fileSize);

	/// A finished chunk, as its header says.
	struct Finished
	{
		std::uint64_t offset = 0; ///< in the file
		std::uint64_t size = 0;
		std::int64_t startTicks = 0;
		bool compressedIntegers = false; ///< features bit 0
	};

	/// The finished chunk at offset (within fileSize), if there is one.
	/// Throws Poco::FileException when the read fails.
	static std::optional<Finished> finishedAt(int fd, std::uint64_t offset, std::uint64_t fileSize);

	/// The finished chunks in a row from from (a chunk start) up to end:
	/// none when the chunk at from is not finished. Throws
	/// Poco::FileException when a read fails.
	static std::vector<Finished> finishedChunks(int fd, std::uint64_t from, std::uint64_t end);
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_JfrChunks_INCLUDED
