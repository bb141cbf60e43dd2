#include "TooOldProfiles.h"
#include "Poco/DateTimeFormat.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/Logger.h"

namespace asprof {
namespace plugins {

namespace {

// NotInIngestionWindowErrorMsg, grafana/pyroscope pkg/validation/validate.go.
const char* const OUTSIDE_WINDOW = "outside of ingestion window";

} // namespace

TooOldProfiles::TooOldProfiles(Poco::Logger& logger): _logger(logger)
{
}

bool TooOldProfiles::isTooOld(const HttpResponse& response)
{
	return response.status >= 400 && response.status < 500 && response.body.find(OUTSIDE_WINDOW) != std::string::npos;
}

std::string TooOldProfiles::message(const std::string& what)
{
	return what +
		": Pyroscope refused the profile as older than its ingestion window "
		"(validation.reject-older-than, 1h by default): not retried";
}

void TooOldProfiles::rejected(const sdk::Profile& profile)
{
	// A profile sent in parts (one pprof per event type) may be refused over
	// several report() calls: it counts once.
	const std::string key =
		std::to_string(profile.pid) + "/" + std::to_string(profile.seq) + "/" + std::to_string(profile.start.epochMicroseconds());
	if (key == _lastRejected) return;
	_lastRejected = key;
	++_total;
	if (_inRun++ > 0) return;
	_logger.warning("Pyroscope refused profile %s of %s as older than its ingestion window (validation.reject-older-than, "
					"1h by default), as it does profiles replayed from the spool after a long outage; the count follows "
					"when such rejections end",
		std::to_string(profile.seq), Poco::DateTimeFormatter::format(profile.start, Poco::DateTimeFormat::ISO8601_FORMAT));
}

void TooOldProfiles::endRun()
{
	if (_inRun == 0) return;
	_logger.warning("Pyroscope refused %s profile(s) as older than its ingestion window; what it refused is dropped, not sent again",
		std::to_string(_inRun));
	_inRun = 0;
}

std::uint64_t TooOldProfiles::total() const
{
	return _total;
}

} // namespace plugins
} // namespace asprof
