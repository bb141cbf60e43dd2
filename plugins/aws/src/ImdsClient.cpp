#include "asprof/plugins/aws/ImdsClient.h"
#include "asprof/plugins/HttpClient.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/NumberFormatter.h"
#include "Poco/String.h"
#include <algorithm>

namespace asprof {
namespace plugins {
namespace aws {

namespace {

const std::string DEFAULT_ENDPOINT = "http://169.254.169.254";
const std::string DEFAULT_IPV6_ENDPOINT = "http://[fd00:ec2::254]";
const std::string TOKEN_PATH = "/latest/api/token";
const std::string TOKEN_HEADER = "X-aws-ec2-metadata-token";
const std::string TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds";
const Poco::Timespan TOKEN_RENEWAL_MARGIN(60, 0);

// A failure that another attempt may cure: no answer at all, or a 5xx.
class RetryableError: public Poco::IOException
{
public:
	explicit RetryableError(const std::string& message): Poco::IOException(message)
	{
	}
};

std::string resolveEndpoint(const std::string& configured)
{
	std::string endpoint = configured;
	if (endpoint.empty()) endpoint = Poco::Environment::get("AWS_EC2_METADATA_SERVICE_ENDPOINT", "");
	if (endpoint.empty())
	{
		bool ipv6 = Poco::icompare(Poco::Environment::get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", ""), "IPv6") == 0;
		endpoint = ipv6 ? DEFAULT_IPV6_ENDPOINT : DEFAULT_ENDPOINT;
	}
	while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
	return endpoint;
}

// Sends one request; any transport failure is retryable. The message names
// the URL only: header values (the token) never appear in it.
HttpResponse send(HttpClient& http, const std::string& method, const std::string& url, const HeaderList& headers)
{
	try
	{
		HttpRequest request;
		request.method = method;
		request.uri = Poco::URI(url);
		request.headers = headers;
		return http.send(request);
	}
	catch (const Poco::Exception& error)
	{
		throw RetryableError("IMDS " + url + ": " + error.displayText());
	}
}

void checkStatus(const HttpResponse& response, const std::string& url)
{
	if (response.status == 200) return;
	std::string message = "IMDS " + url + ": HTTP " + std::to_string(response.status) + " " + response.reason;
	if (response.status == 404) throw Poco::NotFoundException(message);
	if (response.status >= 500) throw RetryableError(message);
	throw Poco::IOException(message);
}

} // namespace

ImdsClient::ImdsClient(const ImdsOptions& options): _options(options), _endpoint(resolveEndpoint(options.endpoint))
{
	HttpOptions httpOptions;
	httpOptions.timeout = _options.timeout;
	httpOptions.useProxyEnvironment = false; // link-local: a proxy could never reach it
	_http = std::make_unique<HttpClient>(httpOptions);
}

ImdsClient::~ImdsClient()
{
}

std::string ImdsClient::get(const std::string& path)
{
	Poco::FastMutex::ScopedLock lock(_mutex);
	const std::string url = _endpoint + path;
	const int attempts = std::max(1, _options.attempts);
	for (int attempt = 1;; ++attempt)
	{
		try
		{
			HttpResponse response = send(*_http, "GET", url, {{TOKEN_HEADER, token()}});
			if (response.status == 401)
			{
				// The token expired or the service restarted: one new token, one retry.
				_token.clear();
				response = send(*_http, "GET", url, {{TOKEN_HEADER, token()}});
			}
			checkStatus(response, url);
			return response.body;
		}
		catch (const RetryableError& error)
		{
			if (attempt >= attempts) throw Poco::IOException(error.message());
		}
	}
}

const std::string& ImdsClient::endpoint() const
{
	return _endpoint;
}

std::string ImdsClient::token()
{
	Poco::Timestamp now;
	if (!_token.empty() && now < _tokenExpiry) return _token;

	const std::string url = _endpoint + TOKEN_PATH;
	const Poco::Timespan ttl = _options.tokenTtl;
	HttpResponse response = send(*_http, "PUT", url, {{TTL_HEADER, Poco::NumberFormatter::format(ttl.totalSeconds())}});
	checkStatus(response, url);
	std::string token = Poco::trim(response.body);
	if (token.empty()) throw Poco::IOException("IMDS " + url + ": empty token");
	if (std::any_of(token.begin(), token.end(), [](char c) { return c <= 0x20 || c >= 0x7f; }))
		throw Poco::IOException("IMDS " + url + ": the token holds spaces or control characters a header cannot carry");

	// Renew a minute early (half the TTL for short ones) so a request never
	// carries a token that expires on the way.
	_token = token;
	_tokenExpiry = now + ttl - std::min(TOKEN_RENEWAL_MARGIN, Poco::Timespan(ttl.totalMicroseconds() / 2));
	return _token;
}

} // namespace aws
} // namespace plugins
} // namespace asprof
