//
// ImdsClient.h
//
// The EC2 instance metadata service, version 2 (session tokens).
//

#ifndef Asprof_Plugins_Aws_ImdsClient_INCLUDED
#define Asprof_Plugins_Aws_ImdsClient_INCLUDED

#include "Poco/Mutex.h"
#include "Poco/Timespan.h"
#include "Poco/Timestamp.h"
#include <memory>
#include <string>

namespace asprof {
namespace plugins {

class HttpClient;

namespace aws {

struct ImdsOptions
{
	std::string endpoint;                          ///< empty: $AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254
	Poco::Timespan timeout = Poco::Timespan(1, 0); ///< per request
	int attempts = 2;                              ///< per call, for transport errors and 5xx only, so a non-EC2 host gives up in ~2 s
	Poco::Timespan tokenTtl = Poco::Timespan(21600, 0);
};

/// PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds, then
/// GET <path> with X-aws-ec2-metadata-token. The token is cached until a
/// minute before its TTL ends (half the TTL for TTLs under two minutes);
/// a 401 answer fetches a new token once and repeats the request.
/// Endpoint: options.endpoint, else $AWS_EC2_METADATA_SERVICE_ENDPOINT,
/// else http://[fd00:ec2::254] when $AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE
/// is IPv6, else http://169.254.169.254; a trailing slash is dropped.
/// No proxy is ever used. Only IMDSv2: there is no fallback to IMDSv1.
/// Thread-safe (one request at a time).
class ImdsClient
{
public:
	explicit ImdsClient(const ImdsOptions& options = ImdsOptions());
	~ImdsClient();

	/// The body of a 200 answer to GET <endpoint><path>. Throws
	/// Poco::NotFoundException for 404 and Poco::IOException otherwise
	/// (not on EC2: connection refused or timeout; other statuses); the
	/// message names the endpoint and path, never the token.
	std::string get(const std::string& path);

	const std::string& endpoint() const;

private:
	/// The cached token, or a new one. Called with _mutex held.
	std::string token();

	ImdsOptions _options;
	std::string _endpoint;
	std::unique_ptr<HttpClient> _http;
	Poco::FastMutex _mutex;
	std::string _token;
	Poco::Timestamp _tokenExpiry;
};

} // namespace aws
} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_Aws_ImdsClient_INCLUDED
