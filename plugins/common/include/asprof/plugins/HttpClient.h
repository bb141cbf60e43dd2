//
// HttpClient.h
//
// The HTTP/HTTPS client every network plugin uses (static, PIC, linked
// into each plugin; never exported).
//

#ifndef Asprof_Plugins_HttpClient_INCLUDED
#define Asprof_Plugins_HttpClient_INCLUDED

#include "asprof/sdk/ReportResult.h"
#include "Poco/Exception.h"
#include "Poco/Timespan.h"
#include "Poco/Timestamp.h"
#include "Poco/URI.h"
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace asprof {
namespace plugins {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpOptions
	/// How a plugin talks HTTP. Filled from the plugin's section by the
	/// plugin (keys timeout, caFile, insecureSkipVerify, clientCert, clientKey).
{
	Poco::Timespan timeout = Poco::Timespan(10, 0);
		///< connect, send and receive timeout, each
	std::string caFile;
		///< PEM bundle to trust instead of the system's CA store; empty: system store
	bool verifyTls = true;
		///< false only by explicit configuration; the client logs a warning when it is off
	std::string clientCertFile;
	std::string clientKeyFile;
		///< PEM client certificate and key for mutual TLS; both or neither
	bool useProxyEnvironment = true;
		///< honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and lower-case forms)
};

struct HttpRequest
{
	std::string method = "GET";
	Poco::URI uri;
	HeaderList headers;   ///< sent as given; Host is set from uri unless given here
	std::string body;     ///< Content-Length is set from it for methods with a body
};

struct HttpResponse
{
	int status = 0;
	std::string reason;
	HeaderList headers;
	std::string body;

	std::string header(const std::string& name) const;
		/// The first header of that name (case-insensitive), or "".
};

class HttpClient
	/// Sends requests with keep-alive (one session per scheme://host:port,
	/// reconnecting transparently when the peer closed it), TLS certificate
	/// verification on by default (system store or caFile, optional client
	/// certificate), and the proxy from the environment.
	///
	/// send() throws Poco::Exception (Poco::Net::NetException,
	/// Poco::TimeoutException, Poco::Net::SSLException, ...) for transport
	/// failures only; any HTTP status is a response. Messages never contain
	/// header values (credentials) or bodies.
	/// Not thread-safe: one client per reporter (a lane calls one at a time).
{
public:
	explicit HttpClient(const HttpOptions& options);
		/// Throws Poco::InvalidArgumentException when caFile or the client
		/// certificate/key cannot be loaded (naming the file).
	~HttpClient();

	HttpResponse send(const HttpRequest& request);

	const HttpOptions& options() const;

	static std::optional<std::string> proxyFor(const Poco::URI& uri);
		/// The proxy URL from the environment for uri, or nullopt when none
		/// applies (NO_PROXY: comma-separated hosts, domain suffixes with or
		/// without a leading dot, host:port, "*").

private:
	class Impl;
	std::unique_ptr<Impl> _impl;
};

sdk::ReportResult classifyResponse(const HttpResponse& response, const std::string& what);
	/// 2xx: Ok. 408, 429, 5xx: Retry, with the Retry-After header (seconds or
	/// an HTTP date) as retryAfter. Other statuses: Fail. The message is
	/// "<what>: HTTP <status> <reason>: <first 200 bytes of the body>".

sdk::ReportResult classifyTransportError(const Poco::Exception& error, const std::string& what);
	/// Connection refused/reset, timeouts, DNS and TLS handshake errors: Retry,
	/// except certificate verification failures, which are Fail (they do not
	/// fix themselves). The message is "<what>: <displayText>".

std::optional<Poco::Timespan> parseRetryAfter(const std::string& value, const Poco::Timestamp& now = Poco::Timestamp());
	/// "120" -> 120 s; "Wed, 21 Oct 2015 07:28:00 GMT" -> the time until then
	/// (0 if past); anything else -> nullopt.

} } // namespace asprof::plugins

#endif // Asprof_Plugins_HttpClient_INCLUDED
