//
// S3Reporter.h
//
// Uploads each profile to Amazon S3 (or an S3-compatible store) where the
// Rust agent puts them.
//

#ifndef Asprof_Plugins_S3Reporter_INCLUDED
#define Asprof_Plugins_S3Reporter_INCLUDED

#include "asprof/plugins/HttpClient.h"
#include "asprof/plugins/aws/Credentials.h"
#include "asprof/sdk/ProfileArchive.h"
#include "asprof/sdk/Reporter.h"
#include "Poco/URI.h"
#include <map>
#include <memory>
#include <string>

namespace Poco {
class Logger;
}

namespace asprof {
namespace plugins {

/// [reporter.<name>] type = s3. Keys:
///   bucket          (required) the bucket
///   profilingGroup  = default   the group in the key (the Rust agent's profiling_group_name)
///   keyPrefix       =           prepended to every key, e.g. "profiles/"
///   bucketOwner     =           account id; sent as x-amz-expected-bucket-owner
///   region          =           else $AWS_REGION, $AWS_DEFAULT_REGION, then the host metadata's region
///   endpoint        =           e.g. http://127.0.0.1:9000 for an S3-compatible store; empty: AWS
///   pathStyle       = no        yes: <endpoint>/<bucket>/<key>; no: <bucket>.<host>/<key>
///   compressionLevel = fast     the zip's deflate: fast (zlib 1), normal (6) or best (9)
///   timeout         = 10s
///   caFile          =           PEM bundle instead of the system CA store
///   insecureSkipVerify = no     yes turns off certificate verification (logged as a warning)
///   clientCert, clientKey       PEM client certificate and key (mutual TLS), both or neither
///   accessKeyId, secretAccessKey, sessionToken   discouraged: prefer the default chain
///   profile         =           the shared-file profile ($AWS_PROFILE, else default)
///
/// Each profile is one PutObject of the ProfileArchive zip (Content-Type
/// application/zip, Content-MD5, x-amz-content-sha256 of the real payload,
/// SigV4) under the key S3Key makes from the profile's end time. The key
/// is computed once per profile: a retry rewrites the same object, and a
/// profile ending in the same second as the previous one of its process
/// gets the next second, so two profiles never share a key.
///
/// The zip is written once, into a memory file (MemoryFile), deflated as
/// the recording is read; one read of the file computes MD5 and SHA-256
/// together; the body is streamed from the file (again on a resend). The
/// payload is signed (never UNSIGNED-PAYLOAD). Neither the recording nor
/// the zip is held on the heap.
///
/// Results: connection errors, timeouts, 408, 429, 5xx (the shared
/// ErrorClassification), S3's codes SlowDown, RequestTimeout, InternalError,
/// ServiceUnavailable, RequestTimeTooSkewed and ExpiredToken (the cached temporary
/// credentials are dropped and fetched again) whatever their status, and missing
/// credentials (aws::CredentialsException, an IOException) -> Retry; other 4xx,
/// certificate failures -> Fail with S3's error code and message.
class S3Reporter: public sdk::Reporter
{
public:
	S3Reporter();
	~S3Reporter() override;

	void configure(sdk::PluginContext& context) override;
	void start() override;
	sdk::ReportResult report(const sdk::Profile& profile) override;

	/// Test seam: replaces the default chain.
	void setCredentialsProvider(std::unique_ptr<aws::CredentialsProvider> provider);

	/// The object key for the profile (stable across retries).
	std::string keyFor(const sdk::Profile& profile);

	struct Location
	{
		Poco::URI server; ///< scheme, host and port
		std::string path; ///< the request path, URI-encoded exactly as signed and sent
		std::string host; ///< the Host header: host[:port]
		std::string url() const;
	};

	/// Where the object goes: virtual-hosted (<bucket>.<host>/<key>) or
	/// path-style (<host>/<bucket>/<key>).
	Location objectLocation(const std::string& region, const std::string& key) const;

private:
	struct Options
	{
		std::string bucket;
		std::string profilingGroup = "default";
		std::string keyPrefix;
		std::string bucketOwner;
		std::string region;
		std::string endpoint;
		bool pathStyle = false;
		sdk::ProfileArchive::CompressionLevel compressionLevel = sdk::ProfileArchive::CL_FAST;
		HttpOptions http;
		aws::CredentialsChainOptions credentials;
	};

	std::string regionFor(const sdk::Profile& profile) const;
	sdk::ReportResult put(const sdk::Profile& profile, const std::string& region, const std::string& key);
	sdk::ReportResult classify(const HttpResponse& response, const std::string& what);

	Options _options;
	Poco::Logger* _logger = nullptr;
	std::unique_ptr<HttpClient> _http;
	std::unique_ptr<aws::CredentialsProvider> _credentials;
	std::map<std::pair<int, std::uint64_t>, std::string> _keys; // (pid, seq) -> key, until Ok or Fail
	std::map<int, Poco::Timestamp::TimeVal> _lastKeySecond;     // pid -> epoch second used last
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_S3Reporter_INCLUDED
