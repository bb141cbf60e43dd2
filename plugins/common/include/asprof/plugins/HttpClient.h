//
// HttpClient.h
//
// The HTTP/HTTPS client every network plugin uses (static, PIC, linked
// into each plugin; never exported).
//

#ifndef Asprof_Plugins_HttpClient_INCLUDED
#define Asprof_Plugins_HttpClient_INCLUDED

#include "asprof/sdk/PluginContext.h"
#include "asprof/sdk/ReportResult.h"
#include "Poco/Exception.h"
#include "Poco/Timespan.h"
#include "Poco/Timestamp.h"
#include "Poco/URI.h"
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace asprof {
namespace plugins {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// How a plugin talks HTTP. Filled from the plugin's section by the
/// plugin (keys timeout, caFile, insecureSkipVerify, clientCert, clientKey).
struct HttpOptions
{
	Poco::Timespan timeout = Poco::Timespan(10, 0);
	///< the deadline of each send(): connecting, sending the request and receiving
	///< the whole answer (head and body) end within it, however slowly the server
	///< answers and whatever signals interrupt the waits (Poco::TimeoutException)
	std::size_t maxBodyBytes = 64 * 1024;
	///< the largest response body accepted (with Content-Length or chunked); a
	///< larger one fails send() with Poco::Net::MessageException "... body larger
	///< than <n> bytes" after reading at most n + 1 bytes of it
	std::string caFile;
	///< PEM bundle (or OpenSSL hashed directory) to trust instead of the system's
	///< CA store; empty: the system store (OpenSSL's default paths)
	bool verifyTls = true;
	///< checks the chain and the host name (also for loopback addresses);
	///< false only by explicit configuration: the client logs a warning ("asprof.http")
	std::string clientCertFile;
	std::string clientKeyFile;
	///< PEM client certificate (chain) and unencrypted key for mutual TLS; both or neither
	bool useProxyEnvironment = true;
	///< honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and lower-case forms), see proxyFor()
};

/// The request target on the wire is target when set, else
/// uri.getPathAndQuery() ("/" when empty): the path as Poco::URI encodes it
/// (every byte but A-Z a-z 0-9 - _ . ~ : @ & = + ; / percent-encoded) and the
/// query as stored (raw). That is what the server sees and canonicalizes, so
/// a signer must start from the same string: set target to send exactly the
/// encoded path (and query) that was signed.
struct HttpRequest
{
	std::string method = "GET";
	Poco::URI uri;      ///< scheme, host, port (and path/query unless target is set)
	std::string target; ///< the request-target as sent, already encoded; empty: from uri
	HeaderList headers;
	///< sent as given, in order; Host is set from uri unless given here: the
	///< host ([IPv6] bracketed) and ":port" unless it is the scheme's default
	std::string body;
	///< Content-Length is set from it for PUT, POST, PATCH and any request
	///< with a non-empty body (never chunked)
	std::function<void(std::ostream&)> writeBody;
	///< when set, the body instead of body: streamed, never held whole. Called
	///< with the connection's stream once per attempt (again when the request
	///< is resent on a new connection), it must write exactly bodyLength bytes
	///< each time; fewer or more fails send() (Poco::DataFormatException). The
	///< last byte is held back until the writer returned with exactly bodyLength
	///< bytes, and a failing writer aborts the connection: the server never gets
	///< a complete request with a cut or overlong body. What the writer throws
	///< leaves send() as is.
	std::uint64_t bodyLength = 0;
	///< Content-Length of a streamed body (writeBody)
};

struct HttpResponse
{
	int status = 0;
	std::string reason;
	HeaderList headers;
	std::string body;

	/// The first header of that name (case-insensitive), or "".
	std::string header(const std::string& name) const;
};

/// Sends requests with keep-alive (one session per scheme://host:port,
/// reconnecting transparently when the peer closed it), TLS certificate
/// verification on by default (system store or caFile, optional client
/// certificate), and the proxy from the environment.
///
/// Keep-alive: a request that fails on a reused connection because the peer had
/// closed it while idle (no response, reset) is sent once more on a new connection;
/// a request that timed out is never resent (the server may have acted on it).
/// A connection whose request failed in any way is closed, never reused.
/// TLS: TLS 1.2 or later; a certificate problem never asks anyone (the client's
/// context rejects it, whatever handler the host gave Poco's SSLManager). The
/// context is made at the first https request, or at construction when caFile
/// or a client certificate is given (their files are read then); the system's
/// CA store (verification on, no caFile) is loaded once per process, at the
/// first https request that needs it, and shared by every client after it. A
/// client that only ever sends http:// requests sets up no TLS at all.
/// Proxy: chosen by proxyFor() when a host's session is first created; only
/// http:// proxies (HTTPS goes through them with CONNECT); user:password from the
/// proxy URL (percent-decoded) is sent as Basic Proxy-Authorization.
///
/// send() throws Poco::Exception (Poco::Net::NetException,
/// Poco::TimeoutException, Poco::Net::SSLException, ...) for transport
/// failures only; any HTTP status is a response. It throws
/// Poco::InvalidArgumentException for a URL that is not http(s) or has no host,
/// or an unusable proxy setting. Messages never contain header values
/// (credentials), bodies or proxy credentials.
/// Not thread-safe: one client per reporter (a lane calls one at a time).
class HttpClient
{
public:
	/// Throws Poco::InvalidArgumentException when caFile or the client
	/// certificate/key cannot be loaded (naming the file), when only one of
	/// them is given, or when the key does not match the certificate.
	/// Loads nothing else: no TLS context without those files.
	explicit HttpClient(const HttpOptions& options);
	~HttpClient();

	HttpResponse send(const HttpRequest& request);

	const HttpOptions& options() const;

	/// True once this client's TLS context is complete (trust included):
	/// after its first https request. For tests and diagnostics.
	bool hasTlsContext() const;

	/// How many times the system's CA store was loaded by this copy of
	/// plugins/common (each plugin library links its own): 0, then 1 for
	/// good from the first https request that needed it.
	static std::uint64_t systemTrustLoads();

	/// The proxy URL from the environment for uri, or nullopt when none
	/// applies (NO_PROXY: comma-separated hosts, domain suffixes with or
	/// without a leading dot, host:port, "*").
	///
	/// https: https_proxy, else HTTPS_PROXY; http: http_proxy, else HTTP_PROXY
	/// (ignored when REQUEST_METHOD is set: under CGI it comes from a request
	/// header). Empty values count as unset; "host:port" gets "http://".
	/// NO_PROXY (no_proxy first), case-insensitive: "*" matches every host;
	/// "example.com", ".example.com" and "*.example.com" match example.com and
	/// its subdomains; "host:port" ("[::1]:443") only that port; IP addresses
	/// match exactly (no CIDR ranges).
	static std::optional<std::string> proxyFor(const Poco::URI& uri);

private:
	class Impl;
	std::unique_ptr<Impl> _impl;
};

/// The HTTP keys every network plugin shares, from its section:
///   timeout = 10s, caFile = (system store; must exist), insecureSkipVerify = no,
///   clientCert / clientKey = (none; both or neither).
/// Throws Poco::InvalidArgumentException naming the key (PluginContext getters).
HttpOptions readHttpOptions(sdk::PluginContext& context);

/// classifyHttpStatus() (ErrorClassification.h) of the response: 2xx Ok;
/// 408, 429, 5xx Retry with the Retry-After header (seconds or an HTTP date)
/// as retryAfter; other statuses Fail. The message is
/// "<what>: HTTP <status> <reason>: <first 200 bytes of the body>" (no
/// reason or ": <body>" part when empty; line breaks and tabs in the body
/// become spaces, other control bytes '?', so the message stays one line).
/// Transport failures (what send() throws) are classifyException()'s.
sdk::ReportResult classifyResponse(const HttpResponse& response, const std::string& what);

/// "120" -> 120 s; "Wed, 21 Oct 2015 07:28:00 GMT" -> the time until then
/// (0 if past); anything else -> nullopt (also negative numbers and more
/// than 10^9 seconds). Surrounding whitespace is ignored.
std::optional<Poco::Timespan> parseRetryAfter(const std::string& value, const Poco::Timestamp& now = Poco::Timestamp());

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_HttpClient_INCLUDED
