#include "LeakMatcher.h"
#include "JavaOrder.h"
#include <algorithm>
#include <limits>
#include <tuple>

namespace asprof {
namespace jfr {

void LeakMatcher::reserve(std::size_t mallocs)
{
	_mallocs.reserve(mallocs);
}

void LeakMatcher::addMalloc(std::uint64_t address, std::int64_t time, std::uint32_t offset, std::int64_t size, std::uint32_t site)
{
	Malloc malloc;
	malloc.address = address;
	malloc.time = time;
	malloc.offset = offset;
	malloc.size = size;
	malloc.site = site;
	if (size > 0)
		_mallocs.push_back(malloc);
	else
		_removals.push_back(malloc);
}

void LeakMatcher::endMallocs()
{
	std::sort(_mallocs.begin(), _mallocs.end(),
		[](const Malloc& a, const Malloc& b) { return a.address != b.address ? a.address < b.address : a.key() < b.key(); });
	// One run per address: where its mallocs start.
	std::size_t runs = 0;
	for (std::size_t i = 0; i < _mallocs.size(); ++i) runs += i == 0 || _mallocs[i].address != _mallocs[i - 1].address ? 1 : 0;
	_runAddresses.reserve(runs);
	_runStarts.reserve(runs + 1);
	for (std::size_t i = 0; i < _mallocs.size(); ++i)
	{
		if (i > 0 && _mallocs[i].address == _mallocs[i - 1].address) continue;
		_runAddresses.push_back(_mallocs[i].address);
		_runStarts.push_back(static_cast<std::uint32_t>(i));
	}
	_runStarts.push_back(static_cast<std::uint32_t>(_mallocs.size()));
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
	auto run = std::lower_bound(_runAddresses.begin(), _runAddresses.end(), address);
	if (run != _runAddresses.end() && *run == address)
	{
		auto index = static_cast<std::size_t>(run - _runAddresses.begin());
		auto first = _mallocs.begin() + _runStarts[index];
		auto next = first + nextAfter(index, key);
		if (next != first)
		{
			Malloc& malloc = *std::prev(next);
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
	auto before = [](const Malloc& malloc, const Key& value) { return malloc.key() < value; };
	std::uint32_t first = _runStarts[run];
	std::uint32_t end = _runStarts[run + 1];
	std::uint32_t& cursor = _runCursors[run];
	std::uint32_t low = first;
	std::uint32_t high = cursor;
	if (cursor == first || _mallocs[cursor - 1].key() < key)
	{
		low = cursor;
		high = cursor;
		for (std::uint32_t step = 1; high < end && _mallocs[high].key() < key; step *= 2)
		{
			low = high + 1;
			high = static_cast<std::uint32_t>(std::min<std::uint64_t>(end, std::uint64_t(high) + step));
		}
	}
	auto found = std::lower_bound(_mallocs.begin() + low, _mallocs.begin() + high, key, before);
	cursor = static_cast<std::uint32_t>(found - _mallocs.begin());
	return cursor - first;
}

void LeakMatcher::endChunk()
{
	std::size_t sizeBefore = _live.size();
	for (const auto& freed : _freedLive) _live.erase(freed.first);
	std::vector<Survivor> survivors;
	for (std::size_t run = 0; run < _runAddresses.size(); ++run) settleAddress(_runStarts[run], _runStarts[run + 1], survivors);
	growForPeak(sizeBefore, _live.size() + survivors.size());
	// New keys join their buckets in put order.
	std::sort(survivors.begin(), survivors.end(), [](const Survivor& a, const Survivor& b) { return a.inserted < b.inserted; });
	for (Survivor& survivor : survivors)
	{
		survivor.live.rank = ++_rank;
		_live[survivor.address] = survivor.live;
	}
	_mallocs = std::vector<Malloc>();
	_runAddresses = std::vector<std::uint64_t>();
	_runStarts = std::vector<std::uint32_t>();
	_runCursors = std::vector<std::uint32_t>();
	_freedLive.clear();
}

// One address's mallocs in time order: which put a new key (none live
// there then) and what is live at the end.
void LeakMatcher::settleAddress(std::size_t first, std::size_t end, std::vector<Survivor>& survivors)
{
	std::uint64_t address = _mallocs[first].address;
	auto before = _live.find(address);
	bool present = before != _live.end();
	bool newKey = false;
	Key inserted;
	for (std::size_t i = first; i < end; ++i)
	{
		Malloc& malloc = _mallocs[i];
		malloc.inserted = !present;
		if (malloc.inserted)
		{
			newKey = true;
			inserted = malloc.key();
		}
		present = !malloc.freed;
	}
	const Malloc& last = _mallocs[end - 1];
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
	for (const Malloc& malloc : _mallocs)
	{
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
	for (const Malloc& malloc : _mallocs)
	{
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

void LeakMatcher::clear()
{
	_mallocs.clear();
	_runAddresses.clear();
	_runStarts.clear();
	_runCursors.clear();
	_removals.clear();
	_freedLive.clear();
	_live.clear();
	_rank = 0;
}

} // namespace jfr
} // namespace asprof
