#include "DeliveryLane.h"
#include "PluginBoundary.h"
#include "ProfileAssembler.h"
#include "ProfileQueue.h"
#include "SignalMask.h"
#include "Spool.h"
#include "Poco/Exception.h"
#include "Poco/Logger.h"
#include "Poco/Random.h"
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <set>

namespace asprof {
namespace agent {

namespace {

const std::size_t MAX_LOGGED_CAUSES = 64;

std::chrono::steady_clock::time_point steadyDeadline(const Poco::Timestamp& deadline)
{
	Poco::Timestamp::TimeDiff remaining = std::max<Poco::Timestamp::TimeDiff>(deadline - Poco::Timestamp(), 0);
	return std::chrono::steady_clock::now() + std::chrono::microseconds(remaining);
}

RetryPolicy::Random systemRandom()
{
	auto random = std::make_shared<Poco::Random>();
	random->seed();
	auto mutex = std::make_shared<std::mutex>();
	return [random, mutex]() {
		std::lock_guard<std::mutex> lock(*mutex);
		return random->nextDouble();
	};
}

// The spool throws with the errno as code: say it in words.
std::string describeSpoolError() noexcept
{
	try
	{
		throw;
	}
	catch (Poco::Exception& e)
	{
		return e.code() > 0 && e.code() < 4096 ? std::string(std::strerror(e.code())) : e.displayText();
	}
	catch (...)
	{
		return describeCurrentException();
	}
}

/// Logs each distinct cause once at error level (repeats at debug), and
/// at most MAX_LOGGED_CAUSES distinct ones. Thread-safe; never called
/// under the queue's lock.
class CauseLog
{
public:
	explicit CauseLog(Poco::Logger& logger): _logger(logger)
	{
	}

	void log(const std::string& cause) noexcept
	{
		try
		{
			std::unique_lock<std::mutex> lock(_mutex);
			bool first = _logged.size() < MAX_LOGGED_CAUSES && _logged.insert(cause).second;
			bool overflow = !first && !_full && _logged.size() >= MAX_LOGGED_CAUSES && !_logged.count(cause);
			if (overflow) _full = true;
			lock.unlock();
			if (first)
				_logger.error(cause);
			else if (overflow)
				_logger.error(
					"more than %s distinct delivery errors; further new ones are logged at debug level", std::to_string(MAX_LOGGED_CAUSES));
			if (!first) _logger.debug(cause);
		}
		catch (...)
		{
			// A log channel that throws must not end a lane.
		}
	}

private:
	Poco::Logger& _logger;
	std::mutex _mutex;
	std::set<std::string> _logged;
	bool _full = false;
};

// The first call of every thread a lane starts: its name (users read top and
// their own profiles), and the signals it must never take.
void nameThisThread(const char* name)
{
	blockAgentThreadSignals();
	::pthread_setname_np(::pthread_self(), name); // at most 15 characters
}

} // namespace

struct DeliveryLane::State
{
	State(const std::string& laneName, std::unique_ptr<sdk::Reporter> laneReporter, const LaneSettings& laneSettings,
		std::shared_ptr<const ProfileAssembler> laneAssembler, LaneSeams seams):
		name(laneName),
		pluginName("[reporter." + laneName + "]" + (laneSettings.pluginPath.empty() ? "" : " (" + laneSettings.pluginPath + ")")),
		reporter(std::move(laneReporter)),
		settings(laneSettings),
		assembler(std::move(laneAssembler)),
		clock(seams.clock ? seams.clock : std::make_shared<DeliveryClock>()),
		policy(laneSettings, seams.random ? seams.random : systemRandom()),
		queue(laneName, laneSettings.queueCapacity),
		logger(Poco::Logger::get("asprof.lane." + laneName)),
		causes(logger)
	{
	}

	void takeIn(const ProfileQueue::Item& item);
	void deliver(const ProfileQueue::Item& item);
	void removeFromSpool(const std::string& spoolId);
	void logQueueFull(std::size_t dropped);
	void threadExited();

	// A lane thread's loop: take the next item and handle it until the queue
	// says stop. No exception ever leaves it.
	template <class Next, class Handle>
	ASPROF_CATCHES_FORCED_UNWIND void run(const char* threadName, Next next, Handle handle)
	{
		nameThisThread(threadName);
		try
		{
			while (ProfileQueue::Item item = next()) handle(item);
		}
		catch (abi::__forced_unwind&)
		{
			// A plugin called pthread_exit() on this thread: it ends, as asked;
			// stop counts what it leaves.
			causes.log(
				std::string(threadName) + " of lane " + name + ": a plugin ended this thread (pthread_exit); the lane delivers no more");
			threadExited();
			throw;
		}
		catch (...)
		{
			causes.log(std::string(threadName) + " of lane " + name + ": unexpected exception: " + describeCurrentException());
		}
		threadExited();
	}

	const std::string name;
	const std::string pluginName;
	const std::unique_ptr<sdk::Reporter> reporter;
	const LaneSettings settings;
	const std::shared_ptr<const ProfileAssembler> assembler;
	const std::shared_ptr<DeliveryClock> clock;
	const RetryPolicy policy;
	ProfileQueue queue;
	std::unique_ptr<Spool> spool; // set before the threads start, never reset while they run
	Poco::Logger& logger;
	CauseLog causes;

	std::mutex threadsMutex;
	std::condition_variable threadsDone;
	int runningThreads = 0;
};

// Intake: complete the profile (host metadata) and write it to the spool.
void DeliveryLane::State::takeIn(const ProfileQueue::Item& item)
{
	std::shared_ptr<const sdk::Profile> complete = item.profile;
	std::string error = callGuarded([&]() {
		if (assembler) complete = std::make_shared<const sdk::Profile>(assembler->complete(*item.profile));
	});
	if (!error.empty())
	{
		queue.arrivalFailed(item, "cannot assemble a profile: " + error);
		return causes.log("cannot assemble a profile: " + error);
	}
	Spool::Evicted evicted;
	bool spooled = false;
	if (spool)
	{
		try
		{
			spool->add(*complete, evicted);
			spooled = true;
		}
		catch (...)
		{
			causes.log("cannot write to the spool " + spool->directory() + ", keeping profiles in memory: " + describeSpoolError());
		}
	}
	logQueueFull(queue.arrived(item, complete, spooled, evicted.expired, evicted.overCap));
}

// Delivery: report, then done / drop / retry after a backoff / park.
void DeliveryLane::State::deliver(const ProfileQueue::Item& item)
{
	std::shared_ptr<const sdk::Profile> profile = item.profile;
	if (!profile)
	{
		std::shared_ptr<sdk::Profile> loaded;
		std::string error = callGuarded([&]() { loaded = spool->load(item.spoolId); });
		if (!error.empty()) causes.log("cannot read spool entry " + item.spoolId + ": " + error);
		if (!queue.loaded(item, loaded)) return; // corrupt (moved aside, counted), or closed
		profile = loaded;
	}
	for (int attempt = 0;; ++attempt)
	{
		bool stoppingBefore = queue.stopping();
		sdk::ReportResult result = reportGuarded(*reporter, *profile, pluginName);
		RetryPolicy::Decision decision = policy.decide(result, attempt, item.spooled, queue.stopping());
		switch (decision.action)
		{
		case RetryPolicy::Action::Done:
		{
			std::uint64_t bytes = 0;
			callGuarded([&]() { bytes = profile->recording->size(); });
			return removeFromSpool(queue.delivered(item, bytes));
		}
		case RetryPolicy::Action::Drop:
			causes.log(std::string(result.status == sdk::ReportResult::Status::Fail ? "dropped a profile: "
																					: "dropped a profile after the last retry: ") +
				result.message);
			return removeFromSpool(queue.failed(item, result.message));
		case RetryPolicy::Action::Park:
			return queue.park(item, result.message); // safe on disk: no stop deadline is spent on a backend that is down
		case RetryPolicy::Action::Retry: break;
		}
		if (attempt == 0) causes.log("delivery failed, retrying: " + result.message);
		if (!queue.stillWanted(item)) return removeFromSpool(queue.failed(item, result.message)); // the spool's caps removed it
		queue.retrying(item, result.message);
		auto until = clock->now() + std::chrono::microseconds(decision.wait.totalMicroseconds());
		if (!queue.waitBeforeRetry(item, *clock, until, stoppingBefore)) return; // closed at the deadline: counted there
		if (!queue.stillWanted(item)) return removeFromSpool(queue.failed(item, result.message));
	}
}

void DeliveryLane::State::removeFromSpool(const std::string& spoolId)
{
	if (spoolId.empty() || !spool) return;
	std::string error = callGuarded([&]() { spool->remove(spoolId); });
	if (!error.empty()) causes.log("cannot remove spool entry " + spoolId + ": " + error);
}

void DeliveryLane::State::logQueueFull(std::size_t dropped)
{
	if (dropped > 0) causes.log("queue full (" + std::to_string(settings.queueCapacity) + " profiles in memory): dropping the oldest");
}

void DeliveryLane::State::threadExited()
{
	std::lock_guard<std::mutex> lock(threadsMutex);
	--runningThreads;
	threadsDone.notify_all();
}

DeliveryLane::DeliveryLane(const std::string& name, std::unique_ptr<sdk::Reporter> reporter, const LaneSettings& settings,
	std::shared_ptr<const ProfileAssembler> assembler, LaneSeams seams):
	_name(name),
	_state(std::make_shared<State>(name, std::move(reporter), settings, std::move(assembler), std::move(seams)))
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

const LaneSettings& DeliveryLane::settings() const
{
	return _state->settings;
}

void DeliveryLane::start()
{
	if (!_state->settings.spoolDir.empty())
	{
		_state->spool.reset(new Spool(_state->settings.spoolDir, _state->settings.spoolMaxBytes, _state->settings.spoolMaxAge));
		Spool::Evicted evicted = _state->spool->open();
		std::vector<std::string> ids = _state->spool->ids();
		_state->queue.recover(ids, evicted.expired.size(), evicted.overCap.size());
		if (!ids.empty())
			_state->logger.information("%s profiles in spool %s to replay", std::to_string(ids.size()), _state->settings.spoolDir);
	}
	TerminationSignalsBlocked signalsBlocked; // inherited by the threads
	_state->runningThreads = 2;
	_intakeThread = std::thread(&DeliveryLane::runIntake, _state);
	_deliveryThread = std::thread(&DeliveryLane::runDelivery, _state);
}

void DeliveryLane::enqueue(std::shared_ptr<const sdk::Profile> profile)
{
	std::string spoolId = Spool::makeId(*profile);
	_state->logQueueFull(_state->queue.push(std::move(profile), spoolId));
}

void DeliveryLane::runIntake(std::shared_ptr<State> state)
{
	state->run(
		"asprof-intake", [&]() { return state->queue.nextArrival(); }, [&](const ProfileQueue::Item& item) { state->takeIn(item); });
}

void DeliveryLane::runDelivery(std::shared_ptr<State> state)
{
	state->run(
		"asprof-deliver", [&]() { return state->queue.nextDelivery(); }, [&](const ProfileQueue::Item& item) { state->deliver(item); });
}

void DeliveryLane::requestStop() noexcept
{
	_state->queue.requestStop();
}

bool DeliveryLane::awaitStop(const Poco::Timestamp& deadline) noexcept
{
	if (_stopped) return true;
	_state->queue.requestStop();
	bool finished = true;
	if (_deliveryThread.joinable())
	{
		std::unique_lock<std::mutex> lock(_state->threadsMutex);
		finished = _state->threadsDone.wait_until(lock, steadyDeadline(deadline), [&]() { return _state->runningThreads == 0; });
	}
	return settle(finished, deadline);
}

// After the drain: join (or abandon) the threads, stop the reporter within the
// deadline, release the spool, and count every profile left.
bool DeliveryLane::settle(bool threadsFinished, const Poco::Timestamp& deadline) noexcept
{
	_stopped = true;
	std::shared_ptr<State> state = _state;
	if (threadsFinished)
	{
		if (_deliveryThread.joinable())
		{
			_intakeThread.join();
			_deliveryThread.join();
			stopReporter(state, deadline);
		}
	}
	else
	{
		state->logger.error("stop deadline passed with %s profiles not delivered; abandoning lane %s",
			std::to_string(state->queue.snapshot().queued), state->name);
		_intakeThread.detach(); // they hold their own State
		_deliveryThread.detach();
	}
	if (state->spool) callGuarded([&]() { state->spool->close(); }); // another lane (or a restart) may take the directory now
	LaneStatus before = state->queue.snapshot();
	Spool* spool = state->spool.get();
	state->queue.close([spool](const std::string& id) { return spool && spool->contains(id); });
	return before.queued == 0;
}

// stop() is a plugin call: guarded, and waited for only until the deadline.
void DeliveryLane::stopReporter(const std::shared_ptr<State>& state, const Poco::Timestamp& deadline) noexcept
{
	struct Call
	{
		std::mutex mutex;
		std::condition_variable done;
		bool finished = false;
		std::string error;
	};
	try
	{
		auto call = std::make_shared<Call>();
		TerminationSignalsBlocked signalsBlocked;
		std::thread thread([state, call]() ASPROF_CATCHES_FORCED_UNWIND {
			nameThisThread("asprof-stop");
			std::string error;
			try
			{
				error = callGuarded([&]() { state->reporter->stop(); });
			}
			catch (abi::__forced_unwind&)
			{
				std::lock_guard<std::mutex> lock(call->mutex);
				call->error = "it ended its thread (pthread_exit)";
				call->finished = true;
				call->done.notify_all();
				throw;
			}
			std::lock_guard<std::mutex> lock(call->mutex);
			call->error = error;
			call->finished = true;
			call->done.notify_all();
		});
		std::unique_lock<std::mutex> lock(call->mutex);
		if (!call->done.wait_until(lock, steadyDeadline(deadline), [&]() { return call->finished; }))
		{
			lock.unlock();
			thread.detach();
			state->logger.error("%s: stop() did not return by the stop deadline; not waiting for it", state->pluginName);
			return;
		}
		lock.unlock();
		thread.join();
		if (!call->error.empty()) state->logger.error("%s threw from stop(): %s", state->pluginName, call->error);
	}
	catch (...)
	{
		state->logger.error("%s: cannot stop: %s", state->pluginName, describeCurrentException());
	}
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
	LaneStatus status = _state->queue.snapshot();
	if (_state->spool)
	{
		status.spoolEntries = _state->spool->size();
		status.spoolBytes = _state->spool->bytes();
	}
	return status;
}

} // namespace agent
} // namespace asprof
