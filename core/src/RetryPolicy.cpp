#include "RetryPolicy.h"
#include "DeliveryClock.h"
#include "DeliveryLane.h"
#include <algorithm>

namespace asprof {
namespace agent {

DeliveryClock::~DeliveryClock() = default;

DeliveryClock::TimePoint DeliveryClock::now() const
{
	return std::chrono::steady_clock::now();
}

bool DeliveryClock::waitUntil(
	std::unique_lock<std::mutex>& lock, std::condition_variable& wakeUp, TimePoint until, const std::function<bool()>& interrupted)
{
	return wakeUp.wait_until(lock, until, interrupted);
}

RetryPolicy::RetryPolicy(const LaneSettings& settings, Random random):
	_initialBackoff(settings.retryInitialBackoff),
	_maxBackoff(settings.retryMaxBackoff),
	_maxAttempts(settings.retryMaxAttempts),
	_random(std::move(random))
{
}

RetryPolicy::Decision RetryPolicy::decide(const sdk::ReportResult& result, int attempt, bool spooled, bool stopping) const
{
	Decision decision;
	if (result.status == sdk::ReportResult::Status::Ok) return decision;
	if (result.status == sdk::ReportResult::Status::Fail || (!spooled && attempt + 1 >= _maxAttempts))
	{
		decision.action = Action::Drop;
		return decision;
	}
	if (spooled && stopping)
	{
		decision.action = Action::Park;
		return decision;
	}
	decision.action = Action::Retry;
	decision.wait = backoff(attempt, result.retryAfter);
	return decision;
}

Poco::Timespan RetryPolicy::backoff(int attempt, const std::optional<Poco::Timespan>& retryAfter) const
{
	if (retryAfter) return std::max(Poco::Timespan(0), std::min(*retryAfter, _maxBackoff));
	Poco::Timespan::TimeDiff ceiling = _initialBackoff.totalMicroseconds();
	for (int i = 0; i < attempt && ceiling < _maxBackoff.totalMicroseconds(); ++i) ceiling *= 2;
	ceiling = std::min(ceiling, _maxBackoff.totalMicroseconds());
	if (ceiling <= 0) return Poco::Timespan(0);
	double fraction = std::clamp(_random ? _random() : 0.5, 0.0, 1.0);
	return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(fraction * static_cast<double>(ceiling)));
}

} // namespace agent
} // namespace asprof
