//
// LeakMatcher.h
//
// The live allocations of --leak across chunks, fed each chunk's mallocs
// first and then its frees, so that frees are never stored (internal: what
// StackCollector uses for --nativemem --leak).
//

#ifndef Asprof_Jfr_LeakMatcher_INCLUDED
#define Asprof_Jfr_LeakMatcher_INCLUDED

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

namespace asprof {
namespace jfr {

/// The same as async-profiler's MallocLeakAggregator: per chunk, its
/// events sorted by time (stably: equal times in file order) replayed
/// into a HashMap<Long, MallocEvent>, a malloc putting its address (a
/// live one replaced in place), a free or an empty malloc removing it;
/// forEachLive() visits the map in HashMap order. But a chunk's mallocs are
/// given first (addMalloc, then endMallocs), then its frees (addFree,
/// then endChunk): each free is matched at once to the malloc just
/// before it at its address, and dropped. The map's iteration order is
/// kept as (bucket, put order), its capacity from the largest size the
/// replay reaches. Memory: the chunk's mallocs and the live map; a free
/// costs nothing.
///
/// Events are ordered by (time, offset): offset is the event's position
/// in its chunk, which must be under 4 GiB.
class LeakMatcher
{
public:
	/// Room for this many of the next chunk's mallocs (a guess, never a limit).
	void reserve(std::size_t mallocs);

	/// site: the caller's index for the stack (and thread) of the malloc.
	/// A size of 0 or less removes, as a free does.
	void addMalloc(std::uint64_t address, std::int64_t time, std::uint32_t offset, std::int64_t size, std::uint32_t site);
	void endMallocs();
	void addFree(std::uint64_t address, std::int64_t time, std::uint32_t offset);

	/// Settles the chunk into the live map.
	void endChunk();

	/// The live allocations made at or before cutoff, in HashMap order.
	void forEachLive(std::int64_t cutoff, const std::function<void(std::uint32_t site, std::int64_t size)>& visitor) const;
	void clear();

private:
	struct Key
	{
		std::int64_t time = 0;
		std::uint32_t offset = 0;
		std::int32_t delta = 0; ///< growForPeak: +1 a put, -1 a removal

		bool operator<(const Key& other) const
		{
			return time != other.time ? time < other.time : offset < other.offset;
		}
	};
	/// 48 bytes: the keys' parts side by side.
	struct Malloc
	{
		std::uint64_t address = 0;
		std::int64_t time = 0;
		std::int64_t freeTime = 0; ///< of the first free after it (when freed)
		std::int64_t size = 0;
		std::uint32_t offset = 0;
		std::uint32_t freeOffset = 0;
		std::uint32_t site = 0;
		bool freed = false;
		bool inserted = false; ///< put a new key (rather than replacing a live one)

		Key key() const
		{
			return Key{time, offset};
		}
		Key freeKey() const
		{
			return Key{freeTime, freeOffset};
		}
	};
	struct Live
	{
		std::int64_t time = 0;
		std::int64_t size = 0;
		std::uint32_t site = 0;
		std::uint64_t rank = 0; ///< put order of the key
	};
	struct Survivor
	{
		std::uint64_t address;
		Key inserted;
		Live live;
	};

	/// The chunk's puts and removals counted per slice of its time span.
	struct Slices
	{
		Slices(const LeakMatcher& matcher, std::size_t count);
		std::size_t of(std::int64_t time) const;

		std::int64_t start = 0;
		std::uint64_t width = 1;
		std::vector<std::uint32_t> puts;
		std::vector<std::uint32_t> removals;
	};

	std::uint32_t nextAfter(std::size_t run, const Key& key);
	void settleAddress(std::size_t first, std::size_t end, std::vector<Survivor>& survivors);
	void growForPeak(std::size_t sizeBefore, std::size_t sizeAfter);
	std::size_t capacityFor(std::size_t size) const;
	template <class Visitor>
	void forEachChange(Visitor visitor) const;

	std::vector<Malloc> _mallocs;                      ///< per chunk; by address, then key, after endMallocs()
	std::vector<std::uint64_t> _runAddresses;          ///< per chunk: the addresses of _mallocs, once each
	std::vector<std::uint32_t> _runStarts;             ///< per chunk: where each address's mallocs start; then the end
	std::vector<std::uint32_t> _runCursors;            ///< per chunk: where each address's last free was looked up
	std::vector<Malloc> _removals;                     ///< per chunk: empty mallocs, matched as frees
	std::unordered_map<std::uint64_t, Key> _freedLive; ///< per chunk: live before it, freed before its mallocs there
	std::unordered_map<std::uint64_t, Live> _live;
	std::uint64_t _rank = 0;
	std::size_t _capacity = 16;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_LeakMatcher_INCLUDED
