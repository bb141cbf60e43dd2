#include "MetadataResolver.h"
#include "PluginBoundary.h"
#include "SignalMask.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/Logger.h"
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <thread>

namespace asprof {
namespace agent {

struct MetadataResolver::State
{
	std::mutex mutex;
	std::condition_variable detected;
	std::vector<Candidate> candidates;
	std::optional<sdk::HostMetadata> resolved;
	bool started = false;
	bool warned = false;
};

namespace {

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.agent");
}

// What a provider answers goes into logs, JSON and HTTP headers: no control characters.
void checkPrintable(const std::string& text, const std::string& what)
{
	for (char c : text)
	{
		auto byte = static_cast<unsigned char>(c);
		if (byte < 0x20 || byte == 0x7f) throw Poco::DataFormatException("its " + what + " contains control characters");
	}
}

sdk::HostMetadata checked(sdk::HostMetadata metadata)
{
	checkPrintable(metadata.kind, "kind");
	if (metadata.kind.empty()) throw Poco::DataFormatException("its kind is empty");
	for (const auto& field : metadata.fields)
	{
		checkPrintable(field.first, "field name");
		checkPrintable(field.second, "field " + field.first);
	}
	for (const auto& label : metadata.labels)
	{
		checkPrintable(label.first, "label name");
		checkPrintable(label.second, "label " + label.first);
	}
	return metadata;
}

} // namespace

MetadataResolver::MetadataResolver(std::vector<Candidate> candidates, Poco::Timespan timeout):
	_state(std::make_shared<State>()),
	_timeout(timeout)
{
	_state->candidates = std::move(candidates);
}

void MetadataResolver::setCandidates(std::vector<Candidate> candidates)
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	_state->candidates = std::move(candidates);
}

sdk::HostMetadata MetadataResolver::fallback()
{
	return sdk::HostMetadata::onprem();
}

sdk::HostMetadata MetadataResolver::unknown()
{
	sdk::HostMetadata metadata = sdk::HostMetadata::onprem();
	metadata.kind = "unknown";
	return metadata;
}

void MetadataResolver::start()
{
	{
		std::lock_guard<std::mutex> lock(_state->mutex);
		if (_state->started) return;
		_state->started = true;
	}
	try
	{
		TerminationSignalsBlocked signalsBlocked;
		std::thread(&MetadataResolver::detect, _state).detach(); // a provider may hang: never joined
	}
	catch (std::exception& e)
	{
		logger().error("cannot start metadata detection: %s; using onprem", std::string(e.what()));
		std::lock_guard<std::mutex> lock(_state->mutex);
		_state->resolved = fallback();
		_state->detected.notify_all();
	}
}

ASPROF_CATCHES_FORCED_UNWIND void MetadataResolver::detect(std::shared_ptr<State> state)
{
	blockAgentThreadSignals();
	::pthread_setname_np(::pthread_self(), "asprof-metadata");
	std::optional<sdk::HostMetadata> resolved;
	// The candidates are set before start() and never touched again by others.
	for (auto& candidate : state->candidates)
	{
		std::string error;
		try
		{
			error = callGuarded([&]() { resolved = checked(candidate.provider->detect()); });
			if (error.empty()) resolved->labels.insert(resolved->labels.end(), candidate.labels.begin(), candidate.labels.end());
		}
		catch (abi::__forced_unwind&)
		{
			logger().error("metadata %s ended its thread (pthread_exit); using onprem", candidate.name);
			std::lock_guard<std::mutex> lock(state->mutex);
			state->resolved = fallback();
			state->detected.notify_all();
			throw;
		}
		if (error.empty())
		{
			logger().information("host metadata from %s: kind %s", candidate.name, resolved->kind);
			break;
		}
		resolved.reset();
		logger().warning("metadata %s: %s; trying the next provider", candidate.name, error);
	}
	if (!resolved)
	{
		resolved = fallback();
		logger().information("host metadata: no provider answered; using onprem (hostname %s)", resolved->field("hostname"));
	}
	std::lock_guard<std::mutex> lock(state->mutex);
	state->resolved = std::move(resolved);
	state->detected.notify_all();
}

sdk::HostMetadata MetadataResolver::resolve()
{
	start();
	std::unique_lock<std::mutex> lock(_state->mutex);
	// Once a profile has waited the whole timeout, the next ones do not wait
	// again: they go out as unknown until detection ends.
	auto timeout = std::chrono::microseconds(_state->warned ? 0 : _timeout.totalMicroseconds());
	if (_state->detected.wait_for(lock, timeout, [&]() { return _state->resolved.has_value(); })) return *_state->resolved;
	bool first = !_state->warned;
	_state->warned = true;
	lock.unlock();
	if (first)
		logger().warning("host metadata not known after %s; delivering with host kind unknown until detection ends",
			std::to_string(_timeout.totalMilliseconds()) + "ms");
	return unknown();
}

} // namespace agent
} // namespace asprof
