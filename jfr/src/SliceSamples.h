//
// SliceSamples.h
//
// The samples of one slice of a chunk, summed per stack and thread in the
// order each was first seen (internal: what StackCollector's threads sum
// before it adds their slices up, in order).
//

#ifndef Asprof_Jfr_SliceSamples_INCLUDED
#define Asprof_Jfr_SliceSamples_INCLUDED

#include "asprof/jfr/Saturating.h"
#include <cstdint>
#include <utility>
#include <vector>

namespace asprof {
namespace jfr {

/// What one event adds to the aggregation.
struct Sample
{
	std::int32_t stackId = 0;
	std::int32_t tid = 0; ///< 0 without --threads
	std::int64_t samples = 0;
	std::int64_t value = 0;
};

/// Added slice after slice to a chunk's EventAggregator, in first-seen
/// order, the sums lay it out exactly as reading the chunk in one go
/// would (its layout follows the order in which keys first come).
/// Keys are hashed (open addressing, each slot holding its sums): the
/// table grows with the distinct keys only and stays in the cache,
/// where one indexed by stack id took megabytes to clear for a few
/// thousand stacks. Aligned to a cache line: each thread writes only
/// its own.
class alignas(64) SliceSamples
{
public:
	void add(const Sample& sample)
	{
		++_events;
		std::uint64_t key = (std::uint64_t(static_cast<std::uint32_t>(sample.stackId)) << 32) | static_cast<std::uint32_t>(sample.tid);
		Slot& slot = slotOf(key);
		if (slot.order == 0) return addNew(key, sample);
		// Java's long arithmetic wraps; ours stops at the ends.
		slot.samples = saturating::add(slot.samples, sample.samples);
		slot.value = saturating::add(slot.value, sample.value);
	}

	/// Kept aside, one by one, with the event's position: the events a
	/// slice read before it knew where its true events begin.
	void addEarly(std::uint64_t position, const Sample& sample);

	const std::vector<std::pair<std::uint64_t, Sample>>& early() const
	{
		return _early;
	}

	/// Kept aside: the events read after the slice's end, up to where
	/// the next slice's true events begin.
	void addPatch(const Sample& sample)
	{
		_patch.push_back(sample);
	}

	const std::vector<Sample>& patch() const
	{
		return _patch;
	}

	/// In first-seen order (call once all are added).
	const std::vector<Sample>& sums();

	std::uint64_t events() const
	{
		return _events;
	}

private:
	/// A key and its sums, in one place: one cache line an event.
	struct Slot
	{
		std::uint64_t key = 0; ///< stack id << 32 | tid
		std::int64_t samples = 0;
		std::int64_t value = 0;
		std::uint32_t order = 0; ///< first-seen, from 1; 0: empty
	};

	/// The key's slot: its own, or the empty one where it belongs.
	Slot& slotOf(std::uint64_t key)
	{
		std::size_t mask = _slots.size() - 1;
		for (std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> _shift;; i = (i + 1) & mask)
		{
			Slot& slot = _slots[i];
			if (slot.order == 0 || slot.key == key) return slot;
		}
	}

	void addNew(std::uint64_t key, const Sample& sample);
	void rehash();

	std::vector<Slot> _slots = std::vector<Slot>(1024); ///< open addressing
	int _shift = 64 - 10;                               ///< the hash's top bits index _slots
	std::uint32_t _keys = 0;
	std::vector<std::pair<std::uint64_t, Sample>> _early;
	std::vector<Sample> _patch;
	std::vector<Sample> _sums; ///< by sums()
	std::uint64_t _events = 0;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_SliceSamples_INCLUDED
