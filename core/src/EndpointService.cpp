#include "EndpointService.h"
#include "HeapTracker.h"
#include "ProfilerArguments.h"
#include "RecordingTap.h"
#include "asprof/jfr/PprofConvert.h"
#include "Poco/JSON/Object.h"
#include "Poco/Logger.h"
#include "Poco/Net/HTMLForm.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/Net/HTTPServerRequestImpl.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/NumberParser.h"
#include "Poco/String.h"
#include "Poco/URI.h"
#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <sstream>

namespace asprof {
namespace agent {

namespace {

using Poco::Net::HTTPResponse;

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.agent");
}

// Compares without an early exit, so the answer's timing says nothing about the token.
bool sameSecret(const std::string& given, const std::string& expected)
{
	unsigned char difference = given.size() == expected.size() ? 0 : 1;
	for (std::size_t i = 0; i < given.size(); ++i)
		difference |= static_cast<unsigned char>(given[i] ^ expected[i % (expected.empty() ? 1 : expected.size())]);
	return difference == 0 && !expected.empty();
}

const char* const INDEX_PAGE = R"(<!DOCTYPE html>
<html><head><title>/debug/pprof/</title></head><body>
<h1>asprof-agent: /debug/pprof/</h1>
<p>Profiles of this process, recorded by async-profiler (docs/endpoint.md).</p>
<table>
<tr><td><a href="profile?seconds=30">profile</a></td><td>CPU profile of the next N seconds (?seconds=N, default 30)</td></tr>
<tr><td><a href="wall?seconds=30">wall</a></td><td>wall-clock profile of the next N seconds (?seconds=N, default 30)</td></tr>
<tr><td><a href="heap">heap</a></td><td>live sampled native allocations (needs [profiler] nativeMem)</td></tr>
<tr><td><a href="allocs">allocs</a></td><td>native allocations since start, or of the next N seconds with ?seconds=N</td></tr>
<tr><td><a href="/status">/status</a></td><td>the agent's counters (JSON)</td></tr>
</table></body></html>
)";

Poco::JSON::Object::Ptr laneJson(const LaneStatus& lane)
{
	Poco::JSON::Object::Ptr json = new Poco::JSON::Object;
	json->set("name", lane.name);
	json->set("enqueued", lane.enqueued);
	json->set("recovered", lane.recovered);
	json->set("delivered", lane.delivered);
	json->set("retried", lane.retried);
	json->set("failed", lane.failed);
	json->set("droppedQueueFull", lane.droppedQueueFull);
	json->set("droppedExpired", lane.droppedExpired);
	json->set("droppedSpoolFull", lane.droppedSpoolFull);
	json->set("droppedCorrupt", lane.droppedCorrupt);
	json->set("droppedAtStop", lane.droppedAtStop);
	json->set("leftInSpool", lane.leftInSpool);
	json->set("spooled", lane.spooled);
	json->set("replayed", lane.replayed);
	json->set("bytesDelivered", lane.bytesDelivered);
	json->set("queued", static_cast<std::uint64_t>(lane.queued));
	json->set("spoolEntries", static_cast<std::uint64_t>(lane.spoolEntries));
	json->set("spoolBytes", lane.spoolBytes);
	json->set("lastError", lane.lastError);
	return json;
}

std::string statusJson(const AgentStatus& status)
{
	Poco::JSON::Object json(Poco::JSON_PRESERVE_KEY_ORDER);
	json.set("running", status.running);
	json.set("library", status.library);
	json.set("rotations", status.rotations);
	json.set("requestedRotations", status.requestedRotations);
	json.set("rotationStrategy", status.rotationStrategy);
	json.set("chunkSwitches", status.chunkSwitches);
	json.set("restarts", status.restarts);
	json.set("recordings", status.recordings);
	json.set("emptyRecordings", status.emptyRecordings);
	json.set("profilerErrors", status.profilerErrors);
	json.set("bytesRecorded", status.bytesRecorded);
	json.set("recordingsLost", status.recordingsLost);
	json.set("lastError", status.lastError);
	Poco::JSON::Object::Ptr endpoint = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
	endpoint->set("address", status.endpointAddress);
	endpoint->set("requests", status.endpointRequests);
	endpoint->set("unauthorized", status.endpointUnauthorized);
	endpoint->set("windows", status.endpointWindows);
	endpoint->set("windowsRefused", status.endpointWindowsRefused);
	json.set("endpoint", endpoint);
	Poco::JSON::Object::Ptr heap = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
	heap->set("recordings", status.heapRecordings);
	heap->set("failed", status.heapFailed);
	heap->set("dropped", status.heapDropped);
	heap->set("liveAllocations", status.heapLiveAllocations);
	heap->set("liveBytes", status.heapLiveBytes);
	heap->set("evicted", status.heapEvicted);
	json.set("heap", heap);
	Poco::JSON::Array::Ptr lanes = new Poco::JSON::Array;
	for (const auto& lane : status.lanes) lanes->add(laneJson(lane));
	json.set("lanes", lanes);
	std::ostringstream out;
	json.stringify(out, 2);
	return out.str();
}

} // namespace

const Poco::Timespan EndpointService::ROTATION_TIMEOUT(5 * Poco::Timespan::SECONDS);

EndpointService::EndpointService(
	const EndpointSettings& settings, const ProfilerSettings& profiler, std::string token, EndpointBorrowed borrowed):
	_settings(settings),
	_profiler(profiler),
	_token(std::move(token)),
	_borrowed(std::move(borrowed))
{
}

const EndpointCounters& EndpointService::counters() const
{
	return _counters;
}

namespace {

// The request target for a log line, as sent (never parsed: it may be
// malformed): up to the query, at most 200 characters, no control characters.
std::string loggable(const std::string& target)
{
	std::string text = target.substr(0, std::min(target.find('?'), std::string::size_type(200)));
	for (char& c : text)
	{
		if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
	}
	return text;
}

} // namespace

void EndpointService::handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) noexcept
{
	++_counters.requests;
	try
	{
		// Not inherited by a program the host execs (the listening socket is not either).
		if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request))
			::fcntl(impl->socket().impl()->sockfd(), F_SETFD, FD_CLOEXEC);
		route(request, response);
	}
	catch (std::exception& e)
	{
		std::string reason = dynamic_cast<Poco::Exception*>(&e) ? static_cast<Poco::Exception&>(e).displayText() : std::string(e.what());
		logger().error("endpoint: %s %s failed: %s", request.getMethod(), loggable(request.getURI()), reason);
		try
		{
			if (!response.sent()) sendText(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR, "internal error: " + reason);
		}
		catch (...)
		{
		}
	}
	catch (...)
	{
	}
}

void EndpointService::route(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	if (!authorized(request))
	{
		++_counters.unauthorized;
		response.set("WWW-Authenticate", "Bearer realm=\"asprof-agent\"");
		sendText(response, HTTPResponse::HTTP_UNAUTHORIZED,
			"unauthorized: this endpoint needs Authorization: Bearer <token> ([endpoint] token)");
		return;
	}
	if (request.getMethod() != "GET" && request.getMethod() != "HEAD")
	{
		response.set("Allow", "GET, HEAD");
		sendText(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method not allowed: use GET");
		return;
	}
	std::string path;
	bool seconds = false;
	try
	{
		path = Poco::URI(request.getURI()).getPath();
		seconds = Poco::Net::HTMLForm(request).has("seconds");
	}
	catch (Poco::Exception& e)
	{
		// A bad percent escape, more than 100 query fields...: the client's fault.
		sendText(response, HTTPResponse::HTTP_BAD_REQUEST, "bad request: " + e.displayText());
		return;
	}
	// Go's default window is 30 s; never more than the configured maximum.
	const int defaultSeconds = std::min(30, _settings.maxSeconds);
	if (path == "/debug/pprof/profile")
		serveWindow(request, response, jfr::CollectOptions::Event::Cpu, defaultSeconds);
	else if (path == "/debug/pprof/wall")
		serveWindow(request, response, jfr::CollectOptions::Event::Wall, defaultSeconds);
	else if (path == "/debug/pprof/heap")
		serveHeap(response);
	else if (path == "/debug/pprof/allocs")
	{
		if (seconds)
			serveWindow(request, response, jfr::CollectOptions::Event::NativeMem, defaultSeconds);
		else
			serveHeap(response);
	}
	else if (path == "/status")
		serveStatus(response);
	else if (path == "/debug/pprof/" || path == "/debug/pprof")
		serveIndex(response);
	else
		sendText(response, HTTPResponse::HTTP_NOT_FOUND, "not found: " + path + " (see /debug/pprof/)");
}

bool EndpointService::authorized(const Poco::Net::HTTPServerRequest& request) const
{
	if (_token.empty()) return true;
	const std::string header = request.get("Authorization", std::string()); // a copy: get() returns its default argument by reference
	const std::string prefix = "Bearer ";
	if (header.size() <= prefix.size() || Poco::icompare(header.substr(0, prefix.size()), prefix) != 0) return false;
	return sameSecret(header.substr(prefix.size()), _token);
}

int EndpointService::windowSeconds(Poco::Net::HTTPServerRequest& request, int defaultSeconds)
{
	Poco::Net::HTMLForm form(request);
	if (!form.has("seconds")) return defaultSeconds;
	const std::string& value = form.get("seconds");
	int seconds = 0;
	if (!Poco::NumberParser::tryParse(value, seconds) || seconds < 1) return -1;
	return seconds;
}

void EndpointService::serveWindow(
	Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response, jfr::CollectOptions::Event event, int defaultSeconds)
{
	int seconds = windowSeconds(request, defaultSeconds);
	if (seconds < 1)
		return sendText(response, HTTPResponse::HTTP_BAD_REQUEST, "bad request: seconds must be a whole number of seconds, at least 1");
	if (seconds > _settings.maxSeconds)
		return sendText(response, HTTPResponse::HTTP_BAD_REQUEST,
			"bad request: seconds=" + std::to_string(seconds) + " is more than the maximum of " + std::to_string(_settings.maxSeconds) +
				" ([endpoint] maxSeconds)");
	if (event == jfr::CollectOptions::Event::Wall && _profiler.wallInterval == Poco::Timespan(0))
		return sendText(response, HTTPResponse::HTTP_NOT_FOUND, "no wall-clock samples: [profiler] wallInterval = 0");
	if (event == jfr::CollectOptions::Event::NativeMem && _profiler.nativeMem.empty())
		return sendText(
			response, HTTPResponse::HTTP_NOT_FOUND, "no native memory samples: set [profiler] nativeMem (e.g. 512k) in agent.ini");
	std::unique_lock<std::mutex> window(_windowMutex, std::try_to_lock);
	if (!window.owns_lock())
	{
		++_counters.windowsRefused;
		response.set("Retry-After", std::to_string(_settings.maxSeconds));
		return sendText(response, HTTPResponse::HTTP_TOO_MANY_REQUESTS,
			"too many requests: another profile window is being recorded "
			"(async-profiler has one session per process, so windows run one at a time); retry when it ends");
	}
	RecordedWindow recorded = recordWindow(seconds);
	if (!recorded.problem.empty()) return sendText(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, recorded.problem);
	// Converted outside the gate: the recordings are shared, not borrowed.
	std::vector<jfr::Input> inputs;
	for (const auto& recording : recorded.recordings)
	{
		if (recording.seq >= recorded.first && recording.seq < recorded.end) inputs.push_back(openForReading(recording));
	}
	std::vector<const jfr::Input*> pointers;
	for (const auto& input : inputs) pointers.push_back(&input);
	jfr::CollectOptions options;
	options.event = event;
	jfr::PprofProfile profile = jfr::convertToPprof(pointers, options);
	++_counters.windows;
	// Which recordings (seq, as the reporters see them) the answer holds.
	response.set("X-Asprof-Recordings", std::to_string(recorded.first) + "-" + std::to_string(recorded.end - 1));
	sendProfile(response, profile.data,
		event == jfr::CollectOptions::Event::Cpu        ? "profile"
			: event == jfr::CollectOptions::Event::Wall ? "wall"
														: "allocs");
}

// Rotation A, N seconds, rotation B: the recordings A..B-1 are the window's.
// The capture is on from before A to after B, so each of them is in it.
EndpointService::RecordedWindow EndpointService::recordWindow(int seconds)
{
	RecordedWindow recorded;
	if (!enter())
	{
		recorded.problem = "the agent is stopping";
		return recorded;
	}
	_borrowed.tap->beginCapture();
	recorded.first = _borrowed.rotate(ROTATION_TIMEOUT);
	bool completed = recorded.first != 0 && waitOrStop(Poco::Timespan(seconds, 0));
	leave();
	if (!enter())
	{
		recorded.problem = "the agent is stopping";
		return recorded;
	}
	recorded.end = completed ? _borrowed.rotate(ROTATION_TIMEOUT) : 0;
	bool overflowed = false;
	recorded.recordings = _borrowed.tap->endCapture(&overflowed);
	leave();
	if (overflowed)
		recorded.problem = "the window spanned more than " + std::to_string(RecordingTap::MAX_CAPTURED) +
			" recordings (reportingInterval is short for seconds=" + std::to_string(seconds) + "): ask for fewer seconds";
	else if (recorded.first == 0)
		recorded.problem = "the profiler could not start the window (see /status lastError)";
	else if (!completed)
		recorded.problem = "the agent is stopping";
	else if (recorded.end == 0)
		recorded.problem = "the profiler could not end the window (see /status lastError)";
	return recorded;
}

void EndpointService::serveHeap(Poco::Net::HTTPServerResponse& response)
{
	if (_profiler.nativeMem.empty())
		return sendText(response, HTTPResponse::HTTP_NOT_FOUND,
			"no live heap: native memory profiling is off; set [profiler] nativeMem "
			"(e.g. nativeMem = 512k) in agent.ini");
	if (ProfilerArguments::lastValue(_profiler.extraArgs, "nofree"))
		return sendText(response, HTTPResponse::HTTP_NOT_FOUND,
			"no live heap: [profiler] extraArgs has nofree, so async-profiler records no frees and every sampled "
			"allocation would look live; /debug/pprof/allocs?seconds=N still answers");
	if (!enter()) return sendText(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "the agent is stopping");
	std::ostringstream out;
	try
	{
		if (_borrowed.heap) _borrowed.heap->writePprof(out);
	}
	catch (...)
	{
		leave();
		throw;
	}
	leave();
	if (!_borrowed.heap) return sendText(response, HTTPResponse::HTTP_NOT_FOUND, "no live heap in this agent");
	sendProfile(response, out.str(), "heap");
}

void EndpointService::serveStatus(Poco::Net::HTTPServerResponse& response)
{
	if (!enter()) return sendText(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "the agent is stopping");
	AgentStatus status;
	try
	{
		status = _borrowed.status();
	}
	catch (...)
	{
		leave();
		throw;
	}
	leave();
	std::string body = statusJson(status);
	response.setStatus(HTTPResponse::HTTP_OK);
	response.setContentType("application/json");
	response.setContentLength(static_cast<std::streamsize>(body.size()));
	response.send() << body;
}

void EndpointService::serveIndex(Poco::Net::HTTPServerResponse& response)
{
	std::string body = INDEX_PAGE;
	response.setStatus(HTTPResponse::HTTP_OK);
	response.setContentType("text/html; charset=utf-8");
	response.setContentLength(static_cast<std::streamsize>(body.size()));
	response.send() << body;
}

bool EndpointService::waitOrStop(Poco::Timespan duration)
{
	std::unique_lock<std::mutex> lock(_gateMutex);
	auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(duration.totalMicroseconds());
	return !_gateChanged.wait_until(lock, deadline, [this]() { return _closed; });
}

bool EndpointService::enter()
{
	std::lock_guard<std::mutex> lock(_gateMutex);
	if (_closed) return false;
	++_inside;
	return true;
}

void EndpointService::leave()
{
	std::lock_guard<std::mutex> lock(_gateMutex);
	--_inside;
	_gateChanged.notify_all();
}

void EndpointService::close(Poco::Timespan timeout)
{
	std::unique_lock<std::mutex> lock(_gateMutex);
	_closed = true;
	_gateChanged.notify_all();
	auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(timeout.totalMicroseconds());
	if (!_gateChanged.wait_until(lock, deadline, [this]() { return _inside == 0; }))
		logger().error("endpoint: a request still uses the profiler after %s", std::to_string(timeout.totalMilliseconds()) + "ms");
}

void EndpointService::sendText(Poco::Net::HTTPServerResponse& response, int status, const std::string& text)
{
	std::string body = text + "\n";
	response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(status));
	response.setContentType("text/plain; charset=utf-8");
	response.set("X-Content-Type-Options", "nosniff");
	response.setContentLength(static_cast<std::streamsize>(body.size()));
	response.send() << body;
}

void EndpointService::sendProfile(Poco::Net::HTTPServerResponse& response, const std::string& data, const std::string& name)
{
	response.setStatus(HTTPResponse::HTTP_OK);
	response.setContentType("application/octet-stream");
	response.set("Content-Disposition", "attachment; filename=\"" + name + "\"");
	response.set("X-Content-Type-Options", "nosniff");
	response.setContentLength(static_cast<std::streamsize>(data.size()));
	response.send().write(data.data(), static_cast<std::streamsize>(data.size()));
}

} // namespace agent
} // namespace asprof
