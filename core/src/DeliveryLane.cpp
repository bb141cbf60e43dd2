#include "DeliveryLane.h"
#include "Poco/Logger.h"
#include "Poco/Random.h"
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>

namespace asprof {
namespace agent {

namespace {

const std::size_t MAX_LOGGED_CAUSES = 64;

} // namespace

struct DeliveryLane::State
{
	std::string name;
	std::unique_ptr<sdk::Reporter> reporter;
	LaneSettings settings;
	Preparer preparer;
	Poco::Logger& logger;

	mutable std::mutex mutex;
	std::condition_variable wakeUp;
	std::deque<std::shared_ptr<const sdk::Profile>> queue;
	bool draining = false; // stop(): deliver what is queued, then exit
	bool aborted = false;  // stop()'s deadline passed: exit now
	bool finished = false;
	bool inFlight = false; // a profile is being prepared, reported or retried
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
		return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(random.next(static_cast<Poco::UInt32>(std::min<Poco::Timespan::TimeDiff>(ceiling, 0x7fffffff)) + 1)));
	}

	void logOnce(const std::string& cause)
	{
		if (loggedCauses.count(cause)) return logger.debug(cause);
		if (loggedCauses.size() < MAX_LOGGED_CAUSES) loggedCauses.insert(cause);
		logger.error(cause);
	}
};

DeliveryLane::DeliveryLane(const std::string& name, std::unique_ptr<sdk::Reporter> reporter, const LaneSettings& settings, Preparer preparer):
	_state(std::make_shared<State>(name, std::move(reporter), settings, std::move(preparer)))
{
}

DeliveryLane::~DeliveryLane()
{
	stop(Poco::Timespan(0));
}

void DeliveryLane::start()
{
	_thread = std::thread(&DeliveryLane::run, _state);
}

void DeliveryLane::enqueue(std::shared_ptr<const sdk::Profile> profile)
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	++_state->status.enqueued;
	if (_state->queue.size() >= std::max<std::size_t>(_state->settings.queueCapacity, 1))
	{
		_state->queue.pop_front();
		++_state->status.droppedQueueFull;
		_state->logOnce("queue full (" + std::to_string(_state->settings.queueCapacity) + " profiles): dropping the oldest");
	}
	_state->queue.push_back(std::move(profile));
	_state->wakeUp.notify_all();
}

void DeliveryLane::run(std::shared_ptr<State> state)
{
	std::unique_lock<std::mutex> lock(state->mutex);
	for (;;)
	{
		state->wakeUp.wait(lock, [&]() { return state->aborted || state->draining || !state->queue.empty(); });
		if (state->aborted || state->queue.empty()) break;
		std::shared_ptr<const sdk::Profile> profile = state->queue.front();
		state->queue.pop_front();
		state->inFlight = true;
		lock.unlock();
		sdk::Profile prepared = state->preparer(*profile);
		for (int attempt = 0;; ++attempt)
		{
			sdk::ReportResult result = state->reportSafely(prepared);
			lock.lock();
			if (result.isOk())
			{
				++state->status.delivered;
				state->status.bytesDelivered += prepared.recording->size();
				break;
			}
			state->status.lastError = result.message;
			if (result.status == sdk::ReportResult::Status::Fail || attempt + 1 >= state->settings.retryMaxAttempts)
			{
				++state->status.failed;
				state->logOnce(std::string(result.status == sdk::ReportResult::Status::Fail ? "dropped a profile: " : "dropped a profile after the last retry: ") + result.message);
				break;
			}
			++state->status.retried;
			Poco::Timespan wait = state->backoff(attempt, result.retryAfter);
			state->wakeUp.wait_for(lock, std::chrono::microseconds(wait.totalMicroseconds()), [&]() { return state->aborted; });
			if (state->aborted)
			{
				++state->status.droppedAtStop;
				break;
			}
			lock.unlock();
		}
		// lock is held here
		state->inFlight = false;
	}
	state->finished = true;
	state->wakeUp.notify_all();
}

bool DeliveryLane::stop(Poco::Timespan timeout) noexcept
{
	if (!_thread.joinable()) return true;
	std::unique_lock<std::mutex> lock(_state->mutex);
	_state->draining = true;
	_state->wakeUp.notify_all();
	// An idle lane exits at once, whatever is left of the deadline.
	bool idle = _state->queue.empty() && !_state->inFlight;
	bool drained = idle || _state->wakeUp.wait_for(lock, std::chrono::microseconds(std::max<Poco::Timespan::TimeDiff>(timeout.totalMicroseconds(), 0)),
		[&]() { return _state->finished; });
	if (!drained)
	{
		_state->aborted = true;
		_state->status.droppedAtStop += _state->queue.size();
		_state->queue.clear();
		_state->wakeUp.notify_all();
		_state->logger.error("stop deadline passed with a delivery in progress; abandoning lane " + _state->name);
		lock.unlock();
		_thread.detach(); // holds its own State; the reporter is never destroyed under it
		return false;
	}
	lock.unlock();
	_thread.join();
	_state->reporter->stop();
	return true;
}

LaneStatus DeliveryLane::status() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	LaneStatus status = _state->status;
	status.queued = _state->queue.size();
	return status;
}

} } // namespace asprof::agent
