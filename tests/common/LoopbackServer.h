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
#include <pthread.h>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace asprof {
namespace test {

using HeaderFields = std::vector<std::pair<std::string, std::string>>;

/// A Poco HTTPServer on 127.0.0.1 and an ephemeral port, plain or TLS (optionally
/// requiring a client certificate), that records every request it receives and
/// answers with a handler. Its threads start in the constructor and are joined in
/// the destructor; a handler that blocks must be released before then.
class LoopbackServer
{
public:
	/// One request as it arrived on the wire.
	struct Request
	{
		std::string method;
		std::string uri;      ///< the request target as sent: "/path?q" or absolute-form via a proxy
		std::string version;  ///< "HTTP/1.1"
		HeaderFields headers; ///< all of them, in order, names as sent
		std::string body;
		std::string clientAddress; ///< "127.0.0.1:<client port>": one per connection

		/// The first header of that name (case-insensitive), or "".
		std::string header(const std::string& name) const;
	};

	/// What the handler answers. Content-Length is set from body.
	struct Response
	{
		int status = 200;
		std::string reason;   ///< empty: the standard reason for status
		HeaderFields headers; ///< "Connection: close" makes the server close the connection
		std::string body;
		std::string tunnelTo;
		///< "host:port": after the (2xx) answer, relay raw bytes both ways between the
		///< client and that address until one side closes (a CONNECT proxy).
	};

	/// Called on a server thread; it may block (within the client's patience).
	using Handler = std::function<void(const Request&, Response&)>;

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

	/// Starts serving plain HTTP; without a handler every request gets 200 "ok".
	explicit LoopbackServer(Handler handler = Handler());
	LoopbackServer(Handler handler, const Options& options);
	~LoopbackServer();

	LoopbackServer(const LoopbackServer&) = delete;
	LoopbackServer& operator=(const LoopbackServer&) = delete;

	Poco::UInt16 port() const;

	/// "http://127.0.0.1:<port><pathAndQuery>" (https with TLS).
	std::string url(const std::string& pathAndQuery = "/") const;
	void setHandler(Handler handler);

	/// Every request so far, in arrival order (recorded before the handler runs).
	std::vector<Request> requests() const;
	std::size_t requestCount() const;

	/// Connections accepted so far.
	int totalConnections() const;

	/// Connections open now (0 once the server closed idle ones).
	int currentConnections() const;

	/// "127.0.0.1:<port>" of one of our URLs.
	static std::string hostAndPort(const std::string& url);

private:
	struct State;
	class RequestHandler;
	class HandlerFactory;
	class Engine;

	std::shared_ptr<State> _state;
	std::unique_ptr<Engine> _engine;
	bool _tls;
};

/// Empties the proxy variables (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, either case) while
/// it exists, so requests to loopback servers go direct whatever the caller's shell has.
class DirectConnections
{
public:
	DirectConnections();

private:
	std::vector<std::unique_ptr<ScopedEnv>> _variables;
};

/// Base of the network suites: each test runs with DirectConnections in place.
/// A suite that overrides setUp()/tearDown() calls these.
class DirectTestFixture: public CppUnit::TestFixture
{
public:
	void setUp() override;
	void tearDown() override;

private:
	std::unique_ptr<DirectConnections> _direct;
};

/// Runs command (searched in PATH) with arguments in directory, stdin inherited, and
/// returns what it wrote to stdout and stderr (merged); exitCode is its exit status
/// (72 when it could not be started).
std::string runProcess(const std::string& command, const std::vector<std::string>& arguments, const std::string& directory, int& exitCode);

/// A throwaway PKI made when constructed, with the openssl command, in a temporary
/// directory removed on destruction: a CA ("ca"), a server certificate for 127.0.0.1
/// and localhost ("server"), and a client certificate ("client"), all EC P-256, valid
/// for two days, signed by the CA. Throws Poco::RuntimeException with openssl's output
/// when a step fails.
class TestCertificates
{
public:
	TestCertificates();

	TestCertificates(const TestCertificates&) = delete;
	TestCertificates& operator=(const TestCertificates&) = delete;

	std::string caFile() const;

	/// <dir>/<name>.pem
	std::string certificateFile(const std::string& name) const;

	/// <dir>/<name>.key (unencrypted)
	std::string keyFile(const std::string& name) const;

	/// Issues <name>.pem/.key signed by the CA, with the given x509v3 extension lines
	/// (e.g. "subjectAltName = DNS:other.example\nextendedKeyUsage = serverAuth").
	void issue(const std::string& name, const std::string& extensions);

	/// The "server" certificate, and the CA as client CA when requireClientCertificate.
	LoopbackServer::Tls serverTls(bool requireClientCertificate = false) const;

	/// Whether the openssl command runs; why says what is missing otherwise.
	static bool available(std::string& why);

private:
	void openssl(const std::vector<std::string>& arguments) const;

	TemporaryDirectory _directory;
	int _serial = 1000;
};

/// A raw TCP server on 127.0.0.1 (ephemeral port) that misbehaves on purpose, the same
/// way on every connection it accepts:
///   Hang:  reads (and discards) whatever the client sends, never answers;
///   Drip:  reads the request head, then sends answer one byte per dripInterval and,
///          when endless, header lines ("X-Drip: 1\r\n") one byte at a time forever;
///   Flood: reads the request head, sends answer (the head of a chunked response), then
///          4 KiB chunks as fast as the client takes them, never the last chunk;
///   Reset: reads the request head and resets the connection (RST).
/// Its threads start in the constructor; the destructor ends every behaviour at once,
/// closes every connection and joins them.
class HostileServer
{
public:
	enum class Behaviour
	{
		Hang,
		Drip,
		Flood,
		Reset
	};

	struct Options
	{
		Behaviour behaviour = Behaviour::Hang;
		std::string answer; ///< Drip and Flood: the bytes sent first
		Poco::Timespan dripInterval = Poco::Timespan(0, 500000);
		bool endless = true; ///< Drip: keep dripping header lines once answer is sent
	};

	explicit HostileServer(const Options& options);
	~HostileServer();

	HostileServer(const HostileServer&) = delete;
	HostileServer& operator=(const HostileServer&) = delete;

	Poco::UInt16 port() const;

	/// "http://127.0.0.1:<port><pathAndQuery>".
	std::string url(const std::string& pathAndQuery = "/") const;

	/// Connections accepted so far.
	int connections() const;

	/// Bytes sent to clients so far, all connections together.
	Poco::UInt64 bytesSent() const;

private:
	class Engine;
	std::unique_ptr<Engine> _engine;
};

/// Interrupts one thread with SIGUSR1 every interval, as async-profiler's wall-clock
/// sampling does with SIGVTALRM/SIGPROF: a no-op handler installed WITHOUT SA_RESTART,
/// so every blocking system call of that thread returns EINTR. Starts in the
/// constructor; the destructor stops the timer thread and restores the old handler.
class SignalStorm
{
public:
	SignalStorm(pthread_t target, const Poco::Timespan& interval);
	~SignalStorm();

	SignalStorm(const SignalStorm&) = delete;
	SignalStorm& operator=(const SignalStorm&) = delete;

	int signalsSent() const;

private:
	class Timer;
	std::unique_ptr<Timer> _timer;
};

/// Runs call on a thread of its own (started in the constructor) and records how it
/// ended, so that a test can bound a call that might hang, signal its thread, and
/// still clean up: the destructor joins, so whatever the call waits for (a server)
/// must be gone or released before.
class BackgroundCall
{
public:
	explicit BackgroundCall(std::function<void()> call);
	~BackgroundCall();

	BackgroundCall(const BackgroundCall&) = delete;
	BackgroundCall& operator=(const BackgroundCall&) = delete;

	/// The thread running the call (to aim a SignalStorm at).
	pthread_t thread();

	/// Waits until the call returned or threw, at most timeout.
	bool finishedWithin(const Poco::Timespan& timeout);

	/// From the start to the end of the call (valid once finished).
	Poco::Timespan elapsed() const;

	/// displayText() of the Poco::Exception it threw (what() of another exception),
	/// "" when it returned.
	std::string error() const;

	/// Whether it threw Poco::TimeoutException.
	bool timedOut() const;

private:
	class State;
	std::shared_ptr<State> _state;
	std::thread _thread;
};

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_LoopbackServer_INCLUDED
