// The C API (asprof/agent.h): a thin, exception-proof shell over Agent.
#include "asprof/agent.h"
#include "AsyncProfiler.h"
#include "asprof/agent/Agent.h"
#include "asprof/sdk/Version.h"
#include <exception>
#include <memory>
#include <mutex>
#include <string>

/// stopMutex serialises stops (the caller's and the one at exit), so a
/// stop that finds the agent already stopped returns how that stop went.
struct asprof_agent
{
	std::unique_ptr<asprof::agent::Agent> agent;
	std::uint64_t exitHook = 0;
	std::mutex stopMutex;
	int lastStop = 0; // 0: every profile delivered, 1: not

	int stop(Poco::Timespan timeout)
	{
		std::lock_guard<std::mutex> lock(stopMutex);
		if (agent->isRunning()) lastStop = agent->stop(timeout) ? 0 : 1;
		return lastStop;
	}
};

namespace {

thread_local std::string lastError;

template <class Function>
int guarded(Function function)
{
	try
	{
		lastError.clear();
		return function();
	}
	catch (Poco::Exception& e)
	{
		lastError = e.displayText();
	}
	catch (std::exception& e)
	{
		lastError = e.what();
	}
	catch (...)
	{
		lastError = "unknown error";
	}
	return -1;
}

} // namespace

extern "C"
{
	const char* asprof_agent_version(void)
	{
		return ASPROF_VERSION_STRING;
	}

	int asprof_agent_start(const char* config_path, asprof_agent** agent)
	{
		if (agent) *agent = nullptr;
		return guarded([&]() {
			if (!config_path || !agent)
			{
				lastError = "asprof_agent_start: config_path and agent must not be NULL";
				return -1;
			}
			std::unique_ptr<asprof_agent> handle(new asprof_agent);
			handle->agent.reset(new asprof::agent::Agent(asprof::agent::AgentConfig::load(config_path)));
			handle->agent->start();
			// Flushes the last recording at exit(), before async-profiler stops itself.
			asprof_agent* started = handle.get();
			handle->exitHook =
				asprof::agent::AsyncProfiler::addExitHook([started]() { started->stop(started->agent->config().flushTimeout); });
			*agent = handle.release();
			return 0;
		});
	}

	int asprof_agent_stop(asprof_agent* agent, unsigned timeout_ms)
	{
		return guarded([&]() {
			if (!agent)
			{
				lastError = "asprof_agent_stop: agent is NULL";
				return -1;
			}
			return agent->stop(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(timeout_ms) * 1000));
		});
	}

	int asprof_agent_status_get(const asprof_agent* agent, asprof_agent_status* status)
	{
		return guarded([&]() {
			if (!agent || !status)
			{
				lastError = "asprof_agent_status_get: agent and status must not be NULL";
				return -1;
			}
			asprof::agent::AgentStatus current = agent->agent->status();
			*status = asprof_agent_status();
			status->running = current.running ? 1 : 0;
			status->rotations = current.rotations;
			status->recordings = current.recordings;
			status->profiler_errors = current.profilerErrors;
			for (const auto& lane : current.lanes)
			{
				status->delivered += lane.delivered;
				status->retried += lane.retried;
				status->failed += lane.failed;
				status->dropped += lane.dropped();
				status->spooled += lane.spooled;
				status->queued += lane.queued + lane.leftInSpool; // after stop: what waits in a spool for the next start
			}
			return 0;
		});
	}

	void asprof_agent_free(asprof_agent* agent)
	{
		guarded([&]() {
			if (agent) asprof::agent::AsyncProfiler::removeExitHook(agent->exitHook);
			delete agent; // ~Agent stops within flushTimeout
			return 0;
		});
	}

	const char* asprof_agent_last_error(void)
	{
		return lastError.c_str();
	}

} // extern "C"
