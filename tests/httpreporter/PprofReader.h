//
// PprofReader.h
//
// An independent reader for what the http reporter's pprof formats send: a
// minimal protobuf decoder of profile.proto (google/pprof proto/profile.proto
// field numbers), and Pyroscope's rules for naming what it receives.
//

#ifndef Asprof_Tests_PprofReader_INCLUDED
#define Asprof_Tests_PprofReader_INCLUDED

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace asprof {
namespace test {

struct DecodedPprof
{
	std::vector<std::pair<std::string, std::string>> sampleTypes; ///< (type, unit)
	std::pair<std::string, std::string> periodType;
	std::int64_t period = 0;
	std::int64_t timeNanos = 0;
	std::int64_t durationNanos = 0;
	std::size_t sampleCount = 0;      ///< number of Sample messages
	std::vector<std::int64_t> totals; ///< per sample type, the sum of the values
	std::size_t locations = 0;
	std::size_t functions = 0;

	/// "samples/count,cpu/nanoseconds"
	std::string sampleTypeText() const;
};

/// Decodes a profile.proto (gunzipped first when it starts with the gzip
/// magic); fails the test on malformed protobuf or string indexes out of range.
DecodedPprof decodePprof(const std::string& bytes);

/// The __name__ Pyroscope gives a pprof it ingests through /ingest:
/// grafana/pyroscope pkg/og/convert/pprof/profile.go, metricName() with the
/// default sample-type mapping, transcribed.
std::string pyroscopeMetricName(const DecodedPprof& profile);

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_PprofReader_INCLUDED
