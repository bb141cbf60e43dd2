//
// HttpClient.cpp
//
// Poco's HTTP(S) client sessions, kept alive per scheme://host:port, with the TLS
// context and the proxy settings every network plugin needs.
//

#include "asprof/plugins/HttpClient.h"
#include "asprof/plugins/ErrorClassification.h"
#include "DeadlineSession.h"
#include "TlsContext.h"
#include "Poco/DateTime.h"
#include "Poco/DateTimeFormat.h"
#include "Poco/DateTimeParser.h"
#include "Poco/Environment.h"
#include "Poco/Logger.h"
#include "Poco/Net/Context.h"
#include "Poco/Net/HTTPClientSession.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/SSLException.h"
#include "Poco/NumberParser.h"
#include "Poco/String.h"
#include "Poco/StringTokenizer.h"
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>
#include <streambuf>

using Poco::Net::Context;
using Poco::Net::HTTPClientSession;

namespace asprof {
namespace plugins {

namespace {

const std::size_t MAX_BODY_IN_MESSAGE = 200;
const Poco::UInt64 MAX_RETRY_AFTER_SECONDS = 1000000000; // beyond this a value is not a plausible delay

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.http");
}

std::string environment(const char* preferred, const char* other)
{
	std::string value = Poco::Environment::get(preferred, "");
	return value.empty() ? Poco::Environment::get(other, "") : value;
}

bool hostMatches(const std::string& host, std::string domain)
{
	if (domain.compare(0, 2, "*.") == 0) domain.erase(0, 1);
	if (!domain.empty() && domain[0] == '.') domain.erase(0, 1);
	if (domain.empty()) return false;
	if (host == domain) return true;
	return host.size() > domain.size() && host.compare(host.size() - domain.size(), domain.size(), domain) == 0 &&
		host[host.size() - domain.size() - 1] == '.';
}

bool noProxyEntryMatches(const Poco::URI& uri, const std::string& host, const std::string& entry)
{
	if (entry == "*") return true;
	std::string entryHost = entry;
	std::string entryPort;
	if (entry[0] == '[')
	{
		const std::size_t close = entry.find(']');
		if (close == std::string::npos) return false;
		entryHost = entry.substr(1, close - 1);
		if (close + 1 < entry.size() && entry[close + 1] == ':') entryPort = entry.substr(close + 2);
	}
	else if (std::count(entry.begin(), entry.end(), ':') == 1)
	{
		entryHost = entry.substr(0, entry.find(':'));
		entryPort = entry.substr(entry.find(':') + 1);
	}
	if (!entryPort.empty() && entryPort != std::to_string(uri.getPort())) return false;
	return hostMatches(host, entryHost);
}

bool bypassesProxy(const Poco::URI& uri, const std::string& noProxy)
{
	const std::string host = Poco::toLower(uri.getHost());
	Poco::StringTokenizer entries(Poco::toLower(noProxy), ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
	return std::any_of(entries.begin(), entries.end(), [&](const std::string& entry) { return noProxyEntryMatches(uri, host, entry); });
}

void applyProxy(HTTPClientSession& session, const Poco::URI& uri)
{
	const std::optional<std::string> proxy = HttpClient::proxyFor(uri);
	if (!proxy) return;
	Poco::URI proxyUri;
	try
	{
		proxyUri = Poco::URI(*proxy);
	}
	catch (const Poco::Exception&)
	{
		// Not the parser's message: it may quote the URL, credentials included.
		throw Poco::InvalidArgumentException("HTTP client: the proxy URL from the environment is not a valid URL");
	}
	if (Poco::toLower(proxyUri.getScheme()) != "http" || proxyUri.getHost().empty())
		throw Poco::InvalidArgumentException(
			"HTTP client: only http://host:port proxies are supported (proxy scheme \"" + proxyUri.getScheme() + "\")");
	HTTPClientSession::ProxyConfig config;
	config.host = proxyUri.getHost();
	config.port = proxyUri.getPort();
	config.authMethod = HTTPClientSession::PROXY_AUTH_NONE;
	std::string userInfo;
	Poco::URI::decode(proxyUri.getUserInfo(), userInfo);
	if (!userInfo.empty())
	{
		const std::size_t colon = userInfo.find(':');
		config.username = userInfo.substr(0, colon);
		config.password = colon == std::string::npos ? "" : userInfo.substr(colon + 1);
		config.authMethod = HTTPClientSession::PROXY_AUTH_HTTP_BASIC;
	}
	session.setProxyConfig(config);
	logger().debug("HTTP client: %s://%s:%s goes through the proxy %s:%s", uri.getScheme(), uri.getHost(), std::to_string(uri.getPort()),
		config.host, std::to_string(config.port));
}

std::string hostHeader(const Poco::URI& uri)
{
	std::string host = uri.getHost().find(':') == std::string::npos ? uri.getHost() : "[" + uri.getHost() + "]";
	const bool defaultPort = (uri.getPort() == 80 && Poco::icompare(uri.getScheme(), "http") == 0) ||
		(uri.getPort() == 443 && Poco::icompare(uri.getScheme(), "https") == 0);
	if (!defaultPort) host += ":" + std::to_string(uri.getPort());
	return host;
}

bool methodHasBody(const std::string& method)
{
	return method == Poco::Net::HTTPRequest::HTTP_PUT || method == Poco::Net::HTTPRequest::HTTP_POST ||
		method == Poco::Net::HTTPRequest::HTTP_PATCH;
}

// Passes a streamed body on to target (unbuffered: large writes stay large), at
// most limit bytes, and holds the last one back until finish(): a body that ends
// early or runs long never reaches the server whole (finish() or the write throws).
class BodyBuffer: public std::streambuf
{
public:
	BodyBuffer(std::streambuf& target, std::uint64_t limit, const std::string& what): _target(target), _limit(limit), _what(what)
	{
	}

	/// Sends the last byte once exactly limit bytes came; throws otherwise.
	void finish()
	{
		if (_count != _limit)
			throw Poco::DataFormatException(
				_what + ": the streamed body had " + std::to_string(_count) + " bytes, not the " + std::to_string(_limit) + " announced");
		if (_held && traits_type::eq_int_type(_target.sputc(_last), traits_type::eof()))
			throw Poco::WriteFileException(_what + ": cannot send the body");
		_held = false;
	}

protected:
	std::streamsize xsputn(const char* data, std::streamsize size) override
	{
		if (size <= 0) return 0;
		const std::uint64_t count = static_cast<std::uint64_t>(size);
		if (count > _limit - _count)
			throw Poco::DataFormatException(_what + ": the streamed body runs past the " + std::to_string(_limit) + " bytes announced");
		const std::streamsize now = _count + count == _limit ? size - 1 : size;
		if (now > 0 && _target.sputn(data, now) != now) return 0;
		if (now < size)
		{
			_last = data[size - 1];
			_held = true;
		}
		_count += count;
		return size;
	}

	int_type overflow(int_type c) override
	{
		if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
		const char byte = traits_type::to_char_type(c);
		return xsputn(&byte, 1) == 1 ? c : traits_type::eof();
	}

private:
	std::streambuf& _target;
	std::uint64_t _limit;
	std::string _what;
	std::uint64_t _count = 0;
	char _last = 0;
	bool _held = false;
};

bool isStaleConnectionError(const Poco::Exception& error)
{
	// What a request on a connection the peer has closed while idle runs into; a body
	// larger than the socket's buffer meets EPIPE or ENOTCONN while it is written
	// (Poco: an IOException or NetException with that code).
	if (dynamic_cast<const Poco::IOException*>(&error) && (error.code() == EPIPE || error.code() == ENOTCONN)) return true;
	return dynamic_cast<const Poco::Net::NoMessageException*>(&error) || dynamic_cast<const Poco::Net::ConnectionResetException*>(&error) ||
		dynamic_cast<const Poco::Net::ConnectionAbortedException*>(&error) ||
		dynamic_cast<const Poco::Net::SSLConnectionUnexpectedlyClosedException*>(&error);
}

std::string printable(const std::string& bytes)
{
	std::string text = bytes.substr(0, MAX_BODY_IN_MESSAGE);
	std::replace_if(
		text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
	std::replace_if(
		text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, '?');
	return text;
}

bool isControl(char c)
{
	return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}

bool isToken(const std::string& text)
{
	return !text.empty() && std::none_of(text.begin(), text.end(), [](char c) { return isControl(c) || c == ' ' || c == ':'; });
}

// CR or LF in a header value would start a header of the server's choosing (credentials
// and metadata documents come from the network): refused here, for every header, whatever
// its source validated.
void requireSafeHead(const HttpRequest& request, const std::string& target)
{
	if (!isToken(request.method))
		throw Poco::InvalidArgumentException("HTTP client: the method \"" + printable(request.method) + "\" is not a token");
	if (std::any_of(target.begin(), target.end(), [](char c) { return isControl(c) || c == ' '; }))
		throw Poco::InvalidArgumentException("HTTP client: the request target holds a space or a control character");
	for (const auto& field : request.headers)
	{
		if (!isToken(field.first))
			throw Poco::InvalidArgumentException("HTTP client: the header name \"" + printable(field.first) + "\" is not a token");
		if (std::any_of(field.second.begin(), field.second.end(), isControl))
			throw Poco::InvalidArgumentException("HTTP client: the value of header " + field.first +
				" holds a control character (CR, LF, NUL, another byte below 0x20 or 0x7f); not sent");
	}
}

std::string origin(const Poco::URI& uri)
{
	return Poco::toLower(uri.getScheme()) + "://" + hostHeader(uri);
}

// At most maxBytes, never the whole of a larger body: refused from its Content-Length
// (declaredLength, -1 when none), else read in pieces and stopped past the cap (chunked).
std::string readBody(std::istream& in, Poco::Int64 declaredLength, std::size_t maxBytes, const Poco::URI& uri)
{
	const std::string tooLarge = "HTTP client: " + origin(uri) + ": response body larger than " + std::to_string(maxBytes) + " bytes";
	if (declaredLength > static_cast<Poco::Int64>(maxBytes)) throw Poco::Net::MessageException(tooLarge);
	std::string body;
	char buffer[8192];
	while (in)
	{
		in.read(buffer, sizeof(buffer));
		body.append(buffer, static_cast<std::size_t>(in.gcount()));
		if (body.size() > maxBytes) throw Poco::Net::MessageException(tooLarge);
	}
	return body;
}

} // namespace

std::string HttpResponse::header(const std::string& name) const
{
	for (const auto& field : headers)
		if (Poco::icompare(field.first, name) == 0) return field.second;
	return std::string();
}

class HttpClient::Impl
{
public:
	explicit Impl(const HttpOptions& options): _options(options)
	{
		tls::checkFiles(options);
		// Named files are read now, so a bad one fails configuration; the system
		// store waits for the first https request (plain http never loads it).
		if (tls::needsFiles(options)) _tlsContext = tls::makeContext(options);
		if (!options.verifyTls)
			logger().warning("HTTP client: TLS certificate verification is OFF (insecureSkipVerify = yes): "
							 "any server can impersonate the destination; do not use this in production");
	}

	HttpResponse send(const HttpRequest& request)
	{
		const Poco::Timestamp deadline = Poco::Timestamp() + _options.timeout; // one deadline for everything below
		bool reusedConnection = false;
		try
		{
			try
			{
				return exchange(sessionFor(request.uri, deadline, reusedConnection), request);
			}
			catch (const Poco::TimeoutException&)
			{
				throw;
			}
			catch (const Poco::Exception& error)
			{
				dropConnection(request.uri);
				if (!reusedConnection || !isStaleConnectionError(error)) throw;
				logger().debug("HTTP client: kept-alive connection to %s was closed by the peer (%s); reconnecting", request.uri.getHost(),
					error.displayText());
			}
			return exchange(sessionFor(request.uri, deadline, reusedConnection), request);
		}
		catch (const Poco::TimeoutException&)
		{
			dropConnection(request.uri); // the request may have been processed: never resend it
			throw Poco::TimeoutException("HTTP client: " + origin(request.uri) + ": no complete answer within its deadline of " +
				std::to_string(_options.timeout.totalMilliseconds()) + " ms");
		}
		catch (...)
		{
			dropConnection(request.uri);
			throw;
		}
	}

	const HttpOptions& options() const
	{
		return _options;
	}

	bool hasTlsContext() const
	{
		return _tlsTrusted;
	}

private:
	struct Connection
	{
		DeadlineSocketImpl::Deadline deadline; // shared with every socket of the session
		std::unique_ptr<HTTPClientSession> session;
	};

	HTTPClientSession& sessionFor(const Poco::URI& uri, const Poco::Timestamp& deadline, bool& reused)
	{
		Connection& connection = connectionFor(uri);
		*connection.deadline = deadline;
		reused = connection.session->connected();
		return *connection.session;
	}

	// A session whose request failed is never used again: its request stream may
	// still buffer body bytes (a body cut short, a write that failed), which Poco
	// would flush into the session's next connection, ahead of the next request.
	// It is aborted (what it buffers goes nowhere) and destroyed; the next request
	// to that origin connects anew.
	void dropConnection(const Poco::URI& uri) noexcept
	{
		try
		{
			auto found = _connections.find(
				Poco::toLower(uri.getScheme()) + "://" + Poco::toLower(uri.getHost()) + ":" + std::to_string(uri.getPort()));
			if (found == _connections.end()) return;
			try
			{
				found->second.session->abort();
			}
			catch (const Poco::Exception&)
			{
			}
			_connections.erase(found);
		}
		catch (...)
		{
		}
	}

	Connection& connectionFor(const Poco::URI& uri)
	{
		const std::string scheme = Poco::toLower(uri.getScheme());
		if (scheme != "http" && scheme != "https")
			throw Poco::InvalidArgumentException("HTTP client: unsupported URL scheme \"" + uri.getScheme() + "\" (http or https)");
		if (uri.getHost().empty()) throw Poco::InvalidArgumentException("HTTP client: the URL has no host");
		const std::string key = scheme + "://" + Poco::toLower(uri.getHost()) + ":" + std::to_string(uri.getPort());
		auto found = _connections.find(key);
		if (found != _connections.end()) return found->second;

		Connection connection;
		connection.deadline = std::make_shared<Poco::Timestamp>();
		connection.session = makeDeadlineSession(uri, scheme == "https" ? tlsContext() : Context::Ptr(), connection.deadline);
		connection.session->setTimeout(_options.timeout, _options.timeout, _options.timeout);
		connection.session->setKeepAlive(true);
		if (_options.useProxyEnvironment) applyProxy(*connection.session, uri);
		return _connections.emplace(key, std::move(connection)).first->second;
	}

	// Made (or completed with the shared system store) for the first https session.
	Context::Ptr tlsContext()
	{
		if (_tlsTrusted) return _tlsContext;
		if (!_tlsContext) _tlsContext = tls::makeContext(_options);
		if (tls::needsSystemTrust(_options)) tls::trustSystemStore(*_tlsContext);
		_tlsTrusted = true;
		return _tlsContext;
	}

	HttpResponse exchange(HTTPClientSession& session, const HttpRequest& request) const
	{
		std::string target = request.target.empty() ? request.uri.getPathAndQuery() : request.target;
		if (target.empty()) target = "/";
		requireSafeHead(request, target);
		Poco::Net::HTTPRequest wire(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
		for (const auto& field : request.headers) wire.add(field.first, field.second);
		if (!wire.has(Poco::Net::HTTPRequest::HOST)) wire.setHost(hostHeader(request.uri));
		const bool streamed = static_cast<bool>(request.writeBody);
		const std::uint64_t length = streamed ? request.bodyLength : request.body.size();
		if (length != 0 || methodHasBody(request.method)) wire.setContentLength64(static_cast<Poco::Int64>(length));

		std::ostream& body = session.sendRequest(wire);
		body.exceptions(std::ios::badbit);
		if (streamed)
		{
			BodyBuffer limited(*body.rdbuf(), length, "HTTP client: " + origin(request.uri));
			std::ostream out(&limited);
			out.exceptions(std::ios::badbit); // the session's own exception (timeout, reset) goes on
			try
			{
				request.writeBody(out);
				limited.finish();
			}
			catch (...)
			{
				session.abort(); // what the session still buffers never goes out: the server sees a cut request
				throw;
			}
		}
		else
			body.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));

		Poco::Net::HTTPResponse answer;
		std::istream& in = session.receiveResponse(answer);
		HttpResponse response;
		response.status = static_cast<int>(answer.getStatus());
		response.reason = answer.getReason();
		for (const auto& field : answer) response.headers.emplace_back(field.first, field.second);
		in.exceptions(std::ios::badbit); // rethrows the session's own exception (timeout, reset)
		const bool bodyExpected = request.method != Poco::Net::HTTPRequest::HTTP_HEAD && response.status >= 200 && response.status != 204 &&
			response.status != 304;
		response.body =
			readBody(in, bodyExpected && answer.hasContentLength() ? answer.getContentLength64() : -1, _options.maxBodyBytes, request.uri);
		if (bodyExpected && answer.hasContentLength() && static_cast<Poco::Int64>(response.body.size()) != answer.getContentLength64())
			throw Poco::Net::MessageException("HTTP client: the connection closed before the end of the response body");
		return response;
	}

	HttpOptions _options;
	Context::Ptr _tlsContext; // null until needed (see the constructor)
	bool _tlsTrusted = false; // _tlsContext is complete, trust included
	std::map<std::string, Connection> _connections;
};

HttpClient::HttpClient(const HttpOptions& options): _impl(std::make_unique<Impl>(options))
{
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request)
{
	return _impl->send(request);
}

const HttpOptions& HttpClient::options() const
{
	return _impl->options();
}

bool HttpClient::hasTlsContext() const
{
	return _impl->hasTlsContext();
}

std::uint64_t HttpClient::systemTrustLoads()
{
	return tls::systemTrustLoads();
}

std::optional<std::string> HttpClient::proxyFor(const Poco::URI& uri)
{
	const std::string scheme = Poco::toLower(uri.getScheme());
	std::string proxy;
	if (scheme == "https")
		proxy = environment("https_proxy", "HTTPS_PROXY");
	else if (scheme == "http")
	{
		// Under CGI, HTTP_PROXY comes from the client's "Proxy:" request header (httpoxy).
		proxy = Poco::Environment::get("http_proxy", "");
		if (proxy.empty() && !Poco::Environment::has("REQUEST_METHOD")) proxy = Poco::Environment::get("HTTP_PROXY", "");
	}
	proxy = Poco::trim(proxy);
	if (proxy.empty() || bypassesProxy(uri, environment("no_proxy", "NO_PROXY"))) return std::nullopt;
	if (proxy.find("://") == std::string::npos) proxy = "http://" + proxy;
	return proxy;
}

sdk::ReportResult classifyResponse(const HttpResponse& response, const std::string& what)
{
	std::string message = what + ": HTTP " + std::to_string(response.status);
	if (!response.reason.empty()) message += " " + response.reason;
	if (!response.body.empty()) message += ": " + printable(response.body);
	return classifyHttpStatus(response.status, message, parseRetryAfter(response.header("Retry-After")));
}

std::optional<Poco::Timespan> parseRetryAfter(const std::string& value, const Poco::Timestamp& now)
{
	const std::string text = Poco::trim(value);
	if (text.empty()) return std::nullopt;
	if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
	{
		Poco::UInt64 seconds = 0;
		if (!Poco::NumberParser::tryParseUnsigned64(text, seconds) || seconds > MAX_RETRY_AFTER_SECONDS) return std::nullopt;
		return Poco::Timespan(static_cast<long>(seconds), 0);
	}
	// Poco's parser is lenient ("-5" would pass): insist on a time of day and a month name first.
	const bool looksLikeDate = std::count(text.begin(), text.end(), ':') == 2 &&
		std::any_of(text.begin(), text.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
	Poco::DateTime date;
	int timeZoneDifferential = 0;
	if (!looksLikeDate || !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, text, date, timeZoneDifferential))
		return std::nullopt;
	date.makeUTC(timeZoneDifferential);
	const Poco::Timestamp::TimeDiff delay = date.timestamp() - now;
	return Poco::Timespan(std::max<Poco::Timestamp::TimeDiff>(delay, 0));
}

} // namespace plugins
} // namespace asprof
