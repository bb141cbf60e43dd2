//
// PyroscopeIngest.h
//
// The requests Grafana Pyroscope's /ingest endpoint accepts: a JFR recording
// (format = pyroscope-jfr) or one pprof profile (format = pyroscope).
//

#ifndef Asprof_Plugins_PyroscopeIngest_INCLUDED
#define Asprof_Plugins_PyroscopeIngest_INCLUDED

#include "asprof/sdk/HostMetadata.h"
#include "asprof/sdk/Profile.h"
#include <string>
#include <vector>

namespace asprof {
namespace plugins {

/// POST {url}/ingest?name=<app{k=v,...}>&from=<s>&until=<s>&format=jfr
///   &spyName=asprof-agent&sampleRate=<Hz>
/// with a multipart/form-data body whose file part "jfr" (filename "jfr",
/// application/octet-stream) holds the recording, optionally gzipped: what
/// the Pyroscope Java agent sends (grafana/pyroscope-java,
/// agent/src/main/java/io/pyroscope/javaagent/impl/PyroscopeExporter.java)
/// and what the server reads (grafana/pyroscope, pkg/ingester/pyroscope/
/// ingest_handler.go: query parameters; pkg/og/convert/jfr/profile.go:
/// loadJFRFromForm reads the *file* part "jfr" and gunzips it when it starts
/// with the gzip magic; /ingest never decodes a Content-Encoding).
///
/// The name is parsed by grafana/pyroscope api/model/labelset/labelset.go:
/// the application name may hold A-Z a-z 0-9 _ . - / (validate.go,
/// IsServiceNameRuneAllowed); in "{k=v,...}" a ',' or '}' ends a value and
/// surrounding spaces are trimmed; there is no escape. So labels are made
/// safe, never escaped:
///   - names become Prometheus-style [a-zA-Z_][a-zA-Z0-9_]* (what the
///     distributor's validation accepts in every mode): other characters
///     become '_', a leading digit gets a '_' in front;
///   - names starting with "__" (reserved: "__name__" would replace the
///     application name) and "pyroscope_spy", "jfr_event" (the server adds
///     them; a second one is a duplicate-label error) are dropped;
///   - in values, '{' '}' ',' '=' and control bytes become '_' (',' and '}'
///     would end the value; the Java agent refuses '{' and '=' as well),
///     surrounding spaces are trimmed; labels with an empty value are dropped;
///   - when two labels end up with one name, the first wins.
struct PyroscopeIngest
{
	static const char* const SPY_NAME;         ///< "asprof-agent"
	static const unsigned DEFAULT_SAMPLE_RATE; ///< 100 (Hz): async-profiler's default 10ms cpu interval

	/// Non-empty, only A-Z a-z 0-9 _ . - /.
	static bool isValidAppName(const std::string& appName);

	/// The profile's labels, then each named host metadata field that has a
	/// value, named labelNameOf(field).
	static sdk::KeyValueList labelsOf(const sdk::Profile& profile, const std::vector<std::string>& hostFields);

	/// camelCase to snake_case: "instanceId" -> "instance_id".
	static std::string labelNameOf(const std::string& field);

	struct Name
	{
		std::string text;                 ///< app{k=v,...}, or app without labels
		std::vector<std::string> dropped; ///< "<label> (<why>)" for each label left out
	};

	static Name name(const std::string& appName, const sdk::KeyValueList& labels);

	/// 1 s / the interval=<ns> (or <n>us, <n>ms, <n>s) of the async-profiler
	/// arguments, at least 1; DEFAULT_SAMPLE_RATE without one.
	static unsigned sampleRate(const std::string& profilerArgs);

	/// name, from (start, whole seconds), until (end, whole seconds), format,
	/// spyName, sampleRate; every value percent-encoded.
	static std::string query(const std::string& name, const sdk::Profile& profile, unsigned sampleRate);

	/// name, from, until, spyName; no format and no sampleRate. Without
	/// format= the server takes a multipart body as a pprof form
	/// (ingest_handler.go, readInputRawDataFromRequest: format=pprof would
	/// take the whole body as the profile) and a pprof carries its own
	/// period, so no sampleRate applies (pkg/og/convert/pprof/profile.go).
	/// The name holds no ".cpu" suffix: for pprof the service_name label is
	/// the name as given and the profile type comes from the sample types.
	static std::string pprofQuery(const std::string& name, const sdk::Profile& profile);

	/// A random multipart boundary that does not occur in part.
	static std::string boundaryFor(const std::string& part);

	/// The form with the single file part field ("jfr" for a JFR, "profile"
	/// for a pprof). It must be a file part (a filename): Pyroscope's
	/// form.ReadField reads form.File only and ignores a plain field.
	static std::string multipartBody(
		const std::string& field, const std::string& filename, const std::string& part, const std::string& boundary);
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_PyroscopeIngest_INCLUDED
