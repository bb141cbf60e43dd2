#include "Endpoint.h"
#include "ListenAddress.h"
#include "SmallFile.h"
#include "ThreadName.h"
#include "asprof/agent/Exception.h"
#include "Poco/Logger.h"
#include "Poco/Net/HTTPRequestHandler.h"
#include "Poco/Net/HTTPRequestHandlerFactory.h"
#include "Poco/Net/HTTPServer.h"
#include "Poco/Net/HTTPServerParams.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/String.h"
#include "Poco/ThreadPool.h"
#include <fcntl.h>

namespace asprof {
namespace agent {

namespace {

const int MAX_QUEUED_CONNECTIONS = 16;
const std::size_t MAX_TOKEN_FILE_SIZE = 4096;

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.agent");
}

class RequestHandler: public Poco::Net::HTTPRequestHandler
{
public:
	explicit RequestHandler(std::shared_ptr<EndpointService> service): _service(std::move(service))
	{
	}

	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		_service->handle(request, response);
	}

private:
	std::shared_ptr<EndpointService> _service;
};

class RequestHandlerFactory: public Poco::Net::HTTPRequestHandlerFactory
{
public:
	explicit RequestHandlerFactory(std::shared_ptr<EndpointService> service): _service(std::move(service))
	{
	}

	Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override
	{
		return new RequestHandler(_service); // Poco's interface: the server owns and deletes it
	}

private:
	std::shared_ptr<EndpointService> _service;
};

std::string readTokenFile(const std::string& path)
{
	std::string problem;
	std::string token = Poco::trim(readSmallFile(path, MAX_TOKEN_FILE_SIZE, "4 KiB", problem));
	if (problem.empty() && token.empty()) problem = "it is empty";
	if (problem.empty() && token.find_first_of("\r\n\t") != std::string::npos) problem = "the token spans several lines";
	// The problem never quotes the content: it is a secret.
	if (!problem.empty()) throw ConfigException("[endpoint] tokenFile = " + path + ": " + problem + " (expected a file holding the token)");
	return token;
}

} // namespace

Endpoint::Endpoint(const EndpointSettings& settings, const ProfilerSettings& profiler, EndpointBorrowed borrowed):
	_settings(settings),
	_profiler(profiler),
	_borrowed(std::move(borrowed))
{
}

Endpoint::~Endpoint()
{
	stop(Poco::Timespan(0));
}

std::string Endpoint::readToken() const
{
	if (!_settings.tokenFile.empty()) return readTokenFile(_settings.tokenFile);
	return _settings.token;
}

void Endpoint::start()
{
	_service = std::make_shared<EndpointService>(_settings, _profiler, readToken(), _borrowed);
	Poco::Net::ServerSocket socket;
	try
	{
		Poco::Net::SocketAddress address = parseListenAddress(_settings.listen);
		socket.bind(address, true, false); // never SO_REUSEPORT: no one else may share the port
		// A program the host execs (a wrapper's real program) must not inherit
		// the port: it would hold it after the agent stops.
		::fcntl(socket.impl()->sockfd(), F_SETFD, FD_CLOEXEC);
		socket.listen(MAX_QUEUED_CONNECTIONS);
		_address = socket.address().toString();
	}
	catch (Poco::Exception& e)
	{
		throw AgentException("[endpoint] listen = " + _settings.listen + ": cannot listen there: " + e.displayText());
	}
	Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
	params->setMaxThreads(_settings.threads);
	params->setMaxQueued(MAX_QUEUED_CONNECTIONS);
	params->setTimeout(_settings.requestTimeout);
	params->setKeepAlive(false);
	params->setServerName("asprof-agent");
	params->setThreadIdleTime(Poco::Timespan(60, 0));
	ThreadNameScope named("asprof-endpoint"); // the acceptor and the pool's threads
	_threads.reset(new Poco::ThreadPool("asprof-endpoint", 1, _settings.threads));
	_server.reset(new Poco::Net::HTTPServer(new RequestHandlerFactory(_service), *_threads, socket, params));
	_server->start();
	if (!isLoopback(parseListenAddress(_settings.listen)) && _settings.token.empty() && _settings.tokenFile.empty())
		logger().warning("endpoint: listening on %s, beyond loopback, without a token: anyone who reaches the port can read this "
						 "process's profiles (set [endpoint] token or tokenFile)",
			_address);
	logger().information("endpoint: serving http://%s/debug/pprof/%s", _address,
		std::string(_settings.token.empty() && _settings.tokenFile.empty() ? "" : " (bearer token required)"));
}

void Endpoint::stop(Poco::Timespan timeout) noexcept
{
	if (!_server) return;
	try
	{
		_service->close(timeout);
		_server->stopAll(true);
		_server.reset();
		_threads.reset();
	}
	catch (...)
	{
		// Stopping a server does not fail in a way the host could act on.
	}
	_server.reset();
}

std::string Endpoint::address() const
{
	return _address;
}

const EndpointCounters& Endpoint::counters() const
{
	static const EndpointCounters none;
	return _service ? _service->counters() : none;
}

} // namespace agent
} // namespace asprof
