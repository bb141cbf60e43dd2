//
// TimeSpec.h
//
// --from and --to: a point in a recording.
//

#ifndef Asprof_Jfr_Cli_TimeSpec_INCLUDED
#define Asprof_Jfr_Cli_TimeSpec_INCLUDED

#include <cstdint>
#include <string>

namespace asprof {
namespace jfr {
namespace cli {

/// Epoch nanoseconds for a --from/--to value, as async-profiler's converter
/// reads it: milliseconds since the recording's start (12000), negative
/// from its end (-5000), or since the epoch (>= 1500000000000); or with a
/// unit (500ms, 30s, 2m, 1h) since the start (negative: from the end); or a
/// UTC clock time HH:MM[:SS[.mmm]] on the day the recording started; or
/// YYYY-MM-DDTHH:MM[:SS[.mmm]] (UTC). Throws UsageError naming option.
std::int64_t resolveTime(const std::string& text, const std::string& option, std::int64_t startNanos, std::int64_t endNanos);

} // namespace cli
} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Cli_TimeSpec_INCLUDED
