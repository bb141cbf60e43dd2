#include "FakeAwsServers.h"
#include "Poco/DateTimeFormat.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/NumberParser.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/RandomStream.h"
#include <cstdlib>

extern char** environ;

namespace asprof {
namespace test {

namespace {

void answer(LoopbackServer::Response& response, int status, const std::string& body = "", const std::string& type = "text/plain")
{
	response.status = status;
	response.headers = {{"Content-Type", type}};
	response.body = body;
}

std::string randomHex(std::size_t bytes)
{
	static const char HEX[] = "0123456789abcdef";
	Poco::RandomInputStream random;
	std::string text;
	for (std::size_t i = 0; i < bytes; ++i)
	{
		unsigned char byte = static_cast<unsigned char>(random.get());
		text += HEX[byte >> 4];
		text += HEX[byte & 0x0F];
	}
	return text;
}

const std::string TOKEN_PATH = "/latest/api/token";
const std::string CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/";
const std::string IDENTITY_PATH = "/latest/dynamic/instance-identity/document";

} // namespace

std::string FakeCredentials::json(const std::string& code) const
{
	std::string expires = Poco::DateTimeFormatter::format(expiration, Poco::DateTimeFormat::ISO8601_FORMAT);
	return "{\n" + (code.empty() ? std::string() : "  \"Code\" : \"" + code + "\",\n  \"Type\" : \"AWS-HMAC\",\n") +
		"  \"AccessKeyId\" : \"" + accessKeyId + "\",\n  \"SecretAccessKey\" : \"" + secretAccessKey + "\",\n  \"Token\" : \"" + token +
		"\",\n  \"Expiration\" : \"" + expires + "\"\n}";
}

FakeImds::FakeImds():
	_server([this](const LoopbackServer::Request& request, LoopbackServer::Response& response) { handle(request, response); })
{
}

FakeImds::~FakeImds()
{
}

std::string FakeImds::endpoint() const
{
	return "http://127.0.0.1:" + std::to_string(_server.port());
}

void FakeImds::setRole(const std::string& role)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_role = role;
}

void FakeImds::setCredentials(const FakeCredentials& credentials)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_credentials = credentials;
}

void FakeImds::setCredentialsCode(const std::string& code)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_code = code;
}

void FakeImds::failRequests(int count, int status)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_failCount = count;
	_failStatus = status;
}

void FakeImds::expireTokens()
{
	std::lock_guard<std::mutex> lock(_mutex);
	for (auto& token : _tokens) token.second = Poco::Timestamp() - Poco::Timespan(1, 0);
}

int FakeImds::tokenRequests() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _tokenRequests;
}

int FakeImds::credentialRequests() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _credentialRequests;
}

int FakeImds::unauthorizedRequests() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _unauthorized;
}

std::string FakeImds::lastRequestedTtl() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _lastTtl;
}

std::vector<std::string> FakeImds::issuedTokens() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<std::string> tokens;
	for (const auto& token : _tokens) tokens.push_back(token.first);
	return tokens;
}

void FakeImds::handle(const LoopbackServer::Request& request, LoopbackServer::Response& response)
{
	std::lock_guard<std::mutex> lock(_mutex);
	const std::string path = request.uri;
	if (path == TOKEN_PATH)
	{
		if (request.method != "PUT") return answer(response, 405);
		return issueToken(request, response);
	}
	if (request.method != "GET") return answer(response, 405);
	if (!authorized(request))
	{
		++_unauthorized;
		return answer(response, 401);
	}
	if (_failCount > 0)
	{
		--_failCount;
		return answer(response, _failStatus);
	}
	if (path == IDENTITY_PATH)
	{
		return answer(response, 200,
			R"({"accountId" : "123456789012", "region" : "eu-west-1", "instanceId" : "i-0123456789abcdef0", "instanceType" : "c7g.large"})",
			"application/json");
	}
	if (path == CREDENTIALS_PATH && !_role.empty()) return answer(response, 200, _role + "\n");
	if (!_role.empty() && path == CREDENTIALS_PATH + _role)
	{
		++_credentialRequests;
		return answer(response, 200, _credentials.json(_code), "text/plain");
	}
	answer(response, 404);
}

void FakeImds::issueToken(const LoopbackServer::Request& request, LoopbackServer::Response& response)
{
	if (!request.header("X-Forwarded-For").empty()) return answer(response, 403);
	int ttl = 0;
	const std::string ttlText = request.header("X-aws-ec2-metadata-token-ttl-seconds");
	if (!Poco::NumberParser::tryParse(ttlText, ttl) || ttl < 1 || ttl > 21600) return answer(response, 400);
	std::string token = "fake-imds-token-" + randomHex(16);
	_tokens[token] = Poco::Timestamp() + Poco::Timespan(ttl, 0);
	_lastTtl = ttlText;
	++_tokenRequests;
	answer(response, 200, token);
}

bool FakeImds::authorized(const LoopbackServer::Request& request) const
{
	auto token = _tokens.find(request.header("X-aws-ec2-metadata-token"));
	return token != _tokens.end() && Poco::Timestamp() < token->second;
}

FakeEcsEndpoint::FakeEcsEndpoint(const std::string& path):
	_path(path),
	_server([this](const LoopbackServer::Request& request, LoopbackServer::Response& response) { handle(request, response); })
{
	_credentials.accessKeyId = "ASIAFAKEECS00001";
	_credentials.secretAccessKey = "fake-secret-ecs-0001";
	_credentials.token = "fake-session-token-ecs-0001";
}

FakeEcsEndpoint::~FakeEcsEndpoint()
{
}

std::string FakeEcsEndpoint::host() const
{
	return "127.0.0.1:" + std::to_string(_server.port());
}

std::string FakeEcsEndpoint::path() const
{
	return _path;
}

std::string FakeEcsEndpoint::url() const
{
	return "http://" + host() + _path;
}

void FakeEcsEndpoint::requireAuthorization(const std::string& token)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_requiredAuthorization = token;
}

void FakeEcsEndpoint::setCredentials(const FakeCredentials& credentials)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_credentials = credentials;
}

int FakeEcsEndpoint::requests() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _requests;
}

int FakeEcsEndpoint::rejectedRequests() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _rejected;
}

std::string FakeEcsEndpoint::lastAuthorization() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _lastAuthorization;
}

void FakeEcsEndpoint::handle(const LoopbackServer::Request& request, LoopbackServer::Response& response)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_lastAuthorization = request.header("Authorization");
	if (request.method != "GET" || request.uri != _path) return answer(response, 404);
	if (!_requiredAuthorization.empty() && _lastAuthorization != _requiredAuthorization)
	{
		++_rejected;
		return answer(response, 401);
	}
	++_requests;
	answer(response, 200, _credentials.json(), "application/json");
}

UnansweredPort::UnansweredPort(): _socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64)
{
}

std::string UnansweredPort::endpoint() const
{
	return "http://127.0.0.1:" + std::to_string(_socket.address().port());
}

Poco::UInt16 closedLoopbackPort()
{
	Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
	Poco::UInt16 port = socket.address().port();
	socket.close();
	return port;
}

ScopedAwsEnvironment::ScopedAwsEnvironment(const std::string& home)
{
	for (char** variable = environ; *variable; ++variable)
	{
		std::string entry(*variable);
		if (entry.compare(0, 4, "AWS_") != 0) continue;
		std::string::size_type equals = entry.find('=');
		_saved.emplace_back(entry.substr(0, equals), equals == std::string::npos ? "" : entry.substr(equals + 1));
	}
	for (const auto& variable : _saved) ::unsetenv(variable.first.c_str());
	if (home.empty()) return;
	const char* previous = std::getenv("HOME");
	_hadHome = previous != nullptr;
	_home = previous ? previous : "";
	::setenv("HOME", home.c_str(), 1);
}

ScopedAwsEnvironment::~ScopedAwsEnvironment()
{
	std::vector<std::string> names;
	for (char** variable = environ; *variable; ++variable)
	{
		std::string entry(*variable);
		if (entry.compare(0, 4, "AWS_") == 0) names.push_back(entry.substr(0, entry.find('=')));
	}
	for (const auto& name : names) ::unsetenv(name.c_str());
	for (const auto& variable : _saved) ::setenv(variable.first.c_str(), variable.second.c_str(), 1);
	if (_hadHome) ::setenv("HOME", _home.c_str(), 1);
}

} // namespace test
} // namespace asprof
