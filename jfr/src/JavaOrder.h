//
// JavaOrder.h
//
// The iteration orders of async-profiler's Java converter, reproduced so that
// our collapsed output lists stacks in the same order, line for line (internal).
//
// Its output order falls out of three hash tables: EventAggregator (open
// addressing, linear probing), java.util.HashMap<Integer, Frame> (the flame
// graph's children) and HashMap<Long, MallocEvent> (live allocations of
// --leak). A HashMap iterates bucket by bucket ((h ^ h >>> 16) & (capacity - 1)),
// each bucket in insertion order; its capacity starts at 16 and doubles when
// the size passes 3/4 of it, and never shrinks. put() appends a new key to
// its bucket, computeIfAbsent() (the flame graph's children) prepends it. (A bucket of 8 or more keys
// in a table of 64 or more becomes a tree in Java, which reorders it; with the
// keys these tables hold that needs thousands of colliding entries, and is
// not reproduced.)
//

#ifndef Asprof_Jfr_JavaOrder_INCLUDED
#define Asprof_Jfr_JavaOrder_INCLUDED

#include "asprof/jfr/Saturating.h"
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

namespace asprof {
namespace jfr {
namespace java {

inline std::uint32_t spread(std::uint32_t hash)
{
	return hash ^ (hash >> 16);
}

/// Long.hashCode()
inline std::uint32_t longHash(std::uint64_t value)
{
	return static_cast<std::uint32_t>(value ^ (value >> 32));
}

/// The iteration order of Integer keys added, in the given order, by
/// computeIfAbsent() into a table now of capacity slots. It links a new
/// key at the HEAD of its bucket, and grows the table before each call
/// (found or not) when the size already exceeds 3/4 of it; a resize
/// keeps the order within a bucket. So: bucket by bucket, each in
/// reverse insertion order.
inline std::vector<std::size_t> computeIfAbsentOrder(const std::vector<std::uint32_t>& hashes, std::size_t capacity)
{
	std::vector<std::size_t> order(hashes.size());
	std::iota(order.begin(), order.end(), std::size_t(0));
	auto mask = static_cast<std::uint32_t>(capacity - 1);
	std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
		std::uint32_t bucketA = spread(hashes[a]) & mask;
		std::uint32_t bucketB = spread(hashes[b]) & mask;
		return bucketA != bucketB ? bucketA < bucketB : a > b;
	});
	return order;
}

/// HashMap<Long, Value> with put (replacing in place) and remove.
template <class Value>
class LongHashMap
{
public:
	void put(std::uint64_t key, const Value& value)
	{
		auto& bucket = _buckets[index(key)];
		for (auto& entry : bucket)
		{
			if (entry.first == key)
			{
				entry.second = value;
				return;
			}
		}
		bucket.emplace_back(key, value);
		if (++_size > _buckets.size() * 3 / 4) grow();
	}

	void remove(std::uint64_t key)
	{
		auto& bucket = _buckets[index(key)];
		for (auto it = bucket.begin(); it != bucket.end(); ++it)
		{
			if (it->first == key)
			{
				bucket.erase(it);
				--_size;
				return;
			}
		}
	}

	template <class Visitor>
	void forEach(Visitor visitor) const
	{
		for (const auto& bucket : _buckets)
		{
			for (const auto& entry : bucket) visitor(entry.second);
		}
	}

	std::size_t size() const
	{
		return _size;
	}

	void clear()
	{
		for (auto& bucket : _buckets) bucket.clear();
		_size = 0;
	}

private:
	std::size_t index(std::uint64_t key) const
	{
		return spread(longHash(key)) & (_buckets.size() - 1);
	}

	void grow()
	{
		std::vector<std::vector<std::pair<std::uint64_t, Value>>> old(_buckets.size() * 2);
		old.swap(_buckets);
		for (auto& bucket : old)
		{
			for (auto& entry : bucket) _buckets[index(entry.first)].push_back(std::move(entry));
		}
	}

	std::vector<std::vector<std::pair<std::uint64_t, Value>>> _buckets = std::vector<std::vector<std::pair<std::uint64_t, Value>>>(16);
	std::size_t _size = 0;
};

/// EventAggregator: open addressing from 1024 slots, linear probing,
/// doubling when more than half full; forEach() in slot order.
template <class Key>
class Aggregator
{
public:
	struct Slot
	{
		bool used = false;
		Key key;
		std::int64_t samples = 0;
		std::int64_t value = 0;
	};

	void add(const Key& key, std::uint32_t hash, std::int64_t samples, std::int64_t value)
	{
		std::size_t mask = _slots.size() - 1;
		for (std::size_t i = hash & mask;; i = (i + 1) & mask)
		{
			Slot& slot = _slots[i];
			if (!slot.used)
			{
				slot.used = true;
				slot.key = key;
				slot.samples = samples;
				slot.value = value;
				_hashes[i] = hash;
				if (++_size * 2 > _slots.size()) resize(_slots.size() * 2);
				return;
			}
			if (slot.key == key)
			{
				// Java's long arithmetic wraps; ours stops at the ends (a
				// hostile recording's sums must not turn negative and vanish).
				slot.samples = saturating::add(slot.samples, samples);
				slot.value = saturating::add(slot.value, value);
				return;
			}
		}
	}

	template <class Visitor>
	void forEach(Visitor visitor) const
	{
		for (const auto& slot : _slots)
		{
			if (slot.used) visitor(slot);
		}
	}

	std::size_t size() const
	{
		return _size;
	}

	void clear()
	{
		if (_size == 0) return;
		_slots.assign(1024, Slot());
		_hashes.assign(1024, 0);
		_size = 0;
	}

private:
	void resize(std::size_t capacity)
	{
		std::vector<Slot> slots(capacity);
		std::vector<std::uint32_t> hashes(capacity);
		std::size_t mask = capacity - 1;
		for (std::size_t i = 0; i < _slots.size(); ++i)
		{
			if (!_slots[i].used) continue;
			for (std::size_t j = _hashes[i] & mask;; j = (j + 1) & mask)
			{
				if (!slots[j].used)
				{
					slots[j] = std::move(_slots[i]);
					hashes[j] = _hashes[i];
					break;
				}
			}
		}
		_slots.swap(slots);
		_hashes.swap(hashes);
	}

	std::vector<Slot> _slots = std::vector<Slot>(1024);
	std::vector<std::uint32_t> _hashes = std::vector<std::uint32_t>(1024);
	std::size_t _size = 0;
};

} // namespace java
} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_JavaOrder_INCLUDED
