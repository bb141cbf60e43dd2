//
// Summary.h
//
// What a recording holds: chunks, time span, profiler settings, event counts.
//

#ifndef Asprof_Jfr_Summary_INCLUDED
#define Asprof_Jfr_Summary_INCLUDED

#include "asprof/jfr/Export.h"
#include "asprof/jfr/Input.h"
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace asprof {
namespace jfr {

/// The facts `asprof-jfr summary` prints. Event counts are per type
/// name over all chunks and equal what the JDK's `jfr summary` reports
/// (jdk.Metadata and jdk.CheckPoint included).
struct ASPROF_JFR_API Summary
{
	struct EventType
	{
		std::uint64_t count = 0;
		std::uint64_t bytes = 0; ///< the events' sizes on disk
	};

	std::string input;
	std::uint64_t bytes = 0;
	int chunks = 0;
	std::string jfrVersion;                      ///< "2.0" (of the first chunk)
	std::int64_t startNanos = 0;                 ///< earliest chunk start, ns since the epoch
	std::int64_t durationNanos = 0;              ///< latest chunk end - startNanos
	std::map<std::string, std::string> settings; ///< jdk.ActiveSetting name -> value (the last one wins)
	std::map<std::string, EventType> events;
	std::string warning; ///< an unfinished last chunk left out, else empty

	/// Reads the whole input (an unfinished last chunk after complete
	/// ones is left out and named in warning). Throws JfrError.
	static Summary of(const Input& input);

	/// settings "version" (async-profiler's), or empty.
	std::string profilerVersion() const;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Summary_INCLUDED
