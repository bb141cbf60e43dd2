//
// FakeAwsServers.h
//
// Loopback stand-ins (on LoopbackServer) for the EC2 instance metadata
// service (IMDSv2) and the ECS container credentials endpoint.
//

#ifndef Asprof_Tests_FakeAwsServers_INCLUDED
#define Asprof_Tests_FakeAwsServers_INCLUDED

#include "LoopbackServer.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/Timestamp.h"
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace asprof {
namespace test {

struct FakeCredentials
{
	std::string accessKeyId = "ASIAFAKEIMDS0001";
	std::string secretAccessKey = "fake-secret-imds-0001";
	std::string token = "fake-session-token-imds-0001";
	Poco::Timestamp expiration = Poco::Timestamp() + Poco::Timespan(6 * 3600, 0);

	/// The ECS/IMDS credentials document; with code, a "Code" field too.
	std::string json(const std::string& code = "") const;
};

/// Behaves like IMDSv2: PUT /latest/api/token needs
/// X-aws-ec2-metadata-token-ttl-seconds in 1..21600 (else 400), refuses
/// X-Forwarded-For (403); GET on the token path is 405; every other GET needs a
/// token that is known and not expired (else 401). Serves the identity
/// document and the instance profile's security credentials.
class FakeImds
{
public:
	FakeImds();
	~FakeImds();

	std::string endpoint() const; ///< "http://127.0.0.1:<port>"

	void setRole(const std::string& role); ///< "" = no role attached (404)
	void setCredentials(const FakeCredentials& credentials);
	void setCredentialsCode(const std::string& code); ///< "Code" of the credentials document
	void failRequests(int count, int status);         ///< the next count metadata GETs answer status
	void expireTokens();                              ///< every token issued so far is now expired

	int tokenRequests() const;      ///< successful PUTs
	int credentialRequests() const; ///< GETs of the role's credentials answered 200
	int unauthorizedRequests() const;
	std::string lastRequestedTtl() const;
	std::vector<std::string> issuedTokens() const;

private:
	void handle(const LoopbackServer::Request& request, LoopbackServer::Response& response);
	void issueToken(const LoopbackServer::Request& request, LoopbackServer::Response& response);
	bool authorized(const LoopbackServer::Request& request) const;

	mutable std::mutex _mutex;
	std::map<std::string, Poco::Timestamp> _tokens;
	std::string _role = "asprof-test-role";
	FakeCredentials _credentials;
	std::string _code = "Success";
	int _failCount = 0;
	int _failStatus = 500;
	int _tokenRequests = 0;
	int _credentialRequests = 0;
	int _unauthorized = 0;
	std::string _lastTtl;
	LoopbackServer _server; // last: stops before the state it serves goes
};

/// The ECS container credentials endpoint: GET <path> answers the
/// credentials document; with requireAuthorization, a request whose
/// Authorization header differs gets 401.
class FakeEcsEndpoint
{
public:
	explicit FakeEcsEndpoint(const std::string& path = "/v2/credentials/7c1bd6a4-test");
	~FakeEcsEndpoint();

	std::string host() const; ///< "127.0.0.1:<port>", for CredentialsChainOptions::ecsHost
	std::string path() const;
	std::string url() const; ///< "http://127.0.0.1:<port><path>"

	void requireAuthorization(const std::string& token);
	void setCredentials(const FakeCredentials& credentials);

	int requests() const; ///< answered 200
	int rejectedRequests() const;
	std::string lastAuthorization() const;

private:
	void handle(const LoopbackServer::Request& request, LoopbackServer::Response& response);

	mutable std::mutex _mutex;
	std::string _path;
	std::string _requiredAuthorization;
	FakeCredentials _credentials;
	int _requests = 0;
	int _rejected = 0;
	std::string _lastAuthorization;
	LoopbackServer _server; // last: stops before the state it serves goes
};

/// A listening socket nobody accepts on: connections complete, requests
/// are never answered (a host that swallows packets after the handshake).
class UnansweredPort
{
public:
	UnansweredPort();
	std::string endpoint() const;

private:
	Poco::Net::ServerSocket _socket;
};

/// A loopback port nobody listens on (bound, then released).
Poco::UInt16 closedLoopbackPort();

/// Removes every AWS_* environment variable, optionally sets HOME, and
/// restores all of them on destruction, so the machine's own configuration
/// never leaks into a test. Uses setenv(3), which copies: Poco 1.11's
/// Environment::set hands putenv(3) a std::string whose characters move when
/// a short (in-place) value is replaced, which leaves a dangling environ entry.
class ScopedAwsEnvironment
{
public:
	explicit ScopedAwsEnvironment(const std::string& home = "");
	~ScopedAwsEnvironment();

private:
	std::vector<std::pair<std::string, std::string>> _saved;
	bool _hadHome = false;
	std::string _home;
};

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_FakeAwsServers_INCLUDED
