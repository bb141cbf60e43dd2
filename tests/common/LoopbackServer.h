//
// LoopbackServer.h
//
// Test fixtures for the network plugins: an HTTP(S) server on 127.0.0.1 and
// a throwaway certificate authority made at test time.
//

#ifndef Asprof_Tests_LoopbackServer_INCLUDED
#define Asprof_Tests_LoopbackServer_INCLUDED

#include "TestSupport.h"
#include "cppunit/TestFixture.h"
#include "Poco/Timespan.h"
#include "Poco/Types.h"
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace asprof {
namespace test {

using HeaderFields = std::vector<std::pair<std::string, std::string>>;

class LoopbackServer
	/// A Poco HTTPServer on 127.0.0.1 and an ephemeral port, plain or TLS (optionally
	/// requiring a client certificate), that records every request it receives and
	/// answers with a handler. Its threads start in the constructor and are joined in
	/// the destructor; a handler that blocks must be released before then.
{
public:
	struct Request
		/// One request as it arrived on the wire.
	{
		std::string method;
		std::string uri;           ///< the request target as sent: "/path?q" or absolute-form via a proxy
		std::string version;       ///< "HTTP/1.1"
		HeaderFields headers;      ///< all of them, in order, names as sent
		std::string body;
		std::string clientAddress; ///< "127.0.0.1:<client port>": one per connection
		std::string header(const std::string& name) const;
			/// The first header of that name (case-insensitive), or "".
	};

	struct Response
		/// What the handler answers. Content-Length is set from body.
	{
		int status = 200;
		std::string reason;        ///< empty: the standard reason for status
		HeaderFields headers;      ///< "Connection: close" makes the server close the connection
		std::string body;
		std::string tunnelTo;
			///< "host:port": after the (2xx) answer, relay raw bytes both ways between the
			///< client and that address until one side closes (a CONNECT proxy).
	};

	using Handler = std::function<void(const Request&, Response&)>;
		/// Called on a server thread; it may block (within the client's patience).

	struct Tls
	{
		std::string certificateFile; ///< PEM server certificate (chain)
		std::string privateKeyFile;  ///< its PEM key
		std::string clientCaFile;    ///< non-empty: require a client certificate issued by this CA
	};

	struct Options
	{
		std::optional<Tls> tls;
		Poco::Timespan keepAliveTimeout = Poco::Timespan(10, 0);
			///< how long an idle kept-alive connection stays open before the server closes it
	};

	explicit LoopbackServer(Handler handler = Handler());
		/// Starts serving plain HTTP; without a handler every request gets 200 "ok".
	LoopbackServer(Handler handler, const Options& options);
	~LoopbackServer();

	LoopbackServer(const LoopbackServer&) = delete;
	LoopbackServer& operator=(const LoopbackServer&) = delete;

	Poco::UInt16 port() const;
	std::string url(const std::string& pathAndQuery = "/") const;
		/// "http://127.0.0.1:<port><pathAndQuery>" (https with TLS).
	void setHandler(Handler handler);

	std::vector<Request> requests() const;
		/// Every request so far, in arrival order (recorded before the handler runs).
	std::size_t requestCount() const;
	int totalConnections() const;
		/// Connections accepted so far.
	int currentConnections() const;
		/// Connections open now (0 once the server closed idle ones).

	static std::string hostAndPort(const std::string& url);
		/// "127.0.0.1:<port>" of one of our URLs.

private:
	struct State;
	class RequestHandler;
	class HandlerFactory;
	class Engine;

	std::shared_ptr<State> _state;
	std::unique_ptr<Engine> _engine;
	bool _tls;
};

class DirectConnections
	/// Empties the proxy variables (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, either case) while
	/// it exists, so requests to loopback servers go direct whatever the caller's shell has.
{
public:
	DirectConnections();

private:
	std::vector<std::unique_ptr<ScopedEnv>> _variables;
};

class DirectTestFixture: public CppUnit::TestFixture
	/// Base of the network suites: each test runs with DirectConnections in place.
	/// A suite that overrides setUp()/tearDown() calls these.
{
public:
	void setUp() override;
	void tearDown() override;

private:
	std::unique_ptr<DirectConnections> _direct;
};

std::string runProcess(const std::string& command, const std::vector<std::string>& arguments, const std::string& directory, int& exitCode);
	/// Runs command (searched in PATH) with arguments in directory, stdin inherited, and
	/// returns what it wrote to stdout and stderr (merged); exitCode is its exit status
	/// (72 when it could not be started).

class TestCertificates
	/// A throwaway PKI made when constructed, with the openssl command, in a temporary
	/// directory removed on destruction: a CA ("ca"), a server certificate for 127.0.0.1
	/// and localhost ("server"), and a client certificate ("client"), all EC P-256, valid
	/// for two days, signed by the CA. Throws Poco::RuntimeException with openssl's output
	/// when a step fails.
{
public:
	TestCertificates();

	TestCertificates(const TestCertificates&) = delete;
	TestCertificates& operator=(const TestCertificates&) = delete;

	std::string caFile() const;
	std::string certificateFile(const std::string& name) const;
		/// <dir>/<name>.pem
	std::string keyFile(const std::string& name) const;
		/// <dir>/<name>.key (unencrypted)
	void issue(const std::string& name, const std::string& extensions);
		/// Issues <name>.pem/.key signed by the CA, with the given x509v3 extension lines
		/// (e.g. "subjectAltName = DNS:other.example\nextendedKeyUsage = serverAuth").
	LoopbackServer::Tls serverTls(bool requireClientCertificate = false) const;
		/// The "server" certificate, and the CA as client CA when requireClientCertificate.

	static bool available(std::string& why);
		/// Whether the openssl command runs; why says what is missing otherwise.

private:
	void openssl(const std::vector<std::string>& arguments) const;

	TemporaryDirectory _directory;
	int _serial = 1000;
};

} } // namespace asprof::test

#endif // Asprof_Tests_LoopbackServer_INCLUDED
