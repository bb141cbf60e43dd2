#include "asprof/jfr/LiveHeap.h"
#include "asprof/jfr/Saturating.h"
#include "asprof/jfr/PprofWriter.h"
#include "FrameNamer.h"
#include "NativeMemEvents.h"
#include <algorithm>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace asprof {
namespace jfr {

namespace {

// The allocations of one stack (a pprof sample).
struct Site
{
	std::vector<const NamedFrame*> frames; ///< root first; the heap's own frames
	// Unsigned: adding and later removing a block cancel exactly, even past
	// 2^63 on the way (hostile sizes); written out pinned at INT64_MAX.
	std::uint64_t allocObjects = 0;
	std::uint64_t allocBytes = 0;
	std::uint64_t inuseObjects = 0;
	std::uint64_t inuseBytes = 0;
};

struct LiveAllocation
{
	std::uint64_t size = 0;
	std::uint64_t sequence = 0; ///< order of allocation: ties at the cap evict the youngest
	std::uint32_t site = 0;
};

} // namespace

struct LiveHeap::Impl
{
	explicit Impl(std::size_t cap): maxAllocations(cap)
	{
	}

	const std::size_t maxAllocations;
	std::mutex addMutex;      ///< one add() at a time: recordings apply in call order
	mutable std::mutex mutex; ///< the table below

	NamedFrameSet frames; ///< every frame of every site, interned by content
	std::deque<Site> sites;
	std::unordered_map<std::string, std::uint32_t> siteIndex; ///< frame pointers as bytes -> site
	std::unordered_map<std::uint64_t, LiveAllocation> live;   ///< by address
	std::uint64_t sequence = 0;
	LiveHeapStats stats;
	std::int64_t startNanos = 0;
	std::int64_t endNanos = 0;
	std::int64_t samplingInterval = 0; ///< nativemem=N of the last recording that says

	// The recording's stacks as sites of the heap (its frames re-interned
	// into the heap's own set: the recording's die with it).
	std::vector<std::uint32_t> sitesOf(const NativeMemEvents& recording)
	{
		std::unordered_map<const NamedFrame*, const NamedFrame*> ownFrame;
		std::vector<std::uint32_t> result;
		result.reserve(recording.stacks().size());
		std::vector<const NamedFrame*> frames;
		for (const auto& stack : recording.stacks())
		{
			frames.clear();
			for (const NamedFrame* frame : stack)
			{
				auto own = ownFrame.find(frame);
				if (own == ownFrame.end()) own = ownFrame.emplace(frame, &*this->frames.insert(*frame).first).first;
				frames.push_back(own->second);
			}
			std::string key(reinterpret_cast<const char*>(frames.data()), frames.size() * sizeof(const NamedFrame*));
			auto known = siteIndex.find(key);
			if (known == siteIndex.end())
			{
				known = siteIndex.emplace(std::move(key), static_cast<std::uint32_t>(sites.size())).first;
				sites.emplace_back();
				sites.back().frames = frames;
			}
			result.push_back(known->second);
		}
		return result;
	}

	void forget(std::unordered_map<std::uint64_t, LiveAllocation>::iterator entry)
	{
		Site& site = sites[entry->second.site];
		site.inuseObjects -= 1;
		site.inuseBytes -= entry->second.size;
		stats.liveBytes -= entry->second.size;
		live.erase(entry);
	}

	void apply(const NativeMemEvents& recording)
	{
		std::vector<std::uint32_t> siteOf = sitesOf(recording);
		for (std::size_t stack = 0; stack < siteOf.size(); ++stack)
		{
			sites[siteOf[stack]].allocObjects += static_cast<std::uint64_t>(recording.allocated()[stack].objects);
			sites[siteOf[stack]].allocBytes += static_cast<std::uint64_t>(recording.allocated()[stack].bytes);
		}
		for (const auto& address : recording.addresses())
		{
			// What was live there is gone: freed, or replaced by a new block.
			auto found = live.find(address.first);
			if (found != live.end()) forget(found);
			if (!address.second) continue;
			const NativeMemEvents::Block& block = *address.second;
			std::uint32_t siteId = siteOf[block.stack];
			sites[siteId].inuseObjects += 1;
			sites[siteId].inuseBytes += block.size;
			live.emplace(address.first, LiveAllocation{block.size, sequence + block.order, siteId});
			stats.liveBytes += block.size;
		}
		sequence += recording.allocations();
		stats.allocations += recording.allocations();
		stats.allocatedBytes += recording.allocatedBytes();
		stats.frees += recording.frees();
		stats.unmatchedFrees += recording.unmatchedFrees();
		evictOverCap();
		++stats.recordings;
		if (recording.startNanos() != 0 && (startNanos == 0 || recording.startNanos() < startNanos)) startNanos = recording.startNanos();
		endNanos = std::max(endNanos, recording.endNanos());
		if (recording.samplingInterval() >= 0) samplingInterval = recording.samplingInterval();
	}

	// Past the cap, the smallest go (of equal sizes, the youngest: what has
	// lived longest is likelier a leak). Runs only past the cap, in time
	// linear in the table.
	void evictOverCap()
	{
		if (live.size() <= maxAllocations) return;
		std::size_t excess = live.size() - maxAllocations;
		std::vector<std::uint64_t> sizes;
		sizes.reserve(live.size());
		for (const auto& entry : live) sizes.push_back(entry.second.size);
		std::nth_element(sizes.begin(), sizes.begin() + static_cast<std::ptrdiff_t>(excess - 1), sizes.end());
		std::uint64_t threshold = sizes[excess - 1];
		sizes = std::vector<std::uint64_t>();
		std::size_t below = 0;
		std::vector<std::pair<std::uint64_t, std::uint64_t>> ties; // sequence, address
		for (const auto& entry : live)
		{
			if (entry.second.size < threshold)
				++below;
			else if (entry.second.size == threshold)
				ties.emplace_back(entry.second.sequence, entry.first);
		}
		std::size_t tiesToEvict = excess - below;
		std::nth_element(ties.begin(), ties.begin() + static_cast<std::ptrdiff_t>(tiesToEvict - 1), ties.end(),
			[](const std::pair<std::uint64_t, std::uint64_t>& a, const std::pair<std::uint64_t, std::uint64_t>& b) {
				return a.first > b.first;
			});
		auto evict = [&](std::unordered_map<std::uint64_t, LiveAllocation>::iterator entry) {
			++stats.evicted;
			stats.evictedBytes += entry->second.size;
			forget(entry);
		};
		for (std::size_t i = 0; i < tiesToEvict; ++i) evict(live.find(ties[i].second));
		for (auto entry = live.begin(); entry != live.end();)
		{
			auto next = std::next(entry);
			if (entry->second.size < threshold) evict(entry);
			entry = next;
		}
	}
};

LiveHeap::LiveHeap(std::size_t maxAllocations): _impl(new Impl(maxAllocations))
{
}

LiveHeap::~LiveHeap() = default;

void LiveHeap::add(const Input& recording)
{
	std::lock_guard<std::mutex> adding(_impl->addMutex);
	// Read the whole recording before touching the table: a recording that
	// fails half way leaves it as it was.
	// Only add() and clear() change the table, and both hold addMutex: it can
	// be read here without the lock.
	const auto& live = _impl->live;
	NativeMemEvents events([&live](std::uint64_t address) { return live.count(address) != 0; });
	events.read(recording);
	std::lock_guard<std::mutex> lock(_impl->mutex);
	_impl->apply(events);
}

void LiveHeap::writePprof(std::ostream& out, bool gzip) const
{
	PprofWriter writer(PprofWriter::Kind::Heap);
	{
		std::lock_guard<std::mutex> lock(_impl->mutex);
		for (const Site& site : _impl->sites)
			writer.addHeap(site.frames, saturating::fromUnsigned(site.allocObjects), saturating::fromUnsigned(site.allocBytes),
				saturating::fromUnsigned(site.inuseObjects), saturating::fromUnsigned(site.inuseBytes));
		writer.setTimeRange(_impl->startNanos, saturating::subtract(_impl->endNanos, _impl->startNanos));
		writer.setPeriod(_impl->samplingInterval);
	}
	// The writer holds copies of every name: encoded and compressed outside the lock.
	writer.write(out, gzip);
}

LiveHeapStats LiveHeap::stats() const
{
	std::lock_guard<std::mutex> lock(_impl->mutex);
	LiveHeapStats result = _impl->stats;
	result.liveAllocations = _impl->live.size();
	result.stacks = _impl->sites.size();
	return result;
}

void LiveHeap::clear()
{
	std::lock_guard<std::mutex> adding(_impl->addMutex);
	std::lock_guard<std::mutex> lock(_impl->mutex);
	_impl->live.clear();
	_impl->siteIndex.clear();
	_impl->sites.clear();
	_impl->frames.clear();
	_impl->sequence = 0;
	_impl->stats = LiveHeapStats();
	_impl->startNanos = 0;
	_impl->endNanos = 0;
	_impl->samplingInterval = 0;
}

} // namespace jfr
} // namespace asprof
