//
// HttpReporterOptions.h
//
// The settings of an http reporter instance, read and checked in one place.
//

#ifndef Asprof_Plugins_HttpReporterOptions_INCLUDED
#define Asprof_Plugins_HttpReporterOptions_INCLUDED

#include "UrlTemplate.h"
#include "asprof/plugins/HttpClient.h"
#include "asprof/sdk/ProfileArchive.h"
#include "asprof/sdk/PluginContext.h"
#include <string>
#include <vector>

namespace asprof {
namespace plugins {

/// Every key of [reporter.<name>] type = http, with its default. configure()
/// fills it with read(), which throws Poco::InvalidArgumentException naming
/// the file, section and key (secrets never shown: "(value hidden)").
struct HttpReporterOptions
{
	enum class Format
	{
		Pyroscope,    ///< one pprof per event type, each a multipart form to Pyroscope's /ingest
		PyroscopeJfr, ///< the JFR as a multipart form to Pyroscope's /ingest?format=jfr
		Pprof,        ///< one pprof per event type as the body, the facts in X-Asprof-* headers
		Raw,          ///< the JFR as the body, the profile's facts in X-Asprof-* headers
		Zip           ///< the ProfileArchive zip as the body
	};

	enum class Auth
	{
		None,
		Bearer,     ///< bearerToken
		BearerFile, ///< bearerTokenFile, re-read when it changes
		Basic       ///< basicAuthUser/basicAuthPassword, or the URL's userinfo
	};

	Format format = Format::Pyroscope;
	std::string method = "POST";
	UrlTemplate url;
	bool gzip = true; ///< default: yes for pyroscope, pyroscope-jfr and pprof, no for raw and zip
	sdk::ProfileArchive::CompressionLevel compressionLevel = sdk::ProfileArchive::CL_FAST;
	///< the zip body's deflate and the gzip of raw, zip and pyroscope-jfr bodies
	///< (a pprof's own gzip is libasprof-jfr's)
	HeaderList headers;      ///< headers.<Name> = value, in the order Poco enumerates them
	std::string tenant;      ///< X-Scope-OrgID
	std::string appName;     ///< pyroscope, pyroscope-jfr: required
	unsigned sampleRate = 0; ///< pyroscope-jfr: Hz; 0 = from the profiler's interval
	std::vector<std::string> hostLabels = {"hostname", "instanceId", "taskArn"};
	///< pyroscope, pyroscope-jfr: host metadata fields added as labels
	Auth auth = Auth::None;
	std::string bearerToken;
	std::string bearerTokenFile;
	std::string basicAuthUser;
	std::string basicAuthPassword;
	HttpOptions http; ///< timeout = 10s, caFile, clientCert, clientKey, insecureSkipVerify = no

	static HttpReporterOptions read(sdk::PluginContext& context);

	/// "pyroscope", "pyroscope-jfr", "pprof", "raw" or "zip".
	static const char* formatName(Format format);

	/// format is pyroscope or pyroscope-jfr.
	bool isPyroscope() const;

	/// format is pyroscope or pprof: the recording is converted to pprof.
	bool isPprof() const;

private:
	void readTarget(sdk::PluginContext& context);
	void readPyroscope(sdk::PluginContext& context);
	void readHeaders(sdk::PluginContext& context);
	void readAuth(sdk::PluginContext& context);
	void readHttp(sdk::PluginContext& context);
};

/// Whether headers hold one of that name (case-insensitive).
bool hasHeader(const HeaderList& headers, const std::string& name);

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_HttpReporterOptions_INCLUDED
