#include "SliceSamples.h"
#include <algorithm>

namespace asprof {
namespace jfr {

namespace {

// Java's long arithmetic wraps; so does ours, without UB.
std::int64_t wrappingAdd(std::int64_t a, std::int64_t b)
{
	return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}

std::uint64_t keyOf(const Sample& sample)
{
	return (std::uint64_t(static_cast<std::uint32_t>(sample.stackId)) << 32) | static_cast<std::uint32_t>(sample.tid);
}

} // namespace

void SliceSamples::add(const Sample& sample)
{
	++_events;
	Slot& slot = slotOf(keyOf(sample));
	if (slot.order == 0)
	{
		slot.key = keyOf(sample);
		slot.order = ++_keys;
		if (_keys * 2 > _slots.size()) rehash();
		// Rehashed or not, the sums start from this sample.
		Slot& placed = slotOf(keyOf(sample));
		placed.samples = sample.samples;
		placed.value = sample.value;
		return;
	}
	slot.samples = wrappingAdd(slot.samples, sample.samples);
	slot.value = wrappingAdd(slot.value, sample.value);
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

// The key's slot: its own, or the empty one where it belongs.
SliceSamples::Slot& SliceSamples::slotOf(std::uint64_t key)
{
	std::size_t mask = _slots.size() - 1;
	for (std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> _shift;; i = (i + 1) & mask)
	{
		Slot& slot = _slots[i];
		if (slot.order == 0 || slot.key == key) return slot;
	}
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
