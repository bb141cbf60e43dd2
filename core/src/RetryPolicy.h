//
// RetryPolicy.h
//
// What a lane does with a report() result: done, drop, retry after a
// backoff, or leave it in the spool for the next start.
//

#ifndef Asprof_Agent_RetryPolicy_INCLUDED
#define Asprof_Agent_RetryPolicy_INCLUDED

#include "asprof/sdk/ReportResult.h"
#include "Poco/Timespan.h"
#include <functional>
#include <optional>

namespace asprof {
namespace agent {

struct LaneSettings;

/// Retry results are retried with full-jitter exponential backoff: a
/// random wait in [0, min(retryMaxBackoff, retryInitialBackoff * 2^attempt)],
/// or the reporter's retryAfter (capped at retryMaxBackoff). A profile
/// that is only in memory is given up after retryMaxAttempts attempts; one
/// that is safe in the spool is retried until the spool's caps remove it,
/// and while the lane stops it is left there for the next start (no stop
/// deadline is spent on a backend that is down). Fail is final.
/// Pure: no clock, no I/O; the random source is injected.
class RetryPolicy
{
public:
	enum class Action
	{
		Done,  ///< delivered
		Drop,  ///< count as failed
		Retry, ///< wait `wait`, then report again
		Park   ///< leave it in the spool for the next start
	};

	struct Decision
	{
		Action action = Action::Done;
		Poco::Timespan wait;
	};

	/// Uniform in [0, 1).
	using Random = std::function<double()>;

	RetryPolicy(const LaneSettings& settings, Random random);

	/// attempt counts from 0 for the first report() of this profile.
	Decision decide(const sdk::ReportResult& result, int attempt, bool spooled, bool stopping) const;

	Poco::Timespan backoff(int attempt, const std::optional<Poco::Timespan>& retryAfter) const;

private:
	Poco::Timespan _initialBackoff;
	Poco::Timespan _maxBackoff;
	int _maxAttempts;
	Random _random;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_RetryPolicy_INCLUDED
