//
// PprofDelivery.h
//
// format = pprof and pyroscope: one recording as one pprof profile per event
// type, and which of them the destination already has.
//

#ifndef Asprof_Plugins_PprofDelivery_INCLUDED
#define Asprof_Plugins_PprofDelivery_INCLUDED

#include "asprof/jfr/PprofConvert.h"
#include "asprof/sdk/Profile.h"
#include "asprof/sdk/ReportResult.h"
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace asprof {
namespace plugins {

/// Converts a profile's recording in process (libasprof-jfr convertEachEvent:
/// cpu, wall and alloc, each only when the recording has such events, values
/// = samples x the interval the recording names) and sends each part with a
/// caller's function, one request per part.
///
/// A profile may need several report() calls (Retry). The parts of the
/// profile in flight are kept between calls, with what each part's send
/// returned, so a retry neither converts again nor sends a part the
/// destination already took: no duplicate cpu profile because the wall one
/// failed. report() is never concurrent on one reporter, so one slot holds
/// the profile in flight; another profile (same pid, seq and start = the
/// same one) replaces it.
///
/// The result is honest: Retry as soon as a part gets Retry (the others
/// wait for the next call: the server is likely down for them too); once
/// every part has an answer, Fail naming each part that failed, else Ok.
class PprofDelivery
{
public:
	/// Sends one part; may throw (the caller's report() classifies it).
	using Send = std::function<sdk::ReportResult(const jfr::PprofProfile& part)>;

	explicit PprofDelivery(bool gzip);

	/// Ok for a recording without cpu, wall or alloc events (nothing to
	/// send). Throws what the conversion throws (jfr::JfrError for a
	/// recording that cannot be read, Poco::FileException, ...) and what
	/// send throws; the parts stay for the next call in that case.
	sdk::ReportResult deliver(const sdk::Profile& profile, const Send& send);

	/// How many recordings were converted so far (tests: a retry does not convert).
	std::uint64_t conversions() const;

	/// What the conversions warned about since the last call (an unfinished
	/// last chunk, a recording without its interval setting).
	std::vector<std::string> takeWarnings();

	/// The recording copied into an anonymous memory file (libasprof-jfr
	/// reads with pread) and converted. Throws as deliver().
	static std::vector<jfr::PprofProfile> convert(const sdk::Profile& profile, bool gzip, std::vector<std::string>* warnings);

private:
	struct Part
	{
		jfr::PprofProfile profile;
		bool answered = false;
		std::string failure; ///< the Fail message, when the destination refused it
	};

	bool holds(const sdk::Profile& profile) const;
	sdk::ReportResult outcome() const;

	bool _gzip;
	bool _holding = false;
	std::uint64_t _seq = 0;
	int _pid = 0;
	Poco::Timestamp::TimeVal _start = 0;
	std::vector<Part> _parts;
	std::uint64_t _conversions = 0;
	std::vector<std::string> _warnings;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_PprofDelivery_INCLUDED
