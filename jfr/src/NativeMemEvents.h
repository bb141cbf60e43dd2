//
// NativeMemEvents.h
//
// What one recording's profiler.Malloc and profiler.Free events do to a
// table of live allocations (internal: what LiveHeap stages before it
// applies a recording).
//

#ifndef Asprof_Jfr_NativeMemEvents_INCLUDED
#define Asprof_Jfr_NativeMemEvents_INCLUDED

#include "asprof/jfr/Event.h"
#include "asprof/jfr/Input.h"
#include "FrameNamer.h"
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace asprof {
namespace jfr {

/// read() a recording with it, then take its outcome: the final state
/// of every address the recording touched (live with which block, or
/// freed), the allocations per stack, the frees matched and not.
///
/// The same as replaying the events in time order, chunk by chunk (as
/// async-profiler's converter does): a Malloc makes its address live
/// (replacing a live block there), a Free of a live address frees it,
/// any other Free is unmatched. But async-profiler records every free
/// and samples the mallocs: a recording holds far more frees than
/// anyone needs. So each chunk is read twice, its mallocs first (kept,
/// sorted by address and time), then its frees, each looked up at once
/// (the malloc at its address just before it in time, else the state
/// before the chunk) and never stored: memory grows with the sampled
/// mallocs, not with the frees.
///
/// A malloc's stack is resolved against its own chunk's pools and
/// interned by content (one index for equal stacks of different
/// chunks); one whose stack is not in the pools gets the empty stack.
class NativeMemEvents: public RecordingVisitor
{
public:
	using Stack = std::vector<const NamedFrame*>; ///< root first

	/// A live allocation.
	struct Block
	{
		std::uint64_t size = 0;
		std::uint32_t stack = 0; ///< index into stacks()
		std::uint64_t order = 0; ///< allocation order within the recording
	};

	/// The allocations of one stack.
	struct Allocated
	{
		std::int64_t objects = 0;
		std::int64_t bytes = 0;
	};

	/// liveBefore: whether an address is live before this recording.
	explicit NativeMemEvents(std::function<bool(std::uint64_t)> liveBefore);

	/// Every chunk; throws JfrError (an unfinished chunk included).
	void read(const Input& recording);

	void beginChunk(const Chunk& chunk) override;
	bool wants(const Chunk& chunk, const Type& type) override;
	void event(const Chunk& chunk, const Event& event) override;
	void endChunk(const Chunk& chunk) override;

	/// Every address the recording touched: its live block at the end,
	/// or none (freed, or its block replaced and that one freed).
	const std::unordered_map<std::uint64_t, std::optional<Block>>& addresses() const;

	/// Frames owned by this object.
	const std::deque<Stack>& stacks() const;

	/// By stack index.
	const std::vector<Allocated>& allocated() const;

	std::uint64_t allocations() const;
	std::uint64_t allocatedBytes() const;
	std::uint64_t frees() const;           ///< of a live block
	std::uint64_t unmatchedFrees() const;  ///< the others
	std::int64_t samplingInterval() const; ///< the nativemem setting in bytes (the last chunk's), -1 when none says
	std::int64_t startNanos() const;       ///< the span of the chunks read (0 when none)
	std::int64_t endNanos() const;

private:
	struct Malloc
	{
		std::uint64_t address = 0;
		std::int64_t time = 0;
		std::uint64_t size = 0;
		std::uint32_t stack = 0;
		std::uint64_t order = 0;
		bool freed = false;
	};
	struct Fields
	{
		int time = -1;
		int stack = -1;
		int address = -1;
		int size = -1;
		int name = -1;  ///< jdk.ActiveSetting
		int value = -1; ///< jdk.ActiveSetting
	};

	std::uint32_t resolve(const Chunk& chunk, std::uint64_t stackId);
	void onFree(std::uint64_t address, std::int64_t time);
	bool liveBeforeChunk(std::uint64_t address) const;
	void settleChunk();

	std::function<bool(std::uint64_t)> _liveBefore;
	bool _freePass = false;
	FrameNamer _namer;
	std::unordered_map<std::uint64_t, Fields> _fields;             ///< per chunk, by type id
	std::unordered_map<std::uint64_t, std::uint32_t> _chunkStacks; ///< per chunk: stack trace id -> index
	std::unordered_map<std::string, std::uint32_t> _stackIndex;    ///< frame pointers as bytes -> index
	std::deque<Stack> _stacks;
	std::vector<Allocated> _allocated;
	std::vector<Malloc> _chunkMallocs;                    ///< per chunk, by address then time
	std::unordered_set<std::uint64_t> _freedBeforeMalloc; ///< per chunk: blocks live before it, freed
	std::unordered_map<std::uint64_t, std::optional<Block>> _addresses;
	std::uint64_t _order = 0;
	std::uint64_t _allocations = 0;
	std::uint64_t _allocatedBytes = 0;
	std::uint64_t _frees = 0;
	std::uint64_t _unmatchedFrees = 0;
	std::uint64_t _settingType = ~std::uint64_t(0); ///< per chunk: jdk.ActiveSetting's id
	std::int64_t _samplingInterval = -1;
	std::int64_t _startNanos = 0;
	std::int64_t _endNanos = 0;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_NativeMemEvents_INCLUDED
