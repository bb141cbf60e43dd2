#include "DeliveryLane.h"
#include "Spool.h"
#include "Poco/Logger.h"
#include "Poco/Random.h"
#include <chrono>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

namespace asprof {
namespace agent {

namespace {

const std::size_t MAX_LOGGED_CAUSES = 64;

using Clock = std::chrono::steady_clock;

} // namespace

struct DeliveryLane::State
{
	struct Pending
	{
		std::shared_ptr<const sdk::Profile> profile; // null: only on disk
		bool spooled = false;
	};

	std::string name;
	std::unique_ptr<sdk::Reporter> reporter;
	LaneSettings settings;
	Preparer preparer;
	Poco::Logger& logger;
	std::unique_ptr<Spool> spool;

	mutable std::mutex mutex;
	std::condition_variable wakeUp;
	std::deque<std::shared_ptr<const sdk::Profile>> incoming; // from the control thread, not yet prepared
	std::map<std::string, Pending> pending;                     // prepared, by id: oldest first
	std::size_t inMemory = 0;                                   // pending entries holding a profile
	std::string head;      // the id being delivered now, if any
	bool draining = false; // stop requested: take in and deliver what is there, then exit
	bool aborted = false;  // stop's deadline passed: exit now, count nothing more
	bool intakeDone = false;
	bool deliveryDone = false;
	bool parked = false;   // stopping with the backend down: what is spooled waits for the next start
	bool causesFull = false;
	LaneStatus status;
	std::set<std::string> loggedCauses;
	Poco::Random random;

	State(const std::string& laneName, std::unique_ptr<sdk::Reporter> laneReporter, const LaneSettings& laneSettings, Preparer lanePreparer):
		name(laneName),
		reporter(std::move(laneReporter)),
		settings(laneSettings),
		preparer(std::move(lanePreparer)),
		logger(Poco::Logger::get("asprof.lane." + laneName))
	{
		status.name = laneName;
		random.seed();
	}

	sdk::ReportResult reportSafely(const sdk::Profile& profile)
	{
		try
		{
			return reporter->report(profile);
		}
		catch (Poco::Exception& e)
		{
			return sdk::ReportResult::fail("reporter threw: " + e.displayText());
		}
		catch (std::exception& e)
		{
			return sdk::ReportResult::fail(std::string("reporter threw: ") + e.what());
		}
		catch (...)
		{
			return sdk::ReportResult::fail("reporter threw an unknown exception");
		}
	}

	// Full jitter: a random wait in [0, min(max, initial * 2^attempt)].
	Poco::Timespan backoff(int attempt, const std::optional<Poco::Timespan>& retryAfter)
	{
		if (retryAfter) return std::min(*retryAfter, settings.retryMaxBackoff);
		Poco::Timespan::TimeDiff ceiling = settings.retryInitialBackoff.totalMicroseconds();
		for (int i = 0; i < attempt && ceiling < settings.retryMaxBackoff.totalMicroseconds(); ++i) ceiling *= 2;
		ceiling = std::min(ceiling, settings.retryMaxBackoff.totalMicroseconds());
		if (ceiling <= 0) return Poco::Timespan(0);
		double fraction = random.nextDouble();
		return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(fraction * static_cast<double>(ceiling)));
	}

	void logOnce(const std::string& cause)
	{
		if (loggedCauses.count(cause)) return logger.debug(cause);
		if (loggedCauses.size() < MAX_LOGGED_CAUSES)
		{
			loggedCauses.insert(cause);
			return logger.error(cause);
		}
		if (!causesFull)
		{
			causesFull = true;
			logger.error("more than %s distinct delivery errors; further new ones are logged at debug level", std::to_string(MAX_LOGGED_CAUSES));
		}
		logger.debug(cause);
	}

	void drop(const std::vector<std::string>& ids, std::uint64_t& counter)
	{
		for (const auto& id : ids)
		{
			auto it = pending.find(id);
			if (it == pending.end()) continue;
			if (it->second.profile) --inMemory;
			pending.erase(it);
			++counter;
		}
	}

	// Keeps at most queueCapacity profiles in memory besides the one being
	// delivered, counting arrivals and taken-in profiles together: spooled
	// ones stay on disk only, other ones are dropped, oldest first.
	void enforceMemoryCap()
	{
		auto held = [&]() {
			auto it = head.empty() ? pending.end() : pending.find(head);
			bool headInMemory = it != pending.end() && it->second.profile;
			return incoming.size() + inMemory - (headInMemory ? 1 : 0);
		};
		auto it = pending.begin();
		while (held() > settings.queueCapacity)
		{
			while (it != pending.end() && (!it->second.profile || it->first == head)) ++it;
			if (it == pending.end())
			{
				incoming.pop_front();
				countQueueFull();
				continue;
			}
			--inMemory;
			if (it->second.spooled)
			{
				it->second.profile.reset();
				++it;
				continue;
			}
			it = pending.erase(it);
			countQueueFull();
		}
	}

	void countQueueFull()
	{
		++status.droppedQueueFull;
		logOnce("queue full (" + std::to_string(settings.queueCapacity) + " profiles in memory): dropping the oldest");
	}

	// Prepares the oldest arrival and writes it to the spool. Called with the
	// lock held; releases it around the slow parts.
	void intakeOne(std::unique_lock<std::mutex>& lock)
	{
		std::shared_ptr<const sdk::Profile> raw = incoming.front();
		incoming.pop_front();
		lock.unlock();
		auto prepared = raw;
		Pending entry;
		std::string id;
		Spool::Evicted evicted;
		std::string error;
		try
		{
			if (preparer) prepared = std::make_shared<const sdk::Profile>(preparer(*raw));
			id = Spool::makeId(*prepared);
			if (spool)
			{
				spool->add(*prepared, evicted);
				entry.spooled = true;
			}
		}
		catch (Poco::Exception& e)
		{
			error = e.code() > 0 && e.code() < 4096 ? std::string(std::strerror(e.code())) : e.displayText();
		}
		catch (std::exception& e)
		{
			error = e.what();
		}
		catch (...)
		{
			error = "unknown exception";
		}
		lock.lock();
		if (aborted) return;
		if (id.empty())
		{
			++status.failed;
			return logOnce("cannot prepare a profile: " + error);
		}
		if (!error.empty()) logOnce("cannot write to the spool " + spool->directory() + ", keeping profiles in memory: " + error);
		if (entry.spooled) ++status.spooled;
		entry.profile = prepared;
		if (pending.emplace(id, entry).second) ++inMemory;
		drop(evicted.expired, status.droppedExpired);
		drop(evicted.overCap, status.droppedSpoolFull);
		enforceMemoryCap();
		wakeUp.notify_all();
	}

	// The profile for the oldest pending id, read back from the spool when
	// only the disk has it. Lock held.
	std::shared_ptr<const sdk::Profile> loadHead(std::unique_lock<std::mutex>& lock, const std::string& id)
	{
		auto it = pending.find(id);
		if (it->second.profile) return it->second.profile;
		lock.unlock();
		std::shared_ptr<const sdk::Profile> profile = spool->load(id);
		lock.lock();
		it = pending.find(id);
		if (it == pending.end()) return nullptr; // evicted meanwhile
		if (!profile)
		{
			pending.erase(it); // corrupt: the spool moved it aside
			return nullptr;
		}
		++status.replayed;
		it->second.profile = profile;
		++inMemory;
		return profile;
	}

	void finish(const std::string& id)
	{
		auto it = pending.find(id);
		if (it == pending.end()) return;
		if (it->second.profile) --inMemory;
		if (it->second.spooled && spool) spool->remove(id);
		pending.erase(it);
	}

	// Waits for a backoff; a stop request that came after wasDraining cuts
	// it short. False when aborted.
	bool waitBackoff(std::unique_lock<std::mutex>& lock, Poco::Timespan wait, bool wasDraining)
	{
		auto until = Clock::now() + std::chrono::microseconds(wait.totalMicroseconds());
		wakeUp.wait_until(lock, until, [&]() { return aborted || draining != wasDraining; });
		return !aborted;
	}

	// Delivers the oldest pending profile; lock held on entry and exit.
	void deliverHead(std::unique_lock<std::mutex>& lock)
	{
		head = pending.begin()->first;
		std::shared_ptr<const sdk::Profile> profile = loadHead(lock, head);
		for (int attempt = 0; profile; ++attempt)
		{
			bool drainingBefore = draining;
			lock.unlock();
			sdk::ReportResult result = reportSafely(*profile);
			lock.lock();
			// Abandoned at stop (already counted), or removed by the spool's caps.
			if (aborted || !pending.count(head)) break;
			if (result.isOk())
			{
				++status.delivered;
				status.bytesDelivered += profile->recording->size();
				finish(head);
				break;
			}
			status.lastError = result.message;
			bool permanent = result.status == sdk::ReportResult::Status::Fail;
			bool onDisk = pending[head].spooled;
			if (permanent || (!onDisk && attempt + 1 >= settings.retryMaxAttempts))
			{
				++status.failed;
				logOnce(std::string(permanent ? "dropped a profile: " : "dropped a profile after the last retry: ") + result.message);
				finish(head);
				break;
			}
			if (draining && onDisk)
			{
				parked = true; // safe on disk: no need to spend the stop deadline on retries
				break;
			}
			if (attempt == 0) logOnce("delivery failed, retrying: " + result.message);
			++status.retried;
			if (!waitBackoff(lock, backoff(attempt, result.retryAfter), drainingBefore) || !pending.count(head)) break;
		}
		head.clear();
	}

	// At the deadline: spooled profiles stay for the next start; the rest is lost.
	void countUndelivered()
	{
		for (const auto& entry : pending)
		{
			if (!entry.second.spooled) ++status.droppedAtStop;
		}
		status.droppedAtStop += incoming.size();
		incoming.clear();
		pending.clear();
		inMemory = 0;
	}
};

DeliveryLane::DeliveryLane(const std::string& name, std::unique_ptr<sdk::Reporter> reporter, const LaneSettings& settings, Preparer preparer):
	_name(name),
	_state(std::make_shared<State>(name, std::move(reporter), settings, std::move(preparer)))
{
}

DeliveryLane::~DeliveryLane()
{
	stop(Poco::Timespan(0));
}

const std::string& DeliveryLane::name() const
{
	return _name;
}

void DeliveryLane::start()
{
	if (!_state->settings.spoolDir.empty())
	{
		_state->spool.reset(new Spool(_state->settings.spoolDir, _state->settings.spoolMaxBytes, _state->settings.spoolMaxAge));
		Spool::Evicted evicted = _state->spool->open();
		_state->status.droppedExpired += evicted.expired.size();
		_state->status.droppedSpoolFull += evicted.overCap.size();
		for (const auto& id : _state->spool->ids())
		{
			State::Pending entry;
			entry.spooled = true;
			_state->pending.emplace(id, entry);
		}
		if (!_state->pending.empty())
			_state->logger.information("%s profiles in spool %s to replay", std::to_string(_state->pending.size()), _state->settings.spoolDir);
	}
	_intakeThread = std::thread(&DeliveryLane::runIntake, _state);
	_deliveryThread = std::thread(&DeliveryLane::runDelivery, _state);
}

void DeliveryLane::enqueue(std::shared_ptr<const sdk::Profile> profile)
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	++_state->status.enqueued;
	if (_state->aborted || _state->intakeDone)
	{
		++_state->status.droppedAtStop;
		return;
	}
	_state->incoming.push_back(std::move(profile));
	_state->enforceMemoryCap(); // bounded even while both threads are busy
	_state->wakeUp.notify_all();
}

// Takes arrivals in (prepare, spool) on its own thread, so they reach the
// spool even while a report() call is slow.
void DeliveryLane::runIntake(std::shared_ptr<State> state) noexcept
{
	std::unique_lock<std::mutex> lock(state->mutex);
	for (;;)
	{
		state->wakeUp.wait(lock, [&]() { return state->aborted || state->draining || !state->incoming.empty(); });
		if (state->aborted || (state->incoming.empty() && state->draining)) break;
		if (!state->incoming.empty()) state->intakeOne(lock);
	}
	state->intakeDone = true;
	state->wakeUp.notify_all();
}

void DeliveryLane::runDelivery(std::shared_ptr<State> state) noexcept
{
	std::unique_lock<std::mutex> lock(state->mutex);
	for (;;)
	{
		state->wakeUp.wait(lock, [&]() { return state->aborted || !state->pending.empty() || (state->draining && state->intakeDone); });
		if (state->aborted) break;
		if (state->pending.empty())
		{
			if (state->draining && state->intakeDone) break;
			continue;
		}
		try
		{
			state->deliverHead(lock);
		}
		catch (...)
		{
			// Unreachable by design (every call in deliverHead catches); never let one end the host.
			state->logger.error("unexpected exception in lane " + state->name);
		}
		if (state->parked) break;
	}
	state->deliveryDone = true;
	state->wakeUp.notify_all();
}

void DeliveryLane::requestStop() noexcept
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	_state->draining = true;
	_state->wakeUp.notify_all();
}

bool DeliveryLane::awaitStop(const Poco::Timestamp& deadline) noexcept
{
	if (!_deliveryThread.joinable()) return true;
	std::unique_lock<std::mutex> lock(_state->mutex);
	_state->draining = true;
	_state->wakeUp.notify_all();
	auto done = [&]() { return _state->intakeDone && _state->deliveryDone; };
	auto remaining = std::chrono::microseconds(std::max<Poco::Timestamp::TimeDiff>(deadline - Poco::Timestamp(), 0));
	// An idle lane exits at once, whatever is left of the deadline.
	bool idle = _state->incoming.empty() && _state->pending.empty() && _state->head.empty();
	if (!_state->wakeUp.wait_for(lock, idle ? std::chrono::microseconds(std::chrono::seconds(1)) : remaining, done))
	{
		_state->aborted = true;
		_state->countUndelivered();
		_state->wakeUp.notify_all();
		_state->logger.error("stop deadline passed with deliveries pending; abandoning lane " + _state->name);
		lock.unlock();
		// They hold their own State; the reporter is never destroyed under them.
		_intakeThread.detach();
		_deliveryThread.detach();
		return false;
	}
	bool complete = _state->pending.empty() && _state->incoming.empty();
	if (!complete) _state->countUndelivered(); // parked: spooled entries stay on disk
	lock.unlock();
	_intakeThread.join();
	_deliveryThread.join();
	_state->reporter->stop();
	if (_state->spool) _state->spool->close(); // another lane (or a restart) may take the directory now
	return complete;
}

bool DeliveryLane::stop(Poco::Timespan timeout) noexcept
{
	Poco::Timestamp deadline;
	deadline += timeout;
	requestStop();
	return awaitStop(deadline);
}

LaneStatus DeliveryLane::status() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	LaneStatus status = _state->status;
	status.queued = _state->incoming.size() + _state->pending.size();
	if (_state->spool)
	{
		status.spoolEntries = _state->spool->size();
		status.spoolBytes = _state->spool->bytes();
	}
	return status;
}

} } // namespace asprof::agent
