//
// Preload.cpp
//
// libasprof-agent-preload.so: profiles an unmodified, dynamically linked
// program. LD_PRELOAD=libasprof-agent-preload.so ASPROF_AGENT_CONFIG=agent.ini prog
//
// - Nothing happens unless ASPROF_AGENT_CONFIG names a configuration file.
// - The agent starts on its own thread, off the dynamic loader's path: the
//   constructor only reads the environment and spawns the thread, so loading
//   async-profiler and the plugins (dlopen) never runs under the loader lock.
// - At normal exit (return from main, exit()) the agent stops within its
//   flushTimeout, reporting the last recording. _exit(), abort() and signals
//   that kill the process skip that (use a spoolDir to keep what was queued).
// - After fork() the child runs no agent: the parent's agent, its threads
//   and async-profiler's state belong to the parent; the child's exit does
//   not touch them. A child that exec()s is a new program: it is profiled
//   only if ASPROF_AGENT_CONFIG is still set, and by default it is not (the
//   variable is removed at start; ASPROF_AGENT_INHERIT=1 keeps it, giving
//   each exec'd program its own agent).
// Problems are reported on stderr as "asprof-agent: ..."; the program always
// keeps running.
//

#include "SignalMask.h"
#include "asprof/agent/Agent.h"
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>

namespace {

struct PreloadState
{
	std::mutex mutex;
	std::condition_variable started;
	bool starting = false;
	pid_t owner = 0;
	asprof::agent::Agent* agent = nullptr; // never deleted: freed with the process
};

// Never destroyed: atexit handlers and forked children may still look at it.
PreloadState& state()
{
	static auto* instance = new PreloadState;
	return *instance;
}

void startAgent(std::string configPath)
{
	PreloadState& preload = state();
	asprof::agent::Agent* agent = nullptr;
	try
	{
		agent = new asprof::agent::Agent(asprof::agent::AgentConfig::load(configPath));
		agent->start();
	}
	catch (Poco::Exception& e)
	{
		std::fprintf(stderr, "asprof-agent: profiling disabled: %s\n", (e.message().empty() ? e.displayText() : e.message()).c_str());
	}
	catch (std::exception& e)
	{
		std::fprintf(stderr, "asprof-agent: profiling disabled: %s\n", e.what());
	}
	std::lock_guard<std::mutex> lock(preload.mutex);
	preload.agent = agent && agent->isRunning() ? agent : nullptr;
	preload.starting = false;
	preload.started.notify_all();
}

void stopAtExit()
{
	PreloadState& preload = state();
	// A forked child: not its agent. (It must not even take the mutex, which a
	// parent thread that does not exist in the child may have held at fork.)
	if (::getpid() != preload.owner) return;
	std::unique_lock<std::mutex> lock(preload.mutex);
	// A program that exits at once still gets its agent stopped cleanly.
	preload.started.wait_for(lock, std::chrono::seconds(60), [&]() { return !preload.starting; });
	asprof::agent::Agent* agent = preload.agent;
	lock.unlock();
	if (agent) agent->stop();
}

__attribute__((constructor)) void asprofPreloadInit()
{
	const char* configPath = std::getenv("ASPROF_AGENT_CONFIG");
	if (!configPath || !*configPath) return;
	std::string path = configPath;
	const char* inherit = std::getenv("ASPROF_AGENT_INHERIT");
	if (!inherit || std::string(inherit) != "1") ::unsetenv("ASPROF_AGENT_CONFIG");
	PreloadState& preload = state();
	preload.owner = ::getpid();
	preload.starting = true;
	std::atexit(&stopAtExit);
	try
	{
		asprof::agent::TerminationSignalsBlocked signalsBlocked; // the host's SIGINT/SIGTERM never land on an agent thread
		std::thread(&startAgent, path).detach();
	}
	catch (std::exception& e)
	{
		preload.starting = false;
		std::fprintf(stderr, "asprof-agent: profiling disabled: cannot start a thread: %s\n", e.what());
	}
}

} // namespace
