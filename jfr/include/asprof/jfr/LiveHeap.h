//
// LiveHeap.h
//
// The sampled native allocations still live across any number of
// recordings: what the agent answers /debug/pprof/heap from.
//

#ifndef Asprof_Jfr_LiveHeap_INCLUDED
#define Asprof_Jfr_LiveHeap_INCLUDED

#include "asprof/jfr/Export.h"
#include "asprof/jfr/Input.h"
#include <cstdint>
#include <memory>
#include <ostream>

namespace asprof {
namespace jfr {

/// What a LiveHeap holds and what it has seen.
struct ASPROF_JFR_API LiveHeapStats
{
	std::uint64_t recordings = 0;      ///< recordings added
	std::uint64_t liveAllocations = 0; ///< sampled allocations not freed yet
	std::uint64_t liveBytes = 0;       ///< their sizes
	std::uint64_t allocations = 0;     ///< profiler.Malloc events since the start (or clear())
	std::uint64_t allocatedBytes = 0;  ///< their sizes
	std::uint64_t frees = 0;           ///< profiler.Free events that freed a live allocation
	std::uint64_t unmatchedFrees = 0;  ///< frees of a block never sampled (ignored)
	std::uint64_t evicted = 0;         ///< live allocations forgotten at the cap (the smallest)
	std::uint64_t evictedBytes = 0;    ///< their sizes
	std::uint64_t stacks = 0;          ///< distinct stacks held
};

/// A table of live sampled allocations (address -> size, stack), fed one
/// finished recording at a time, in the order they were recorded.
///
/// add() reads a recording's profiler.Malloc and profiler.Free events in
/// time order (each chunk by time, chunks in file order): a Malloc makes
/// its address live (a Malloc at an address already live replaces it:
/// the free was not recorded, e.g. between two recordings), a Free
/// of a live address removes it, a Free of an address never seen is
/// counted in unmatchedFrees and ignored. Allocations live at the end of
/// one recording stay live into the next, so a leak that spans
/// recordings shows.
///
/// Memory is bounded: at most maxAllocations live entries after each
/// add(); beyond that the smallest are evicted (of equal sizes the
/// youngest; counted in evicted/evictedBytes), so what is kept is the
/// largest. Eviction costs time linear in the table, only when over the
/// cap. Stacks are interned once by their named frames (stack ids are
/// per chunk): memory grows with distinct stacks, not with events or
/// recordings; a stack with no live allocation keeps only its alloc_*
/// totals.
///
/// Thread-safe: add(), writePprof(), stats() and clear() may be called
/// from different threads; writePprof() sees the table between two add()s
/// and waits only while a read recording is applied, not while it is
/// read. Concurrent add()s are applied one after the other.
class ASPROF_JFR_API LiveHeap
{
public:
	static constexpr std::size_t DEFAULT_MAX_ALLOCATIONS = 1000000;

	explicit LiveHeap(std::size_t maxAllocations = DEFAULT_MAX_ALLOCATIONS);
	~LiveHeap();

	LiveHeap(const LiveHeap&) = delete;
	LiveHeap& operator=(const LiveHeap&) = delete;

	/// Applies one recording. Throws JfrError (naming the input and the
	/// offset) when it cannot be read; the table is then as it was
	/// before the call (all or nothing): the whole recording is read
	/// before the table is touched. A recording without native memory
	/// events only counts in recordings. A last chunk still being
	/// written is an error: give finished recordings.
	void add(const Input& recording);

	/// The heap as a pprof profile the way Go's runtime/pprof writes
	/// /debug/pprof/heap: sample types alloc_objects/count,
	/// alloc_space/bytes, inuse_objects/count, inuse_space/bytes (the
	/// default sample type: inuse_space; period space/bytes, the last
	/// recording's nativemem=N setting), one sample per stack, frames
	/// named as PprofWriter names them. Allocation counts are of
	/// sampled events (async-profiler samples every nativemem=N bytes);
	/// no unsampling is applied.
	void writePprof(std::ostream& out, bool gzip = true) const;

	/// A consistent snapshot (between two add()s).
	LiveHeapStats stats() const;

	/// Forgets everything (a new agent start).
	void clear();

private:
	struct Impl;
	std::unique_ptr<Impl> _impl;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_LiveHeap_INCLUDED
