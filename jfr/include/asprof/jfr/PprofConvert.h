//
// PprofConvert.h
//
// Recordings to pprof in one call: what asprof-jfr pprof, the http
// reporter's pprof formats and the agent's pull endpoint share.
//

#ifndef Asprof_Jfr_PprofConvert_INCLUDED
#define Asprof_Jfr_PprofConvert_INCLUDED

#include "asprof/jfr/Export.h"
#include "asprof/jfr/Input.h"
#include "asprof/jfr/PprofWriter.h"
#include "asprof/jfr/StackCollector.h"
#include <cstdint>
#include <string>
#include <vector>

namespace asprof {
namespace jfr {

/// One converted profile.
struct ASPROF_JFR_API PprofProfile
{
	PprofWriter::Kind kind = PprofWriter::Kind::Cpu;
	std::string data;             ///< profile.proto, gzipped unless asked otherwise
	std::uint64_t events = 0;     ///< events collected
	std::int64_t samples = 0;     ///< total of sample value 0 (samples or objects)
	std::int64_t value = 0;       ///< total of sample value 1 (nanoseconds or bytes)
	std::int64_t periodNanos = 0; ///< Cpu/Wall: the sampling interval of the last chunk read (0 otherwise)
	std::int64_t startNanos = 0;  ///< the recordings' time span (epoch ns)
	std::int64_t durationNanos = 0;
};

/// "cpu", "wall", "alloc", "inuse" or "heap".
ASPROF_JFR_API const char* kindName(PprofWriter::Kind kind);

/// The inputs' events of options.event (and options.leak) as one pprof
/// profile, exactly as `asprof-jfr pprof` writes it: a Cpu or Wall
/// value is samples x the interval each chunk's jdk.ActiveSetting names
/// ("interval" or "wall"; async-profiler's defaults, 10 ms and 50 ms,
/// when a recording does not say, with a warning). An unfinished last
/// chunk is left out with a warning. Throws JfrError.
ASPROF_JFR_API PprofProfile convertToPprof(
	const std::vector<const Input*>& inputs, const CollectOptions& options, std::vector<std::string>* warnings = nullptr, bool gzip = true);

/// One profile per event type the recording holds, in this order: Cpu,
/// Wall, Alloc (native memory), each only when it has samples (a
/// recording of frees without a sampled malloc has no Alloc profile);
/// read in one pass. What a reporter uploads per recording. Throws
/// JfrError.
ASPROF_JFR_API std::vector<PprofProfile> convertEachEvent(
	const Input& recording, std::vector<std::string>* warnings = nullptr, bool gzip = true);

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_PprofConvert_INCLUDED
