#include "LoopbackServer.h"
#include "Poco/Exception.h"
#include "Poco/Net/Context.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include "Poco/Net/HTTPRequestHandlerFactory.h"
#include "Poco/Net/HTTPServer.h"
#include "Poco/Net/HTTPServerParams.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerRequestImpl.h"
#include "Poco/Net/HTTPServerResponse.h"
#include "Poco/Net/NetSSL.h"
#include "Poco/Net/RejectCertificateHandler.h"
#include "Poco/Net/SecureServerSocket.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/Net/SocketAddress.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/Pipe.h"
#include "Poco/PipeStream.h"
#include "Poco/Process.h"
#include "Poco/StreamCopier.h"
#include "Poco/String.h"
#include "Poco/ThreadPool.h"
#include "Poco/URI.h"
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <thread>
#include <sys/socket.h>

using Poco::Net::Context;

namespace asprof {
namespace test {

namespace {

void initializeSslOnce()
{
	static std::once_flag once;
	std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

Context::Ptr serverContext(const LoopbackServer::Tls& tls)
{
	initializeSslOnce();
	Context::Params params;
	params.certificateFile = tls.certificateFile;
	params.privateKeyFile = tls.privateKeyFile;
	params.caLocation = tls.clientCaFile;
	params.verificationMode = tls.clientCaFile.empty() ? Context::VERIFY_NONE : Context::VERIFY_STRICT;
	params.loadDefaultCAs = false;
	params.cipherList = "DEFAULT";
	Context::Ptr context = new Context(Context::TLS_SERVER_USE, params);
	context->enableSessionCache(true, "asprof-loopback");
	// Clients are checked against the CA only: they connect from 127.0.0.1, which is no name of theirs.
	context->enableExtendedCertificateVerification(false);
	context->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(true));
	return context;
}

Poco::Net::ServerSocket listeningSocket(const LoopbackServer::Options& options)
{
	const Poco::Net::SocketAddress address("127.0.0.1", 0);
	Poco::Net::ServerSocket socket = options.tls ? Poco::Net::SecureServerSocket(serverContext(*options.tls)) : Poco::Net::ServerSocket();
	socket.bind(address, true);
	socket.listen(64);
	return socket;
}

void sendAll(Poco::Net::StreamSocket& socket, const char* data, int length)
{
	while (length > 0)
	{
		const int sent = socket.sendBytes(data, length);
		if (sent <= 0) throw Poco::IOException("relay: send failed");
		data += sent;
		length -= sent;
	}
}

// Copies bytes both ways until either side closes (or a minute passes in silence).
void relay(Poco::Net::StreamSocket& client, const std::string& target)
{
	try
	{
		Poco::Net::StreamSocket upstream{Poco::Net::SocketAddress(target)};
		char buffer[16384];
		for (;;)
		{
			Poco::Net::Socket::SocketList readable{client, upstream}, writable, failed;
			if (Poco::Net::Socket::select(readable, writable, failed, Poco::Timespan(60, 0)) == 0) return;
			for (auto& socket : readable)
			{
				Poco::Net::StreamSocket from(socket);
				Poco::Net::StreamSocket to = socket == client ? upstream : client;
				const int received = from.receiveBytes(buffer, sizeof(buffer));
				if (received <= 0) return;
				sendAll(to, buffer, received);
			}
		}
	}
	catch (const Poco::Exception&)
	{
		// A reset tunnel ends like a closed one.
	}
}

} // namespace

std::string LoopbackServer::Request::header(const std::string& name) const
{
	for (const auto& field : headers)
		if (Poco::icompare(field.first, name) == 0) return field.second;
	return std::string();
}

struct LoopbackServer::State
{
	mutable std::mutex mutex;
	Handler handler;
	std::vector<Request> requests;
};

class LoopbackServer::RequestHandler: public Poco::Net::HTTPRequestHandler
{
public:
	explicit RequestHandler(std::shared_ptr<State> state): _state(std::move(state))
	{
	}

	void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override
	{
		Request request;
		request.method = in.getMethod();
		request.uri = in.getURI();
		request.version = in.getVersion();
		for (const auto& field : in) request.headers.emplace_back(field.first, field.second);
		// Without Content-Length or chunking a request has no body (CONNECT has none either).
		if (in.hasContentLength() || in.getChunkedTransferEncoding()) Poco::StreamCopier::copyToString(in.stream(), request.body);
		request.clientAddress = in.clientAddress().toString();
		Handler handler;
		{
			std::lock_guard<std::mutex> lock(_state->mutex);
			_state->requests.push_back(request);
			handler = _state->handler;
		}
		Response response;
		response.body = "ok";
		if (handler)
		{
			response.body.clear();
			handler(request, response);
		}
		answer(response, in, out);
	}

private:
	static void answer(const Response& response, Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out)
	{
		const auto status = static_cast<Poco::Net::HTTPResponse::HTTPStatus>(response.status);
		if (response.reason.empty())
			out.setStatusAndReason(status);
		else
			out.setStatusAndReason(status, response.reason);
		for (const auto& field : response.headers) out.add(field.first, field.second);
		if (!response.tunnelTo.empty())
		{
			out.setKeepAlive(false);
			out.send().flush();
			relay(static_cast<Poco::Net::HTTPServerRequestImpl&>(in).socket(), response.tunnelTo);
			return;
		}
		out.setContentLength64(static_cast<Poco::Int64>(response.body.size()));
		out.send() << response.body;
	}

	std::shared_ptr<State> _state;
};

class LoopbackServer::HandlerFactory: public Poco::Net::HTTPRequestHandlerFactory
{
public:
	explicit HandlerFactory(std::shared_ptr<State> state): _state(std::move(state))
	{
	}

	Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
	{
		return new RequestHandler(_state);
	}

private:
	std::shared_ptr<State> _state;
};

class LoopbackServer::Engine
{
public:
	Engine(const std::shared_ptr<State>& state, const Options& options): _pool(2, 16), _socket(listeningSocket(options))
	{
		Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
		params->setKeepAlive(true);
		params->setKeepAliveTimeout(options.keepAliveTimeout);
		params->setMaxKeepAliveRequests(0);
		params->setMaxThreads(16);
		params->setMaxQueued(64);
		params->setTimeout(Poco::Timespan(60, 0));
		_server = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(state), _pool, _socket, params);
		_server->start();
	}

	~Engine()
	{
		_server->stopAll(true);
		_pool.joinAll();
	}

	Poco::ThreadPool _pool;
	Poco::Net::ServerSocket _socket;
	std::unique_ptr<Poco::Net::HTTPServer> _server;
};

LoopbackServer::LoopbackServer(Handler handler): LoopbackServer(std::move(handler), Options())
{
}

LoopbackServer::LoopbackServer(Handler handler, const Options& options): _state(std::make_shared<State>()), _tls(options.tls.has_value())
{
	_state->handler = std::move(handler);
	_engine = std::make_unique<Engine>(_state, options);
}

LoopbackServer::~LoopbackServer() = default;

Poco::UInt16 LoopbackServer::port() const
{
	return _engine->_socket.address().port();
}

std::string LoopbackServer::url(const std::string& pathAndQuery) const
{
	return std::string(_tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) + pathAndQuery;
}

void LoopbackServer::setHandler(Handler handler)
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	_state->handler = std::move(handler);
}

std::vector<LoopbackServer::Request> LoopbackServer::requests() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	return _state->requests;
}

std::size_t LoopbackServer::requestCount() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	return _state->requests.size();
}

int LoopbackServer::totalConnections() const
{
	return _engine->_server->totalConnections();
}

int LoopbackServer::currentConnections() const
{
	return _engine->_server->currentConnections();
}

std::string LoopbackServer::hostAndPort(const std::string& url)
{
	const Poco::URI uri(url);
	return uri.getHost() + ":" + std::to_string(uri.getPort());
}

DirectConnections::DirectConnections()
{
	for (const char* name : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"})
		_variables.push_back(std::make_unique<ScopedEnv>(name, ""));
}

void DirectTestFixture::setUp()
{
	_direct = std::make_unique<DirectConnections>();
}

void DirectTestFixture::tearDown()
{
	_direct.reset();
}

// TestCertificates

namespace {

const char* const OPENSSL_CONFIG = "[req]\n"
								   "distinguished_name = dn\n"
								   "prompt = no\n"
								   "[dn]\n"
								   "CN = asprof test\n"
								   "[ca]\n"
								   "basicConstraints = critical, CA:TRUE\n"
								   "keyUsage = critical, keyCertSign, cRLSign\n"
								   "subjectKeyIdentifier = hash\n";

} // namespace

std::string runProcess(const std::string& command, const std::vector<std::string>& arguments, const std::string& directory, int& exitCode)
{
	Poco::Pipe output;
	Poco::ProcessHandle process = Poco::Process::launch(command, arguments, directory, nullptr, &output, &output);
	Poco::PipeInputStream stream(output);
	std::string text;
	Poco::StreamCopier::copyToString(stream, text);
	exitCode = process.wait();
	return text;
}

TestCertificates::TestCertificates()
{
	writeFile(_directory.file("openssl.cnf"), OPENSSL_CONFIG);
	openssl({"req", "-config", "openssl.cnf", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
		"ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=asprof test CA", "-extensions", "ca"});
	issue("server", "subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth");
	issue("client", "extendedKeyUsage = clientAuth");
}

std::string TestCertificates::caFile() const
{
	return _directory.file("ca.pem");
}

std::string TestCertificates::certificateFile(const std::string& name) const
{
	return _directory.file(name + ".pem");
}

std::string TestCertificates::keyFile(const std::string& name) const
{
	return _directory.file(name + ".key");
}

void TestCertificates::issue(const std::string& name, const std::string& extensions)
{
	writeFile(_directory.file(name + ".ext"),
		"[leaf]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nauthorityKeyIdentifier = keyid\n" + extensions + "\n");
	openssl({"req", "-config", "openssl.cnf", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
		name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name});
	openssl({"x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", std::to_string(++_serial), "-days",
		"2", "-out", name + ".pem", "-extfile", name + ".ext", "-extensions", "leaf"});
}

LoopbackServer::Tls TestCertificates::serverTls(bool requireClientCertificate) const
{
	return LoopbackServer::Tls{certificateFile("server"), keyFile("server"), requireClientCertificate ? caFile() : std::string()};
}

bool TestCertificates::available(std::string& why)
{
	try
	{
		int exitCode = 0;
		const std::string output = runProcess("openssl", {"version"}, ".", exitCode);
		if (exitCode == 0) return true;
		why =
			output.empty() ? "the openssl command was not found in PATH; install the openssl package" : "openssl version failed: " + output;
	}
	catch (const Poco::Exception& error)
	{
		why = "the openssl command cannot be run (" + error.displayText() + "); install the openssl package";
	}
	return false;
}

void TestCertificates::openssl(const std::vector<std::string>& arguments) const
{
	int exitCode = 0;
	const std::string output = runProcess("openssl", arguments, _directory.path(), exitCode);
	if (exitCode != 0)
		throw Poco::RuntimeException("openssl " + Poco::cat(std::string(" "), arguments.begin(), arguments.end()) + " exited with " +
			std::to_string(exitCode) + ": " + output);
}

class HostileServer::Engine
{
public:
	explicit Engine(const Options& options):
		_options(options),
		_listener(Poco::Net::SocketAddress("127.0.0.1", 0), 64),
		_acceptor([this] { acceptLoop(); })
	{
	}

	~Engine()
	{
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_stopping = true;
		}
		_wakeUp.notify_all();
		_acceptor.join();
		for (std::thread& connection : _connections) connection.join();
	}

	Poco::UInt16 port() const
	{
		return _listener.address().port();
	}

	int connections() const
	{
		return _accepted.load();
	}

	Poco::UInt64 bytesSent() const
	{
		return _sent.load();
	}

private:
	bool stopping()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _stopping;
	}

	// Paces the behaviours (not a test wait): true once the server is stopping.
	bool pause(const Poco::Timespan& interval)
	{
		std::unique_lock<std::mutex> lock(_mutex);
		return _wakeUp.wait_for(lock, std::chrono::microseconds(interval.totalMicroseconds()), [this] { return _stopping; });
	}

	void acceptLoop()
	{
		while (!stopping())
		{
			if (!_listener.poll(Poco::Timespan(0, 20000), Poco::Net::Socket::SELECT_READ)) continue;
			// One StreamSocket, owned through a shared_ptr: Poco's own reference
			// count (uninstrumented, invisible to TSan) never decides which thread
			// deletes the socket; the shared_ptr's (visible) does.
			auto socket = std::make_shared<Poco::Net::StreamSocket>(_listener.acceptConnection());
			++_accepted;
			std::lock_guard<std::mutex> lock(_mutex);
			_connections.emplace_back([this, socket]() mutable { serve(*socket); });
		}
	}

	// Reads until the end of the request head; false when the client went away or we stop.
	bool readHead(Poco::Net::StreamSocket& socket)
	{
		std::string head;
		char buffer[4096];
		while (head.find("\r\n\r\n") == std::string::npos)
		{
			if (stopping()) return false;
			if (!socket.poll(Poco::Timespan(0, 20000), Poco::Net::Socket::SELECT_READ)) continue;
			const int received = socket.receiveBytes(buffer, sizeof(buffer));
			if (received <= 0) return false;
			head.append(buffer, static_cast<std::size_t>(received));
		}
		return true;
	}

	bool sendSome(Poco::Net::StreamSocket& socket, const char* data, int length)
	{
		while (length > 0)
		{
			if (stopping()) return false;
			if (!socket.poll(Poco::Timespan(0, 20000), Poco::Net::Socket::SELECT_WRITE)) continue;
			const int sent = socket.sendBytes(data, length, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (sent <= 0) return false;
			_sent += static_cast<Poco::UInt64>(sent);
			data += sent;
			length -= sent;
		}
		return true;
	}

	void hang(Poco::Net::StreamSocket& socket)
	{
		char buffer[4096];
		while (!stopping())
		{
			if (!socket.poll(Poco::Timespan(0, 20000), Poco::Net::Socket::SELECT_READ)) continue;
			if (socket.receiveBytes(buffer, sizeof(buffer)) <= 0) return;
		}
	}

	void drip(Poco::Net::StreamSocket& socket)
	{
		const std::string endlessLine = "X-Drip: 1\r\n";
		for (std::size_t sent = 0; _options.endless || sent < _options.answer.size(); ++sent)
		{
			const char byte =
				sent < _options.answer.size() ? _options.answer[sent] : endlessLine[(sent - _options.answer.size()) % endlessLine.size()];
			if (!sendSome(socket, &byte, 1) || pause(_options.dripInterval)) return;
		}
	}

	void flood(Poco::Net::StreamSocket& socket)
	{
		const std::string chunk = "1000\r\n" + std::string(4096, 'x') + "\r\n";
		if (!sendSome(socket, _options.answer.data(), static_cast<int>(_options.answer.size()))) return;
		while (sendSome(socket, chunk.data(), static_cast<int>(chunk.size())))
		{
		}
	}

	void serve(Poco::Net::StreamSocket& socket)
	{
		try
		{
			switch (_options.behaviour)
			{
			case Behaviour::Hang: hang(socket); break;
			case Behaviour::Drip:
				if (readHead(socket)) drip(socket);
				break;
			case Behaviour::Flood:
				if (readHead(socket)) flood(socket);
				break;
			case Behaviour::Reset:
				if (readHead(socket)) socket.setLinger(true, 0);
				break;
			}
			socket.close();
		}
		catch (const Poco::Exception&)
		{
			// The client went away: that is its right.
		}
	}

	const Options _options;
	Poco::Net::ServerSocket _listener;
	std::mutex _mutex;
	std::condition_variable _wakeUp;
	bool _stopping = false;
	std::atomic<int> _accepted{0};
	std::atomic<Poco::UInt64> _sent{0};
	std::vector<std::thread> _connections;
	std::thread _acceptor; // last: starts once everything above exists
};

HostileServer::HostileServer(const Options& options): _engine(std::make_unique<Engine>(options))
{
}

HostileServer::~HostileServer() = default;

Poco::UInt16 HostileServer::port() const
{
	return _engine->port();
}

std::string HostileServer::url(const std::string& pathAndQuery) const
{
	return "http://127.0.0.1:" + std::to_string(port()) + pathAndQuery;
}

int HostileServer::connections() const
{
	return _engine->connections();
}

Poco::UInt64 HostileServer::bytesSent() const
{
	return _engine->bytesSent();
}

namespace {

extern "C" void ignoreSignal(int)
{
}

} // namespace

class SignalStorm::Timer
{
public:
	Timer(pthread_t target, const Poco::Timespan& interval): _target(target), _interval(interval)
	{
		struct sigaction action = {};
		action.sa_handler = ignoreSignal;
		sigemptyset(&action.sa_mask);
		action.sa_flags = 0; // no SA_RESTART: interrupted system calls return EINTR
		if (::sigaction(SIGUSR1, &action, &_previous) != 0) throw Poco::SystemException("sigaction(SIGUSR1)");
		_thread = std::thread([this] { run(); });
	}

	~Timer()
	{
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_stopping = true;
		}
		_wakeUp.notify_all();
		_thread.join();
		::sigaction(SIGUSR1, &_previous, nullptr);
	}

	int sent() const
	{
		return _sent.load();
	}

private:
	void run()
	{
		std::unique_lock<std::mutex> lock(_mutex);
		while (!_wakeUp.wait_for(lock, std::chrono::microseconds(_interval.totalMicroseconds()), [this] { return _stopping; }))
		{
			if (::pthread_kill(_target, SIGUSR1) == 0) ++_sent;
		}
	}

	const pthread_t _target;
	const Poco::Timespan _interval;
	struct sigaction _previous = {};
	std::mutex _mutex;
	std::condition_variable _wakeUp;
	bool _stopping = false;
	std::atomic<int> _sent{0};
	std::thread _thread;
};

SignalStorm::SignalStorm(pthread_t target, const Poco::Timespan& interval): _timer(std::make_unique<Timer>(target, interval))
{
}

SignalStorm::~SignalStorm() = default;

int SignalStorm::signalsSent() const
{
	return _timer->sent();
}

class BackgroundCall::State
{
public:
	std::mutex mutex;
	std::condition_variable finished;
	bool done = false;
	Poco::Timestamp started;
	Poco::Timespan elapsed;
	std::string error;
	bool timedOut = false;
};

BackgroundCall::BackgroundCall(std::function<void()> call): _state(std::make_shared<State>())
{
	std::shared_ptr<State> state = _state;
	_thread = std::thread([state, call] {
		std::string error;
		bool timedOut = false;
		try
		{
			call();
		}
		catch (const Poco::TimeoutException& exception)
		{
			error = exception.displayText();
			timedOut = true;
		}
		catch (const Poco::Exception& exception)
		{
			error = exception.displayText();
		}
		catch (const std::exception& exception)
		{
			error = exception.what();
		}
		std::lock_guard<std::mutex> lock(state->mutex);
		state->elapsed = Poco::Timestamp() - state->started;
		state->error = error;
		state->timedOut = timedOut;
		state->done = true;
		state->finished.notify_all();
	});
}

BackgroundCall::~BackgroundCall()
{
	_thread.join();
}

pthread_t BackgroundCall::thread()
{
	return _thread.native_handle();
}

bool BackgroundCall::finishedWithin(const Poco::Timespan& timeout)
{
	std::unique_lock<std::mutex> lock(_state->mutex);
	return _state->finished.wait_for(lock, std::chrono::microseconds(timeout.totalMicroseconds()), [this] { return _state->done; });
}

Poco::Timespan BackgroundCall::elapsed() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	return _state->elapsed;
}

std::string BackgroundCall::error() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	return _state->error;
}

bool BackgroundCall::timedOut() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	return _state->timedOut;
}

} // namespace test
} // namespace asprof
