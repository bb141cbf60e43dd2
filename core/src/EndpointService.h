//
// EndpointService.h
//
// What the pull endpoint answers: Go's /debug/pprof conventions.
//

#ifndef Asprof_Agent_EndpointService_INCLUDED
#define Asprof_Agent_EndpointService_INCLUDED

#include "ProfilingLoop.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/jfr/StackCollector.h"
#include "Poco/Net/HTTPServerRequest.h"
#include "Poco/Net/HTTPServerResponse.h"
#include "Poco/Timespan.h"
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

class HeapTracker;
class RecordingTap;

struct EndpointCounters
{
	std::atomic<std::uint64_t> requests{0};       ///< every request received
	std::atomic<std::uint64_t> unauthorized{0};   ///< 401: missing or wrong token
	std::atomic<std::uint64_t> windows{0};        ///< ?seconds= windows served (200)
	std::atomic<std::uint64_t> windowsRefused{0}; ///< 429: a window was already open
};

/// What the service borrows from the running agent. Used only between
/// Gate::enter() and leave(), so the agent can take them back at stop.
struct EndpointBorrowed
{
	std::function<std::uint64_t(Poco::Timespan)> rotate; ///< ProfilingLoop::rotateOnRequest
	RecordingTap* tap = nullptr;
	HeapTracker* heap = nullptr; ///< null: nativeMem off
	std::function<AgentStatus()> status;
};

/// The request logic, shared (std::shared_ptr) by the server's handler
/// threads: a handler that outlives Endpoint::stop() still finds it.
///
/// A ?seconds=N window: one at a time (429 for another). Under the
/// gate: capture on, rotation A (returns S, the recording now in
/// progress); wait N seconds (cut short by stop: 503); rotation B
/// (returns E), capture off. The answer converts the recordings S..E-1:
/// exactly those recorded between A and B. Both rotations are ordinary
/// ticks of the control thread, so every recording still goes to the
/// reporters, once.
class EndpointService
{
public:
	static const Poco::Timespan ROTATION_TIMEOUT;

	EndpointService(const EndpointSettings& settings, const ProfilerSettings& profiler, std::string token, EndpointBorrowed borrowed);

	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) noexcept;

	/// Cuts open windows short and waits up to timeout until no request
	/// uses the borrowed objects; none will afterwards.
	void close(Poco::Timespan timeout);

	const EndpointCounters& counters() const;

private:
	struct RecordedWindow
	{
		std::uint64_t first = 0;                   ///< the first recording of the window (0: none)
		std::uint64_t end = 0;                     ///< the recording in progress after it (0: not cut)
		std::vector<FinishedRecording> recordings; ///< captured, a superset of first..end-1
		std::string problem;                       ///< why there is no answer (503)
	};

	RecordedWindow recordWindow(int seconds);
	void route(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	bool authorized(const Poco::Net::HTTPServerRequest& request) const;
	void serveWindow(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, jfr::CollectOptions::Event event,
		int defaultSeconds);
	void serveHeap(Poco::Net::HTTPServerResponse& response);
	void serveStatus(Poco::Net::HTTPServerResponse& response);
	void serveIndex(Poco::Net::HTTPServerResponse& response);
	int windowSeconds(Poco::Net::HTTPServerRequest& request, int defaultSeconds);
	bool waitOrStop(Poco::Timespan duration);
	bool enter();
	void leave();
	void sendText(Poco::Net::HTTPServerResponse& response, int status, const std::string& text);
	void sendProfile(Poco::Net::HTTPServerResponse& response, const std::string& data, const std::string& name);

	const EndpointSettings _settings;
	const ProfilerSettings _profiler;
	const std::string _token;
	EndpointBorrowed _borrowed;
	EndpointCounters _counters;

	std::mutex _windowMutex; // held by the one open window

	std::mutex _gateMutex;
	std::condition_variable _gateChanged;
	bool _closed = false; // _gateMutex
	int _inside = 0;      // _gateMutex
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_EndpointService_INCLUDED
