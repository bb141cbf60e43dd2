#include "LeakMatcher.h"
#include "JavaOrder.h"
#include <algorithm>
#include <limits>
#include <stdexcept>
#include <tuple>

namespace asprof {
namespace jfr {

void LeakMatcher::addMalloc(std::uint64_t address, std::int64_t time, std::uint32_t offset, std::int64_t size, std::uint32_t site)
{
	Malloc malloc;
	malloc.address = address;
	malloc.time = time;
	malloc.offset = offset;
	malloc.size = size;
	malloc.site = site;
	if (size <= 0)
	{
		_removals.push_back(malloc);
		return;
	}
	if (_count == std::numeric_limits<std::uint32_t>::max()) throw std::length_error("more than 4G mallocs in a chunk");
	if ((_count >> BLOCK_SHIFT) == _blocks.size()) _blocks.emplace_back(new Malloc[BLOCK]);
	mallocAt(_count++) = malloc;
	if (_runOf.empty()) _runIndex.reset(1 << 12);
	_runOf.push_back(_runIndex.insert(address, static_cast<std::uint32_t>(_runStarts.size())));
	if (_runOf.back() == _runStarts.size()) _runStarts.push_back(0);
	++_runStarts[_runOf.back()]; // the run's size, until endMallocs()
}

void LeakMatcher::endMallocs()
{
	// The indexes grouped by run (a counting sort: sizes to starts), each
	// run in file order, then in key order. Keys are unique (offsets are):
	// any sort gives the same order, and a run in file order is nearly
	// always in key order already.
	std::uint32_t start = 0;
	for (std::uint32_t& run : _runStarts)
	{
		std::uint32_t size = run;
		run = start;
		start += size;
	}
	_runStarts.push_back(start);
	_runCursors.assign(_runStarts.begin(), _runStarts.end() - 1);
	_order.resize(_count);
	for (std::uint32_t i = 0; i < _count; ++i)
	{
		const Malloc& malloc = mallocAt(i);
		_order[_runCursors[_runOf[i]]++] = Ordered{malloc.time, malloc.offset, i};
	}
	_runOf = std::vector<std::uint32_t>();
	auto byKey = [](const Ordered& a, const Ordered& b) { return a.key() < b.key(); };
	for (std::size_t run = 0; run + 1 < _runStarts.size(); ++run)
	{
		auto first = _order.begin() + _runStarts[run];
		auto last = _order.begin() + _runStarts[run + 1];
		if (!std::is_sorted(first, last, byKey)) std::sort(first, last, byKey);
	}
	_runCursors.assign(_runStarts.begin(), _runStarts.end() - 1);
	for (const Malloc& removal : _removals) addFree(removal.address, removal.time, removal.offset);
	_removals.clear();
	_removals.shrink_to_fit();
}

void LeakMatcher::addFree(std::uint64_t address, std::int64_t time, std::uint32_t offset)
{
	// The malloc just before the free at its address: the free removes it,
	// unless an earlier free already has.
	Key key{time, offset};
	std::int64_t run = _runIndex.find(address);
	if (run >= 0)
	{
		auto index = static_cast<std::size_t>(run);
		std::uint32_t before = nextAfter(index, key);
		if (before != 0)
		{
			Malloc& malloc = mallocAt(_order[_runStarts[index] + before - 1].index);
			if (!malloc.freed || key < malloc.freeKey())
			{
				malloc.freeTime = time;
				malloc.freeOffset = offset;
			}
			malloc.freed = true;
			return;
		}
	}
	// Before the chunk's first malloc there: the block live before the chunk, if any.
	if (_live.count(address) == 0) return;
	auto known = _freedLive.emplace(address, key);
	if (!known.second && key < known.first->second) known.first->second = key;
}

// The first of the address's mallocs at or after key. Frees come nearly in
// time order: the search gallops on from where the last one at the address
// ended.
std::uint32_t LeakMatcher::nextAfter(std::size_t run, const Key& key)
{
	auto before = [](const Ordered& ordered, const Key& value) { return ordered.key() < value; };
	std::uint32_t first = _runStarts[run];
	std::uint32_t end = _runStarts[run + 1];
	std::uint32_t& cursor = _runCursors[run];
	std::uint32_t low = first;
	std::uint32_t high = cursor;
	if (cursor == first || before(_order[cursor - 1], key))
	{
		low = cursor;
		high = cursor;
		for (std::uint32_t step = 1; high < end && before(_order[high], key); step *= 2)
		{
			low = high + 1;
			high = static_cast<std::uint32_t>(std::min<std::uint64_t>(end, std::uint64_t(high) + step));
		}
	}
	auto found = std::lower_bound(_order.begin() + low, _order.begin() + high, key, before);
	cursor = static_cast<std::uint32_t>(found - _order.begin());
	return cursor - first;
}

void LeakMatcher::endChunk()
{
	std::size_t sizeBefore = _live.size();
	for (const auto& freed : _freedLive) _live.erase(freed.first);
	std::vector<Survivor> survivors;
	for (std::size_t run = 0; run + 1 < _runStarts.size(); ++run) settleAddress(_runStarts[run], _runStarts[run + 1], survivors);
	growForPeak(sizeBefore, _live.size() + survivors.size());
	// New keys join their buckets in put order.
	std::sort(survivors.begin(), survivors.end(), [](const Survivor& a, const Survivor& b) { return a.inserted < b.inserted; });
	for (Survivor& survivor : survivors)
	{
		survivor.live.rank = ++_rank;
		_live[survivor.address] = survivor.live;
	}
	_blocks = std::vector<std::unique_ptr<Malloc[]>>();
	_count = 0;
	_runIndex.clear();
	_order = std::vector<Ordered>();
	_runStarts = std::vector<std::uint32_t>();
	_runCursors = std::vector<std::uint32_t>();
	_freedLive.clear();
}

// One address's mallocs in time order: which put a new key (none live
// there then) and what is live at the end.
void LeakMatcher::settleAddress(std::size_t first, std::size_t end, std::vector<Survivor>& survivors)
{
	std::uint64_t address = mallocAt(_order[first].index).address;
	auto before = _live.find(address);
	bool present = before != _live.end();
	bool newKey = false;
	Key inserted;
	for (std::size_t i = first; i < end; ++i)
	{
		Malloc& malloc = mallocAt(_order[i].index);
		malloc.inserted = !present;
		if (malloc.inserted)
		{
			newKey = true;
			inserted = malloc.key();
		}
		present = !malloc.freed;
	}
	const Malloc& last = mallocAt(_order[end - 1].index);
	Live live{last.time, last.size, last.site, 0};
	if (last.freed)
	{
		if (before != _live.end()) _live.erase(before);
	}
	else if (!newKey)
	{
		live.rank = before->second.rank; // replaced in place all along
		before->second = live;
	}
	else
	{
		if (before != _live.end()) _live.erase(before);
		survivors.push_back(Survivor{address, inserted, live});
	}
}

// HashMap doubles its table when a put makes its size pass 3/4 of it, and
// never shrinks: the chunk's largest size in time order decides. Counted
// per slice of time, without sorting the chunk: a slice's largest size lies
// between its ends' and its start's plus its puts; only the changes of the
// slices where that could decide a doubling are sorted and replayed.
void LeakMatcher::growForPeak(std::size_t sizeBefore, std::size_t sizeAfter)
{
	std::size_t puts = 0;
	std::size_t changes = _freedLive.size();
	for (std::uint32_t i = 0; i < _count; ++i)
	{
		const Malloc& malloc = mallocAt(i);
		puts += malloc.inserted ? 1 : 0;
		changes += (malloc.inserted ? 1 : 0) + (malloc.freed ? 1 : 0);
	}
	if (capacityFor(sizeBefore + puts) == capacityFor(std::max(sizeBefore, sizeAfter)))
	{
		_capacity = capacityFor(sizeBefore + puts);
		return;
	}
	Slices slices(*this, std::max<std::size_t>(4096, changes / 8));
	// Doubling thresholds do not depend on the capacity reached before.
	auto undecided = [](std::size_t lowest, std::size_t highest) {
		std::size_t capacity = 16;
		while (lowest > capacity * 3 / 4) capacity *= 2;
		return highest > capacity * 3 / 4;
	};
	std::vector<bool> replayed(slices.puts.size());
	std::size_t size = sizeBefore;
	for (std::size_t slice = 0; slice < replayed.size(); ++slice)
	{
		std::size_t most = size + slices.puts[slice];
		std::size_t end = most - slices.removals[slice];
		replayed[slice] = undecided(std::max(size, end), most);
		size = end;
	}
	std::vector<Key> replay;
	forEachChange([&](std::int64_t time, std::uint32_t offset, bool put) {
		if (replayed[slices.of(time)]) replay.push_back(Key{time, offset, put ? 1 : -1});
	});
	std::sort(replay.begin(), replay.end());
	auto change = replay.begin();
	size = sizeBefore;
	for (std::size_t slice = 0; slice < replayed.size(); ++slice)
	{
		std::size_t most = size + slices.puts[slice];
		if (!replayed[slice]) _capacity = capacityFor(most);
		for (; replayed[slice] && change != replay.end() && slices.of(change->time) == slice; ++change)
		{
			if (change->delta < 0)
				--size;
			else if (++size > _capacity * 3 / 4)
				_capacity *= 2;
		}
		size = most - slices.removals[slice];
	}
}

std::size_t LeakMatcher::capacityFor(std::size_t size) const
{
	std::size_t capacity = _capacity;
	while (size > capacity * 3 / 4) capacity *= 2;
	return capacity;
}

// Every put and removal of the chunk, in no order.
template <class Visitor>
void LeakMatcher::forEachChange(Visitor visitor) const
{
	for (std::uint32_t i = 0; i < _count; ++i)
	{
		const Malloc& malloc = mallocAt(i);
		if (malloc.inserted) visitor(malloc.time, malloc.offset, true);
		if (malloc.freed) visitor(malloc.freeTime, malloc.freeOffset, false);
	}
	for (const auto& freed : _freedLive) visitor(freed.second.time, freed.second.offset, false);
}

LeakMatcher::Slices::Slices(const LeakMatcher& matcher, std::size_t count): puts(count), removals(count)
{
	std::int64_t first = std::numeric_limits<std::int64_t>::max();
	std::int64_t last = std::numeric_limits<std::int64_t>::min();
	auto extend = [&](std::int64_t time) {
		first = std::min(first, time);
		last = std::max(last, time);
	};
	matcher.forEachChange([&](std::int64_t time, std::uint32_t, bool) { extend(time); });
	start = first;
	width = (static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(first)) / count + 1;
	matcher.forEachChange([&](std::int64_t time, std::uint32_t, bool put) { ++(put ? puts : removals)[of(time)]; });
}

std::size_t LeakMatcher::Slices::of(std::int64_t time) const
{
	return static_cast<std::size_t>((static_cast<std::uint64_t>(time) - static_cast<std::uint64_t>(start)) / width);
}

void LeakMatcher::forEachLive(std::int64_t cutoff, const std::function<void(std::uint32_t, std::int64_t)>& visitor) const
{
	struct Entry
	{
		std::uint32_t bucket;
		std::uint64_t rank;
		const Live* live;
	};
	std::vector<Entry> entries;
	auto mask = static_cast<std::uint32_t>(_capacity - 1);
	for (const auto& live : _live)
	{
		if (live.second.time <= cutoff)
			entries.push_back(Entry{java::spread(java::longHash(live.first)) & mask, live.second.rank, &live.second});
	}
	std::sort(entries.begin(), entries.end(),
		[](const Entry& a, const Entry& b) { return std::tie(a.bucket, a.rank) < std::tie(b.bucket, b.rank); });
	for (const Entry& entry : entries) visitor(entry.live->site, entry.live->size);
}

void LeakMatcher::RunIndex::reset(std::size_t addresses)
{
	std::size_t size = 16;
	int shift = 64 - 4;
	while (size < addresses * 2)
	{
		size *= 2;
		--shift;
	}
	_slots.assign(size, Slot());
	_shift = shift;
	_used = 0;
}

std::uint32_t LeakMatcher::RunIndex::insert(std::uint64_t address, std::uint32_t runs)
{
	if (_slots.empty()) reset(0);
	std::size_t mask = _slots.size() - 1;
	for (std::size_t i = hash(address) >> _shift;; i = (i + 1) & mask)
	{
		Slot& slot = _slots[i];
		if (slot.run != 0 && slot.address != address) continue;
		if (slot.run != 0) return slot.run - 1;
		slot.address = address;
		slot.run = runs + 1;
		if (++_used * 2 > _slots.size()) grow();
		return runs;
	}
}

void LeakMatcher::RunIndex::grow()
{
	std::vector<Slot> old(_slots.size() * 2);
	old.swap(_slots);
	--_shift;
	std::size_t mask = _slots.size() - 1;
	for (const Slot& slot : old)
	{
		if (slot.run == 0) continue;
		std::size_t i = hash(slot.address) >> _shift;
		while (_slots[i].run != 0) i = (i + 1) & mask;
		_slots[i] = slot;
	}
}

void LeakMatcher::RunIndex::clear()
{
	_slots = std::vector<Slot>();
	_shift = 64;
	_used = 0;
}

void LeakMatcher::clear()
{
	_blocks.clear();
	_count = 0;
	_runIndex.clear();
	_runOf.clear();
	_order.clear();
	_runStarts.clear();
	_runCursors.clear();
	_removals.clear();
	_freedLive.clear();
	_live.clear();
	_rank = 0;
}

} // namespace jfr
} // namespace asprof
