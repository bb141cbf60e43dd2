#include "ProfileQueue.h"

namespace asprof {
namespace agent {

ProfileQueue::ProfileQueue(const std::string& name, std::size_t memoryCapacity): _memoryCapacity(memoryCapacity)
{
	_counters.name = name;
}

std::uint64_t ProfileQueue::add(Entry entry)
{
	std::uint64_t ticket = _nextTicket++;
	if (!entry.spoolId.empty()) _bySpoolId[entry.spoolId] = ticket;
	_entries.emplace(ticket, std::move(entry));
	return ticket;
}

void ProfileQueue::recover(const std::vector<std::string>& spoolIds, std::size_t expiredAtOpen, std::size_t overCapAtOpen)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_counters.recovered += spoolIds.size() + expiredAtOpen + overCapAtOpen;
	_counters.droppedExpired += expiredAtOpen;
	_counters.droppedSpoolFull += overCapAtOpen;
	for (const auto& id : spoolIds)
	{
		Entry entry;
		entry.state = State::Ready;
		entry.spoolId = id;
		entry.spooled = true;
		add(std::move(entry));
	}
	_changed.notify_all();
}

std::size_t ProfileQueue::push(std::shared_ptr<const sdk::Profile> profile, const std::string& spoolId)
{
	std::lock_guard<std::mutex> lock(_mutex);
	++_counters.enqueued;
	if (_closed || (_stopping && _parked))
	{
		++_counters.droppedAtStop;
		return 0;
	}
	Entry entry;
	entry.profile = std::move(profile);
	entry.spoolId = spoolId;
	add(std::move(entry));
	std::size_t dropped = enforceMemoryCap(); // bounded even while both threads are busy
	_changed.notify_all();
	return dropped;
}

ProfileQueue::Item ProfileQueue::nextArrival()
{
	Lock lock(_mutex);
	for (;;)
	{
		if (_closed) return Item();
		for (auto& entry : _entries)
		{
			if (entry.second.state != State::Arriving) continue;
			entry.second.state = State::InIntake;
			return Item{entry.first, entry.second.profile, entry.second.spoolId, false};
		}
		if (_stopping) return Item();
		_changed.wait(lock);
	}
}

ProfileQueue::Entry* ProfileQueue::find(const Item& item, State state)
{
	auto it = _entries.find(item.ticket);
	return it != _entries.end() && it->second.state == state ? &it->second : nullptr;
}

std::size_t ProfileQueue::arrived(const Item& item, std::shared_ptr<const sdk::Profile> complete, bool spooled,
	const std::vector<std::string>& expired, const std::vector<std::string>& overCap)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_closed) return 0;
	if (Entry* entry = find(item, State::InIntake))
	{
		entry->profile = std::move(complete);
		entry->spooled = spooled;
		entry->state = State::Ready;
		if (spooled) ++_counters.spooled;
	}
	evict(expired, Loss::Expired);
	evict(overCap, Loss::SpoolFull);
	std::size_t dropped = enforceMemoryCap();
	_changed.notify_all();
	return dropped;
}

void ProfileQueue::arrivalFailed(const Item& item, const std::string& error)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_closed || !find(item, State::InIntake)) return;
	++_counters.failed;
	_counters.lastError = error;
	finish(_entries.find(item.ticket));
	_changed.notify_all();
}

ProfileQueue::Item ProfileQueue::nextDelivery()
{
	Lock lock(_mutex);
	for (;;)
	{
		if (_closed || _parked) return Item();
		bool live = false;
		for (auto& entry : _entries)
		{
			live = true;
			if (entry.second.state != State::Ready) continue;
			entry.second.state = State::InFlight;
			return Item{entry.first, entry.second.profile, entry.second.spoolId, entry.second.spooled};
		}
		if (_stopping && !live) return Item();
		_changed.wait(lock);
	}
}

bool ProfileQueue::loaded(const Item& item, std::shared_ptr<const sdk::Profile> profile)
{
	std::lock_guard<std::mutex> lock(_mutex);
	Entry* entry = _closed ? nullptr : find(item, State::InFlight);
	if (!entry) return false;
	if (!profile)
	{
		settleLoss(_entries.find(item.ticket), Loss::Corrupt);
		return false;
	}
	++_counters.replayed;
	if (entry->evicted) return true; // still worth the attempt; the outcome decides
	entry->profile = std::move(profile);
	return true;
}

bool ProfileQueue::stillWanted(const Item& item) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _entries.find(item.ticket);
	return !_closed && it != _entries.end() && !it->second.evicted;
}

void ProfileQueue::retrying(const Item& item, const std::string& error)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_closed || !find(item, State::InFlight)) return;
	++_counters.retried;
	_counters.lastError = error;
}

std::string ProfileQueue::delivered(const Item& item, std::uint64_t bytes)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_closed || !find(item, State::InFlight)) return std::string();
	++_counters.delivered;
	_counters.bytesDelivered += bytes;
	std::string spoolId = finish(_entries.find(item.ticket));
	_changed.notify_all();
	return spoolId;
}

std::string ProfileQueue::failed(const Item& item, const std::string& error)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_closed) return std::string();
	_counters.lastError = error;
	Entry* entry = find(item, State::InFlight);
	if (!entry) return std::string();
	if (entry->evicted)
	{
		settleLoss(_entries.find(item.ticket), entry->evictedAs); // its spool entry is gone already
		return std::string();
	}
	++_counters.failed;
	std::string spoolId = finish(_entries.find(item.ticket));
	_changed.notify_all();
	return spoolId;
}

void ProfileQueue::park(const Item& item, const std::string& error)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_closed) return;
	_counters.lastError = error;
	if (Entry* entry = find(item, State::InFlight))
	{
		if (entry->evicted)
			settleLoss(_entries.find(item.ticket), entry->evictedAs);
		else
			entry->state = State::Ready;
	}
	_parked = true;
	_changed.notify_all();
}

bool ProfileQueue::waitBeforeRetry(const Item& item, DeliveryClock& clock, DeliveryClock::TimePoint until, bool stoppingBefore)
{
	Lock lock(_mutex);
	Entry* entry = _closed ? nullptr : find(item, State::InFlight);
	if (!entry) return false;
	entry->waiting = true;
	clock.waitUntil(lock, _changed, until, [&]() { return _closed || _stopping != stoppingBefore || !_entries.count(item.ticket); });
	if (Entry* still = _closed ? nullptr : find(item, State::InFlight)) still->waiting = false;
	return !_closed;
}

void ProfileQueue::requestStop()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_stopping = true;
	_changed.notify_all();
}

bool ProfileQueue::stopping() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _stopping;
}

void ProfileQueue::close(const std::function<bool(const std::string&)>& inSpool)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_closed) return;
	for (const auto& entry : _entries)
	{
		if (!entry.second.spoolId.empty() && inSpool && inSpool(entry.second.spoolId))
			++_counters.leftInSpool;
		else
			++_counters.droppedAtStop;
	}
	_entries.clear();
	_bySpoolId.clear();
	_closed = true;
	_changed.notify_all();
}

LaneStatus ProfileQueue::snapshot() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	LaneStatus status = _counters;
	status.queued = _entries.size();
	return status;
}

void ProfileQueue::settleLoss(Entries::iterator it, Loss loss)
{
	switch (loss)
	{
	case Loss::QueueFull: ++_counters.droppedQueueFull; break;
	case Loss::Expired: ++_counters.droppedExpired; break;
	case Loss::SpoolFull: ++_counters.droppedSpoolFull; break;
	case Loss::Corrupt: ++_counters.droppedCorrupt; break;
	}
	finish(it);
	_changed.notify_all();
}

// The spool's caps removed these entries. One in a report() call is marked:
// the call's outcome decides (delivered, or dropped for this reason); one
// waiting for a retry is dropped now (its wait ends). One in intake cannot be
// among them (it is not in the spool's index yet).
void ProfileQueue::evict(const std::vector<std::string>& spoolIds, Loss loss)
{
	for (const auto& id : spoolIds)
	{
		auto index = _bySpoolId.find(id);
		if (index == _bySpoolId.end()) continue;
		auto it = _entries.find(index->second);
		if (it == _entries.end()) continue;
		it->second.spooled = false;
		if (it->second.state == State::InFlight && !it->second.waiting)
		{
			it->second.evicted = true;
			it->second.evictedAs = loss;
			continue;
		}
		settleLoss(it, loss);
	}
}

bool ProfileQueue::holdsMemory(const Entry& entry) const
{
	return entry.profile && (entry.state == State::Arriving || entry.state == State::Ready);
}

std::size_t ProfileQueue::enforceMemoryCap()
{
	std::size_t held = 0;
	for (const auto& entry : _entries) held += holdsMemory(entry.second) ? 1 : 0;
	std::size_t dropped = 0;
	for (auto it = _entries.begin(); held > _memoryCapacity && it != _entries.end();)
	{
		if (!holdsMemory(it->second))
		{
			++it;
			continue;
		}
		--held;
		if (it->second.spooled)
		{
			it->second.profile.reset(); // it waits on disk
			++it;
			continue;
		}
		auto next = std::next(it);
		settleLoss(it, Loss::QueueFull);
		++dropped;
		it = next;
	}
	return dropped;
}

std::string ProfileQueue::finish(Entries::iterator it)
{
	std::string spoolId = it->second.spooled ? it->second.spoolId : std::string();
	if (!it->second.spoolId.empty()) _bySpoolId.erase(it->second.spoolId);
	_entries.erase(it);
	return spoolId;
}

} // namespace agent
} // namespace asprof
