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
#include <memory>
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
/// costs nothing. The mallocs stay in file order; endMallocs() groups
/// their indexes by address (each address's run found in a hash table,
/// then a counting sort), never comparing addresses: a free finds its
/// run in the table, and the malloc it matches lies near the other
/// recent ones in memory.
///
/// Events are ordered by (time, offset): offset is the event's position
/// in its chunk, which must be under 4 GiB.
class LeakMatcher
{
public:
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

	/// The runs of the chunk's mallocs by address: open addressing, each
	/// slot an address and its run (from 1; 0: empty). Frees find their
	/// address's run here in one probe or two, not by a binary search.
	class RunIndex
	{
	public:
		/// Empty, with room for this many addresses before it grows.
		void reset(std::size_t addresses);

		/// The address's run, or runs (as given) when it has none yet.
		std::uint32_t insert(std::uint64_t address, std::uint32_t runs);

		/// The address's run, or -1.
		std::int64_t find(std::uint64_t address) const
		{
			if (_slots.empty()) return -1;
			std::size_t mask = _slots.size() - 1;
			for (std::size_t i = hash(address) >> _shift;; i = (i + 1) & mask)
			{
				const Slot& slot = _slots[i];
				if (slot.run == 0) return -1;
				if (slot.address == address) return static_cast<std::int64_t>(slot.run) - 1;
			}
		}

		void clear();

	private:
		struct Slot
		{
			std::uint64_t address = 0;
			std::uint32_t run = 0; ///< from 1; 0: empty
		};

		static std::uint64_t hash(std::uint64_t address)
		{
			return address * 0x9E3779B97F4A7C15ull;
		}

		void grow();

		std::vector<Slot> _slots;
		int _shift = 64;
		std::size_t _used = 0;
	};

	/// A malloc's key and index: a run's keys side by side, searched
	/// without touching the mallocs.
	struct Ordered
	{
		std::int64_t time = 0;
		std::uint32_t offset = 0;
		std::uint32_t index = 0;

		Key key() const
		{
			return Key{time, offset};
		}
	};

	/// The chunk's i-th malloc (in file order).
	Malloc& mallocAt(std::uint32_t i)
	{
		return _blocks[i >> BLOCK_SHIFT][i & (BLOCK - 1)];
	}
	const Malloc& mallocAt(std::uint32_t i) const
	{
		return _blocks[i >> BLOCK_SHIFT][i & (BLOCK - 1)];
	}

	std::uint32_t nextAfter(std::size_t run, const Key& key);
	void settleAddress(std::size_t first, std::size_t end, std::vector<Survivor>& survivors);
	void growForPeak(std::size_t sizeBefore, std::size_t sizeAfter);
	std::size_t capacityFor(std::size_t size) const;
	template <class Visitor>
	void forEachChange(Visitor visitor) const;

	/// The chunk's mallocs in file order, in blocks: they grow without a
	/// copy, and memory is theirs alone (no count of them first).
	static constexpr unsigned BLOCK_SHIFT = 14;
	static constexpr std::uint32_t BLOCK = 1u << BLOCK_SHIFT;
	std::vector<std::unique_ptr<Malloc[]>> _blocks;
	std::uint32_t _count = 0;                          ///< per chunk: mallocs added
	RunIndex _runIndex;                                ///< per chunk: each address's run
	std::vector<std::uint32_t> _runOf;                 ///< per chunk, until endMallocs(): each malloc's run
	std::vector<Ordered> _order;                       ///< per chunk, after endMallocs(): the mallocs by run, each run by key
	std::vector<std::uint32_t> _runStarts;             ///< per chunk: where each address's run starts in _order; then the end
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
