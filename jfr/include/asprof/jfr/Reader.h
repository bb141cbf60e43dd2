//
// Reader.h
//
// Streams the chunks and events of a recording to a visitor.
//

#ifndef Asprof_Jfr_Reader_INCLUDED
#define Asprof_Jfr_Reader_INCLUDED

#include "asprof/jfr/Event.h"
#include "asprof/jfr/Export.h"
#include "asprof/jfr/Input.h"
#include "asprof/jfr/JfrError.h"
#include <optional>
#include <vector>

namespace asprof {
namespace jfr {

/// Reads async-profiler's JFR (format 2.x) in one pass per chunk:
/// header, metadata, every checkpoint (constant pools), then the events
/// streamed in order through a 1 MiB buffer. Memory grows with the
/// constant pools (distinct stacks, methods, threads), not with the
/// number of events. Each chunk is resolved against its own metadata and
/// pools, so concatenated recordings read right.
class ASPROF_JFR_API Reader
{
public:
	/// allowUnfinishedLastChunk: after at least one complete chunk, a
	/// last chunk that runs past the end of the input or was never
	/// finished (no constant pool or metadata offset: async-profiler is
	/// still writing it) ends the reading without an error; see
	/// unfinished(). Async-profiler's converter skips such a chunk too.
	explicit Reader(const Input& input, bool allowUnfinishedLastChunk = false);

	/// Reads every chunk. Throws JfrError (input, chunk, offset) on the
	/// first problem; the visitor has then seen every chunk before it
	/// (and beginChunk() but not endChunk() of the broken one when its
	/// events were being read).
	void read(RecordingVisitor& visitor);

	/// Reads one chunk (a header from chunkHeaders()) on its own. Several
	/// Readers of one Input may read different chunks at once.
	void readChunk(const ChunkHeader& header, RecordingVisitor& visitor);

	/// After read(): the unfinished last chunk that was left out, if any.
	const std::optional<JfrError>& unfinished() const;

	/// Only the chunk headers, walked from one to the next (cheap: for a
	/// recording's time span before reading it). Throws JfrError.
	std::vector<ChunkHeader> chunkHeaders() const;

private:
	void readChunkAt(std::uint64_t offset, int index, RecordingVisitor& visitor);

	const Input& _input;
	bool _allowUnfinishedLastChunk;
	std::optional<JfrError> _unfinished;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Reader_INCLUDED
