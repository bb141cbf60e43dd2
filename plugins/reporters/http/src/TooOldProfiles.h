//
// TooOldProfiles.h
//
// Profiles Pyroscope refuses because they are older than its ingestion window.
//

#ifndef Asprof_Plugins_TooOldProfiles_INCLUDED
#define Asprof_Plugins_TooOldProfiles_INCLUDED

#include "asprof/plugins/HttpClient.h"
#include "asprof/sdk/Profile.h"
#include <cstdint>
#include <string>

namespace Poco {
class Logger;
}

namespace asprof {
namespace plugins {

/// Pyroscope's distributor refuses a profile whose time lies before now -
/// validation.reject-older-than (1 h by default; grafana/pyroscope
/// pkg/validation/limits.go, RejectOlderThan; validate.go,
/// ingestionWindow.valid: "... is outside of ingestion window ..."), and
/// /ingest answers 4xx. That is what profiles replayed from the spool after
/// a long outage get: not a fault of the reporter or the server, and
/// sending them again cannot help. They are Fail (the SDK's permanent
/// outcome) with one fixed message, so the lane logs the cause once; this
/// class logs the first of a run with the profile's time and, when the run
/// ends (a profile delivered, or stop()), one line with the count.
class TooOldProfiles
{
public:
	explicit TooOldProfiles(Poco::Logger& logger);

	/// A 4xx whose body says the profile is outside the ingestion window.
	static bool isTooOld(const HttpResponse& response);

	/// The Fail message: "<what>: ... older than Pyroscope's ingestion window ...".
	static std::string message(const std::string& what);

	/// Counts one profile (once, however many of its parts or report()
	/// calls were refused); logs the first of a run.
	void rejected(const sdk::Profile& profile);

	/// Logs how many profiles the run had, if any, and starts a new run.
	void endRun();

	/// Profiles rejected as too old since configure().
	std::uint64_t total() const;

private:
	Poco::Logger& _logger;
	std::uint64_t _inRun = 0;
	std::uint64_t _total = 0;
	std::string _lastRejected; ///< pid/seq/start of the profile counted last
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_TooOldProfiles_INCLUDED
