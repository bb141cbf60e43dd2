//
// Endpoint.h
//
// The optional pull endpoint: an HTTP server inside the agent.
//

#ifndef Asprof_Agent_Endpoint_INCLUDED
#define Asprof_Agent_Endpoint_INCLUDED

#include "EndpointService.h"
#include "asprof/agent/AgentConfig.h"
#include "Poco/Timespan.h"
#include <memory>
#include <string>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
} // namespace Poco

namespace asprof {
namespace agent {

/// [endpoint] listen = host:port: a Poco HTTPServer answering Go's
/// net/http/pprof paths (docs/endpoint.md) from this process's
/// profiler. Its threads ("asprof-endpoint", at most [endpoint] threads
/// handling requests, at most 16 connections waiting) never call
/// async-profiler: a window asks the control thread for a rotation and
/// waits for it, the control thread never waits for them.
class Endpoint
{
public:
	/// Cheap; nothing listens yet.
	Endpoint(const EndpointSettings& settings, const ProfilerSettings& profiler, EndpointBorrowed borrowed);

	/// stop() if not stopped.
	~Endpoint();

	/// Reads tokenFile, binds listen and starts serving. Throws
	/// ConfigException (tokenFile) or AgentException (the address
	/// cannot be bound), naming the key or the address, never the token.
	void start();

	/// Cuts open windows short (503), stops accepting, and waits up to
	/// timeout until no request uses the profiler, the tap or the heap.
	/// A request still converting may finish later on the service it
	/// shares (no borrowed object).
	void stop(Poco::Timespan timeout) noexcept;

	/// The bound address, "127.0.0.1:6060" (with the real port when
	/// listen asked for port 0); empty when not started.
	std::string address() const;

	const EndpointCounters& counters() const;

private:
	std::string readToken() const;

	const EndpointSettings _settings;
	const ProfilerSettings _profiler;
	EndpointBorrowed _borrowed;
	std::shared_ptr<EndpointService> _service;
	std::unique_ptr<Poco::ThreadPool> _threads;
	std::unique_ptr<Poco::Net::HTTPServer> _server;
	std::string _address;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_Endpoint_INCLUDED
