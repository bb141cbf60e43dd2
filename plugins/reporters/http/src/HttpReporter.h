//
// HttpReporter.h
//
// Sends each profile to an HTTP endpoint: Grafana Pyroscope's /ingest (pprof
// per event type, or the JFR), or any server that takes pprof, the JFR or the
// zip as a request body.
//

#ifndef Asprof_Plugins_HttpReporter_INCLUDED
#define Asprof_Plugins_HttpReporter_INCLUDED

#include "HttpReporterOptions.h"
#include "PprofDelivery.h"
#include "TokenFile.h"
#include "TooOldProfiles.h"
#include "asprof/plugins/HttpClient.h"
#include "asprof/sdk/Reporter.h"
#include <memory>
#include <map>
#include <set>
#include <string>

namespace Poco {
class Logger;
}

namespace asprof {
namespace plugins {

/// [reporter.<name>] type = http. Keys (HttpReporterOptions has the defaults):
///   url              (required) http(s)://[user:password@]host[:port][/path][?query],
///                    {placeholders} in the path and query (see UrlTemplate)
///   format = pyroscope   pyroscope | pyroscope-jfr | pprof | raw | zip (docs/formats.md)
///   method = POST        POST | PUT
///   gzip                 yes | no; default yes for pyroscope, pyroscope-jfr, pprof; no otherwise
///   compressionLevel = fast  fast (zlib 1) | normal (6) | best (9): the zip's deflate and
///                        the gzip of raw, zip and pyroscope-jfr bodies (a pprof's own
///                        gzip is the converter's, zlib 6)
///   headers.<Name>       extra request headers
///   tenant               sent as X-Scope-OrgID (Pyroscope/Grafana Cloud multi-tenancy)
///   appName              pyroscope, pyroscope-jfr: required, the service name
///   sampleRate = 0       pyroscope-jfr only: Hz; 0 = 1 s / the profiler's cpu interval
///   hostLabels = hostname, instanceId, taskArn
///                        pyroscope, pyroscope-jfr: host metadata fields added as labels
///   bearerToken | bearerTokenFile | basicAuthUser + basicAuthPassword
///   timeout = 10s, caFile, clientCert + clientKey, insecureSkipVerify = no
///
/// The request per format:
///   pyroscope: per event type in the recording (cpu, wall, alloc), one
///              POST <url>/ingest?name=..&from=..&until=..&spyName=asprof-agent
///              with a multipart form whose file part "profile" holds that
///              type's pprof (gzipped unless gzip = no), converted on the
///              lane's thread (PprofDelivery); Pyroscope names the profile
///              type from the sample types (process_cpu, wall, memory).
///   pprof:     per event type, the pprof as the body to url ({type} in it
///              is replaced by cpu, wall or alloc), Content-Type
///              application/octet-stream, the facts in headers as for raw plus
///              X-Asprof-Profile-Type; gzip = yes (default) gzips the
///              profile.proto itself, as pprof files are (no Content-Encoding).
///   pyroscope-jfr: POST <url>/ingest?name=..&from=..&until=..&format=jfr&spyName=asprof-agent
///              &sampleRate=.. with the multipart form of PyroscopeIngest ("/ingest" is
///              not added when the url's path already ends with it); gzip compresses
///              the form's jfr part, which Pyroscope recognises by its magic bytes.
///   raw:       the JFR, Content-Type application/octet-stream; the profile's facts
///              in headers: X-Asprof-Seq, X-Asprof-Pid, X-Asprof-Start and
///              X-Asprof-End (ms since the epoch), X-Asprof-Reporting-Interval (ms),
///              X-Asprof-Host-Kind, X-Asprof-Host (the host fields) and
///              X-Asprof-Labels (both as a query string: k=v&k2=v2, percent-encoded),
///              X-Asprof-Profiler-Args.
///   zip:       ProfileArchive's zip, Content-Type application/zip.
///   For raw and zip, gzip = yes compresses the body and sends Content-Encoding: gzip.
///   Bodies are streamed, never held on the heap: raw from the recording's file
///   straight to the connection (Content-Length from Recording::size()); zip and
///   gzipped ones written once into a memory file (MemoryFile), then streamed
///   from it. pyroscope-jfr holds its part (gzipped by default) to choose the
///   form's boundary.
///   Every request carries User-Agent: asprof-agent/<version> unless headers.User-Agent is set.
///
/// Authentication (one kind at most; mixing them is a configuration error):
/// Authorization: Bearer <bearerToken or the content of bearerTokenFile, re-read
/// whenever the file changes; missing or empty -> Retry>, or Basic from
/// basicAuthUser/basicAuthPassword or the url's userinfo (then removed from
/// the url). Secrets and header values never appear in logs or results;
/// messages name the URL without userinfo and query.
///
/// With several parts, a retry sends only the parts not yet taken, and the
/// result is Fail when any part failed (PprofDelivery). A 4xx from
/// Pyroscope saying the profile is outside its ingestion window (older than
/// 1 h by default) is Fail, logged once per run with a count (TooOldProfiles).
///
/// Results (ErrorClassification.h): 2xx Ok; connection errors, timeouts,
/// 408, 429, 5xx, a bearerTokenFile without a token Retry (with Retry-After);
/// certificate failures, 413, 422 and other 4xx Fail with the status and the
/// first 200 bytes of the body (classifyResponse).
/// One HttpClient per instance: connections are kept alive between reports.
class HttpReporter: public sdk::Reporter
{
public:
	HttpReporter();
	~HttpReporter() override;

	void configure(sdk::PluginContext& context) override;
	sdk::ReportResult report(const sdk::Profile& profile) override;
	void stop() override;

	const HttpReporterOptions& options() const;

	/// The request report() sends for profile (formats pyroscope-jfr, raw,
	/// zip). Throws Poco::FileException when bearerTokenFile cannot give a
	/// token, Poco::Exception when the recording cannot be read. Only the
	/// pyroscope-jfr body is in body; the others stream (writeBody,
	/// bodyLength): raw from the recording's file, zip and gzipped bodies
	/// from a memory file they were written into once.
	HttpRequest requestFor(const sdk::Profile& profile);

	/// The request for one pprof part (formats pyroscope, pprof). Throws as above.
	HttpRequest requestFor(const sdk::Profile& profile, const jfr::PprofProfile& part);

	const PprofDelivery& pprofDelivery() const;
	const TooOldProfiles& tooOldProfiles() const;

private:
	HttpRequest baseRequest();
	sdk::ReportResult send(const HttpRequest& request, const std::string& partName, bool& tooOld);
	void logWarnings(const std::vector<std::string>& warnings);
	std::string targetFor(const sdk::Profile& profile);
	std::string pyroscopeName(const sdk::Profile& profile);
	std::string pyroscopeTarget(const sdk::Profile& profile, const std::string& ingestQuery);
	void setBody(const sdk::Profile& profile, HttpRequest& request) const;
	std::string pyroscopeBody(const sdk::Profile& profile, HeaderList& headers) const;
	void addAuthorization(HeaderList& headers);
	static void addFacts(const sdk::Profile& profile, HeaderList& headers);

	HttpReporterOptions _options;
	std::string _userAgent;
	std::string _basicAuthorization; ///< "Basic <base64>", made once
	Poco::Logger* _logger = nullptr;
	std::unique_ptr<HttpClient> _http;
	std::unique_ptr<TokenFile> _tokenFile;
	std::set<std::string> _droppedLabelsLogged;
	std::map<std::string, std::uint64_t> _warningsSeen; ///< conversion warnings by kind (digits left out), at most 64 kinds
	std::unique_ptr<PprofDelivery> _pprof;
	std::unique_ptr<TooOldProfiles> _tooOld;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_HttpReporter_INCLUDED
