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
	if (direct(sample))
	{
		auto id = static_cast<std::size_t>(sample.stackId);
		if (id >= _direct.size())
		{
			_direct.resize(std::max<std::size_t>(id + 1, _direct.size() * 2));
			_seen.resize((_direct.size() + 63) / 64, 0);
		}
		std::uint64_t& seen = _seen[id / 64];
		std::uint64_t bit = std::uint64_t(1) << (id % 64);
		if ((seen & bit) == 0)
		{
			seen |= bit;
			_sums.push_back(sample);
		}
		DirectSum& sum = _direct[id];
		sum.samples = wrappingAdd(sum.samples, sample.samples);
		sum.value = wrappingAdd(sum.value, sample.value);
		return;
	}
	std::uint32_t& slot = hashedSlot(sample);
	if (slot != 0)
	{
		Sample& sum = _sums[slot - 1];
		sum.samples = wrappingAdd(sum.samples, sample.samples);
		sum.value = wrappingAdd(sum.value, sample.value);
		return;
	}
	_sums.push_back(sample);
	slot = static_cast<std::uint32_t>(_sums.size());
	if (++_hashed * 2 > _slots.size()) rehash();
}

void SliceSamples::addEarly(std::uint64_t position, const Sample& sample)
{
	_early.emplace_back(position, sample);
}

const std::vector<Sample>& SliceSamples::sums()
{
	for (Sample& sum : _sums)
	{
		if (!direct(sum)) continue;
		const DirectSum& direct = _direct[static_cast<std::size_t>(sum.stackId)];
		sum.samples = direct.samples;
		sum.value = direct.value;
	}
	return _sums;
}

// The key's slot: its own, or the empty one where it belongs.
std::uint32_t& SliceSamples::hashedSlot(const Sample& sample)
{
	std::uint64_t key = keyOf(sample);
	std::size_t mask = _slots.size() - 1;
	for (std::size_t i = (key * 0x9E3779B97F4A7C15ull) >> _shift;; i = (i + 1) & mask)
	{
		std::uint32_t& slot = _slots[i];
		if (slot == 0 || keyOf(_sums[slot - 1]) == key) return slot;
	}
}

void SliceSamples::rehash()
{
	_slots.assign(_slots.size() * 2, 0);
	--_shift;
	for (std::size_t i = 0; i < _sums.size(); ++i)
	{
		if (!direct(_sums[i])) hashedSlot(_sums[i]) = static_cast<std::uint32_t>(i + 1);
	}
}

} // namespace jfr
} // namespace asprof
