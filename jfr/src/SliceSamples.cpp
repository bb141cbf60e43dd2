#include "SliceSamples.h"
#include <algorithm>

namespace asprof {
namespace jfr {

void SliceSamples::addNew(std::uint64_t key, const Sample& sample)
{
	Slot& slot = slotOf(key);
	slot.key = key;
	slot.order = ++_keys;
	if (_keys * 2 > _slots.size()) rehash();
	// Rehashed or not, the sums start from this sample.
	Slot& placed = slotOf(key);
	placed.samples = sample.samples;
	placed.value = sample.value;
}

void SliceSamples::addEarly(std::uint64_t position, const Sample& sample)
{
	_early.emplace_back(position, sample);
}

const std::vector<Sample>& SliceSamples::sums()
{
	_sums.assign(_keys, Sample());
	for (const Slot& slot : _slots)
	{
		if (slot.order == 0) continue;
		Sample& sum = _sums[slot.order - 1];
		sum.stackId = static_cast<std::int32_t>(slot.key >> 32);
		sum.tid = static_cast<std::int32_t>(static_cast<std::uint32_t>(slot.key));
		sum.samples = slot.samples;
		sum.value = slot.value;
	}
	return _sums;
}

void SliceSamples::rehash()
{
	std::vector<Slot> old(_slots.size() * 2);
	old.swap(_slots);
	--_shift;
	for (const Slot& slot : old)
	{
		if (slot.order != 0) slotOf(slot.key) = slot;
	}
}

} // namespace jfr
} // namespace asprof
