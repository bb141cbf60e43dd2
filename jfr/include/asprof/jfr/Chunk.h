//
// Chunk.h
//
// One chunk of a recording: its header, its types and its constant pools.
//

#ifndef Asprof_Jfr_Chunk_INCLUDED
#define Asprof_Jfr_Chunk_INCLUDED

#include "asprof/jfr/Export.h"
#include "asprof/jfr/Metadata.h"
#include "asprof/jfr/Value.h"
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace asprof {
namespace jfr {

/// The 68-byte header at the start of every chunk.
struct ASPROF_JFR_API ChunkHeader
{
	int index = 0;            ///< 1-based position in the input
	std::uint64_t offset = 0; ///< of the chunk in the input
	std::uint64_t size = 0;   ///< of the whole chunk, header included
	std::uint16_t major = 0;
	std::uint16_t minor = 0;
	std::uint64_t constantPoolOffset = 0; ///< relative to the chunk
	std::uint64_t metadataOffset = 0;     ///< relative to the chunk
	std::int64_t startNanos = 0;          ///< wall clock, ns since the epoch
	std::int64_t durationNanos = 0;
	std::int64_t startTicks = 0;
	std::int64_t ticksPerSecond = 0;
	std::uint32_t features = 0; ///< bit 0: compressed integers

	static const std::size_t SIZE = 68;

	/// startNanos + durationNanos, pinned at INT64_MIN/MAX for hostile values.
	std::int64_t endNanos() const;
};

/// One frame of a stack trace, as recorded.
struct ASPROF_JFR_API Frame
{
	std::uint64_t method = 0; ///< jdk.types.Method pool id
	std::int32_t line = 0;
	std::int32_t bytecodeIndex = 0;
	std::uint64_t type = 0; ///< jdk.types.FrameType pool id
};

/// frames[0] is the leaf (the innermost call), as in JFR.
struct ASPROF_JFR_API StackTrace
{
	bool truncated = false;
	std::vector<Frame> frames;
};

/// The constant pools of one chunk (every checkpoint event of it). Ids
/// are the chunk's own: a file of concatenated recordings reuses them.
class ASPROF_JFR_API ConstantPools
{
public:
	struct Entry
	{
		std::vector<Value> values; ///< one per field of the pool's type
	};

	/// The entry of a generic pool, or nullptr.
	const Entry* find(std::uint64_t typeId, std::uint64_t id) const;

	const StackTrace* stackTrace(std::uint64_t id) const;
	const std::string* symbol(std::uint64_t id) const; ///< jdk.types.Symbol
	const std::string* string(std::uint64_t id) const; ///< java.lang.String pool

	/// A String as UTF-8, a StringReference resolved (empty if unknown).
	std::string text(const Value& value) const;

	/// Entries in the pool of typeId (stack traces and symbols included).
	std::size_t size(std::uint64_t typeId) const;

private:
	friend class Reader;

	std::unordered_map<std::uint64_t, std::unordered_map<std::uint64_t, Entry>> _pools;
	std::unordered_map<std::uint64_t, StackTrace> _stackTraces;
	std::unordered_map<std::uint64_t, std::string> _symbols;
	std::unordered_map<std::uint64_t, std::string> _strings;
	std::uint64_t _stackTraceType = ~std::uint64_t(0);
	std::uint64_t _symbolType = ~std::uint64_t(0);
	std::uint64_t _stringType = ~std::uint64_t(0);
};

/// What a visitor sees of the chunk being read.
class ASPROF_JFR_API Chunk
{
public:
	const ChunkHeader& header() const
	{
		return _header;
	}

	const Metadata& metadata() const
	{
		return _metadata;
	}

	const ConstantPools& pools() const
	{
		return _pools;
	}

	/// Wall-clock ns since the epoch of a tick value of this chunk
	/// (startNanos + (ticks - startTicks) * 1e9 / ticksPerSecond). Any tick
	/// value is accepted: a result past what 64 bits hold saturates, it never
	/// wraps (a hostile recording may carry any number).
	std::int64_t ticksToNanos(std::int64_t ticks) const;

	/// The inverse of ticksToNanos: the tick value of this chunk at a wall-clock
	/// time in ns since the epoch; saturates the same way.
	std::int64_t nanosToTicks(std::int64_t nanos) const;

	/// Nanoseconds spanned by a tick difference (ticks * 1e9 / ticksPerSecond),
	/// saturated.
	std::int64_t tickSpanToNanos(double ticks) const;

	const std::string& inputName() const
	{
		return _inputName;
	}

private:
	friend class Reader;

	std::string _inputName;
	ChunkHeader _header;
	Metadata _metadata;
	ConstantPools _pools;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Chunk_INCLUDED
