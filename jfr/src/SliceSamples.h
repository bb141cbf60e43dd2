//
// SliceSamples.h
//
// The samples of one slice of a chunk, summed per stack and thread in the
// order each was first seen (internal: what StackCollector's threads sum
// before it adds their slices up, in order).
//

#ifndef Asprof_Jfr_SliceSamples_INCLUDED
#define Asprof_Jfr_SliceSamples_INCLUDED

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
/// Thread 0 with a small stack id (async-profiler's are below 65536 unless
/// a recording holds more stacks) is indexed directly; other keys are
/// hashed. Aligned to a cache line: each thread writes only its own.
class alignas(64) SliceSamples
{
public:
	void add(const Sample& sample);

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
	static constexpr std::int32_t DIRECT_STACKS = 1 << 20;

	static bool direct(const Sample& sample)
	{
		return sample.tid == 0 && sample.stackId >= 0 && sample.stackId < DIRECT_STACKS;
	}

	std::uint32_t& hashedSlot(const Sample& sample);
	void rehash();

	struct DirectSum
	{
		std::int64_t samples = 0;
		std::int64_t value = 0;
	};

	std::vector<DirectSum> _direct;                                          ///< by stack id: one cache line access an event
	std::vector<std::uint64_t> _seen;                                        ///< by stack id, a bit each: in _sums already
	std::vector<std::uint32_t> _slots = std::vector<std::uint32_t>(1024, 0); ///< open addressing: index into _sums + 1, or 0
	int _shift = 64 - 10;                                                    ///< the hash's top bits index _slots
	std::size_t _hashed = 0;
	std::vector<std::pair<std::uint64_t, Sample>> _early;
	std::vector<Sample> _patch;
	std::vector<Sample> _sums; ///< keys in first-seen order; a direct one's sums are in _direct until sums()
	std::uint64_t _events = 0;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_SliceSamples_INCLUDED
