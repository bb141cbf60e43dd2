//
// EndpointSupport.h
//
// Helpers of the endpoint tests: an HTTP GET, Google pprof, agent.ini text.
//

#ifndef Asprof_Tests_EndpointSupport_INCLUDED
#define Asprof_Tests_EndpointSupport_INCLUDED

#include <map>
#include <string>
#include <vector>

namespace asprof {
namespace test {

struct HttpAnswer
{
	int status = 0;
	std::string contentType;
	std::string body;
	std::map<std::string, std::string> headers;
	std::string header(const std::string& name) const;
};

/// GET http://<address><path> with a 60 s timeout; throws on a network error.
HttpAnswer httpGet(const std::string& address, const std::string& path, const std::string& authorization = "");

/// The Google pprof that tests/jfr/build-pprof.sh builds into the build
/// tree (built now if missing and possible); empty when not available.
std::string pprofBinary();

struct PprofRaw
{
	std::string sampleTypes;         ///< "samples/count cpu/nanoseconds"
	std::vector<long double> totals; ///< the sum of each sample value
	std::string durationLine;        ///< "Duration: 2.01s" or empty
	std::string text;
};

/// pprof -raw of the profile's bytes; throws when pprof cannot read it.
PprofRaw pprofRaw(const std::string& pprof, const std::string& profile);

/// pprof -top -sample_index=<sampleIndex> -unit=byte... output; throws on failure.
std::string pprofTop(const std::string& pprof, const std::string& profile, const std::string& sampleIndex);

/// An agent.ini on the fake async-profiler and the capture reporter
/// (writing to directory), with the given [endpoint] and [profiler] keys.
std::string endpointIni(
	const std::string& endpoint, const std::string& profiler, const std::string& directory, const std::string& interval = "1h");

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_EndpointSupport_INCLUDED
