//
// Preload.cpp
//
// libasprof-agent-preload.so: profiles an unmodified, dynamically linked
// program. LD_PRELOAD=libasprof-agent-preload.so ASPROF_AGENT_CONFIG=agent.ini prog
// (or asprof-agent-run --config agent.ini -- prog; see docs/embedding.md).
//
// - Nothing happens unless ASPROF_AGENT_CONFIG names a configuration file.
// - Which process profiles (all decided in the constructor, before main):
//   * ASPROF_AGENT_OWNER=<pid> marks the process that claimed the agent.
//     Exec keeps the pid, so every image of that process (a wrapper or shim
//     that execs the real program) may start it; any other process (a
//     descendant) does not, unless ASPROF_AGENT_INHERIT=1. Unset, the first
//     process that loads the library claims it.
//   * ASPROF_AGENT_PROGRAMS=glob,... : only a process whose executable or
//     argv[0] base name matches claims it; others leave the environment as
//     it is for their children.
//   * The agent starts ASPROF_AGENT_START_DELAY (default 100ms) after load:
//     an image that execs or exits before that never starts one.
// - The agent starts on its own thread, off the dynamic loader's path: the
//   constructor only reads the environment and spawns the thread, so loading
//   async-profiler and the plugins (dlopen) never runs under the loader lock.
// - At normal exit (return from main, exit()) the agent stops within its
//   flushTimeout, reporting the last recording, before any other exit
//   handler runs (a thread_local destructor on the main thread runs first in
//   exit()); exit from another thread stops it before async-profiler's own
//   exit handler. An exit while the agent is still starting waits up to
//   START_WAIT_AT_EXIT for the start to finish: the starting thread uses
//   objects exit would destroy. _exit(), abort() and fatal signals skip all
//   that (use a spoolDir to keep what was queued).
// - After fork() the child runs no agent: the parent's agent, its threads
//   and async-profiler's state belong to the parent.
// - Before exec (execve and the rest of the family, exported here so that
//   they come before libc's) the agent stops as at exit: a sampling signal
//   that async-profiler raised before the exec but that arrives after it
//   finds the new image's default action for it, and SIGPROF's kills; an
//   ITIMER_PROF (async-profiler's itimer engine) even goes on firing across
//   exec. The new image, the same pid, starts its own agent.
//   A fork or vfork child that execs skips that: the agent is the parent's.
// Problems are reported on stderr as "asprof-agent: ..."; the program always
// keeps running.
// - The agent is linked in statically and the library exports no symbol
//   (preload.map): nothing of ours lands in the program's symbol namespace.
//

#include "AsyncProfiler.h"
#include "SignalMask.h"
#include "asprof/agent/Agent.h"
#include "asprof/sdk/ConfigValue.h"
#include <alloca.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <dlfcn.h>
#include <cstdio>
#include <cstdlib>
#include <fnmatch.h>
#include <limits.h>
#include <mutex>
#include <pthread.h>
#include <string>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace {

const std::chrono::milliseconds DEFAULT_START_DELAY(100);
const std::chrono::seconds START_WAIT_AT_EXIT(5);

enum class Phase
{
	Waiting,  // the start delay
	Starting, // loading async-profiler and the plugins: exit must wait
	Done      // running, failed, or never started
};

struct PreloadState
{
	std::mutex mutex;
	std::condition_variable changed;
	Phase phase = Phase::Waiting;
	bool exiting = false;
	bool stopped = false;
	pid_t owner = 0;
	asprof::agent::Agent* agent = nullptr; // never deleted: freed with the process
};

// The pid that claimed the agent (0: none), for the exec hooks: a plain
// atomic, which even a vfork child may read.
std::atomic<pid_t> ownerPid{0};

// Never destroyed: exit handlers and forked children may still look at it.
PreloadState& state()
{
	static auto* instance = new PreloadState;
	return *instance;
}

void warn(const std::string& message)
{
	std::fprintf(stderr, "asprof-agent: %s\n", message.c_str());
}

std::string environment(const char* name)
{
	const char* value = std::getenv(name);
	return value ? std::string(value) : std::string();
}

std::string baseName(const std::string& path)
{
	std::string::size_type slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

// ASPROF_AGENT_PROGRAMS: does a glob match the executable's or argv[0]'s base
// name? (A shell shim runs as its interpreter, "bash": only the program it
// execs matches "python3*".)
bool programSelected(const std::string& patterns, const char* argv0)
{
	char exe[PATH_MAX];
	ssize_t length = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	std::string names[2] = {
		length > 0 ? baseName(std::string(exe, static_cast<std::size_t>(length))) : std::string(), argv0 ? baseName(argv0) : std::string()};
	for (const auto& pattern : asprof::sdk::ConfigValue::parseList(patterns))
	{
		for (const auto& name : names)
		{
			if (!name.empty() && ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
		}
	}
	return false;
}

// Claims the agent for this process (marking it in the environment), or
// returns false when another process's image or a program filter has it.
bool claimAgent(const char* argv0)
{
	std::string owner = environment("ASPROF_AGENT_OWNER");
	std::string self = std::to_string(::getpid());
	bool inherit = environment("ASPROF_AGENT_INHERIT") == "1";
	// A descendant of the process that claimed it (exec keeps the pid).
	if (!owner.empty() && owner != self && !inherit) return false;
	std::string programs = environment("ASPROF_AGENT_PROGRAMS");
	if (!programs.empty() && !programSelected(programs, argv0)) return false;
	// Still single-threaded (before main): setenv is safe here.
	::setenv("ASPROF_AGENT_OWNER", self.c_str(), 1);
	return true;
}

std::chrono::milliseconds startDelay()
{
	std::string text = environment("ASPROF_AGENT_START_DELAY");
	if (text.empty()) return DEFAULT_START_DELAY;
	auto delay = asprof::sdk::ConfigValue::parseDuration(text);
	if (delay) return std::chrono::milliseconds(delay->totalMilliseconds());
	warn("ASPROF_AGENT_START_DELAY = " + text + " is not " + asprof::sdk::ConfigValue::DURATION_FORM + "; using 100ms");
	return DEFAULT_START_DELAY;
}

asprof::agent::Agent* startAgent(const std::string& configPath)
{
	struct stat info;
	if (::stat(configPath.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
	{
		warn("profiling disabled: ASPROF_AGENT_CONFIG=" + configPath + " is not a regular file");
		return nullptr;
	}
	asprof::agent::Agent* agent = nullptr;
	try
	{
		agent = new asprof::agent::Agent(asprof::agent::AgentConfig::load(configPath));
		agent->start();
	}
	catch (Poco::Exception& e)
	{
		warn("profiling disabled: " + (e.message().empty() ? e.displayText() : e.message()));
	}
	catch (std::exception& e)
	{
		warn(std::string("profiling disabled: ") + e.what());
	}
	return agent && agent->isRunning() ? agent : nullptr;
}

void stopAtExit()
{
	PreloadState& preload = state();
	// A forked child: not its agent. (It must not even take the mutex, which a
	// parent thread that does not exist in the child may have held at fork.)
	if (::getpid() != preload.owner) return;
	std::unique_lock<std::mutex> lock(preload.mutex);
	if (preload.stopped) return;
	preload.stopped = true;
	preload.exiting = true;
	preload.changed.notify_all();
	// The agent thread may be inside async-profiler's init or a plugin's
	// constructor, using objects that exit is about to destroy.
	if (!preload.changed.wait_for(lock, START_WAIT_AT_EXIT, [&]() { return preload.phase != Phase::Starting; }))
		warn("the agent was still starting after 5s; exiting without stopping it");
	asprof::agent::Agent* agent = preload.agent;
	lock.unlock();
	if (agent) agent->stop();
}

// Waits out the start delay; false when exit began first (never start then).
bool enterStart(std::chrono::milliseconds delay)
{
	PreloadState& preload = state();
	std::unique_lock<std::mutex> lock(preload.mutex);
	preload.changed.wait_for(lock, delay, [&]() { return preload.exiting; });
	preload.phase = preload.exiting ? Phase::Done : Phase::Starting;
	return !preload.exiting;
}

void runAgent(std::string configPath, std::chrono::milliseconds delay)
{
	::pthread_setname_np(::pthread_self(), "asprof-preload");
	if (!enterStart(delay)) return;
	asprof::agent::Agent* agent = startAgent(configPath);
	// Exit from a thread other than main: stop before async-profiler stops itself.
	if (agent) asprof::agent::AsyncProfiler::addExitHook(&stopAtExit);
	PreloadState& preload = state();
	std::lock_guard<std::mutex> lock(preload.mutex);
	preload.agent = agent;
	preload.phase = Phase::Done;
	preload.changed.notify_all();
}

// exit() runs the calling thread's thread_local destructors before any atexit
// handler or static destructor: on the main thread this is the first thing
// that happens at exit, while async-profiler and every library still work.
// (The main thread's thread_locals are destroyed only by exit(), not by a
// pthread_exit() that leaves other threads running.)
struct ExitGuard
{
	bool armed = false;

	~ExitGuard()
	{
		if (armed) stopAtExit();
	}
};

thread_local ExitGuard exitGuard;

void spawnAgentThread(const std::string& configPath)
{
	PreloadState& preload = state();
	try
	{
		asprof::agent::TerminationSignalsBlocked signalsBlocked; // the host's SIGINT/SIGTERM never land on an agent thread
		std::thread(&runAgent, configPath, startDelay()).detach();
	}
	catch (std::exception& e)
	{
		preload.phase = Phase::Done;
		warn(std::string("profiling disabled: cannot start a thread: ") + e.what());
	}
}

// glibc passes the program's arguments to a preloaded library's constructors.
__attribute__((constructor)) void asprofPreloadInit(int argc, char** argv, char**)
{
	std::string configPath = environment("ASPROF_AGENT_CONFIG");
	if (configPath.empty() || !claimAgent(argc > 0 && argv ? argv[0] : nullptr)) return;
	PreloadState& preload = state();
	preload.owner = ::getpid();
	ownerPid.store(preload.owner, std::memory_order_release);
	std::atexit(&stopAtExit); // runs last: only if neither of the others could
	if (::syscall(SYS_gettid) == ::getpid()) exitGuard.armed = true;
	spawnAgentThread(configPath);
}

} // namespace

// The exec family: every call that replaces the image stops the agent first
// (stopAtExit: only the owner's own image, never a fork or vfork child; a
// failed exec leaves the program running unprofiled). The l-variants build
// their argv on the stack (a vfork child must not allocate) and go through
// the v-variants.
namespace {

// libc's functions, looked up when the library is loaded: never in a vfork
// child, which must not allocate (dlsym may).
struct ExecFamily
{
	int (*execve)(const char*, char* const[], char* const[]) = nullptr;
	int (*execv)(const char*, char* const[]) = nullptr;
	int (*execvp)(const char*, char* const[]) = nullptr;
	int (*execvpe)(const char*, char* const[], char* const[]) = nullptr;
	int (*fexecve)(int, char* const[], char* const[]) = nullptr;
	int (*execveat)(int, const char*, char* const[], char* const[], int) = nullptr;
};

ExecFamily libc;

template <class Function>
void lookUp(Function& function, const char* name)
{
	function = reinterpret_cast<Function>(::dlsym(RTLD_NEXT, name));
}

__attribute__((constructor(101))) void lookUpExecFamily()
{
	lookUp(libc.execve, "execve");
	lookUp(libc.execv, "execv");
	lookUp(libc.execvp, "execvp");
	lookUp(libc.execvpe, "execvpe");
	lookUp(libc.fexecve, "fexecve");
	lookUp(libc.execveat, "execveat");
}

void beforeExec()
{
	// Only the image that runs the agent: not a process that never claimed
	// it, not a fork or vfork child (whose pid differs), and without
	// touching anything a vfork child must not.
	pid_t owner = ownerPid.load(std::memory_order_acquire);
	if (owner == 0 || ::getpid() != owner) return;
	int saved = errno;
	stopAtExit();
	errno = saved;
}

int notFound()
{
	errno = ENOSYS;
	return -1;
}

} // namespace

extern "C"
{
	__attribute__((visibility("default"))) int execve(const char* path, char* const argv[], char* const envp[])
	{
		beforeExec();
		return libc.execve ? libc.execve(path, argv, envp) : notFound();
	}

	__attribute__((visibility("default"))) int execv(const char* path, char* const argv[])
	{
		beforeExec();
		return libc.execv ? libc.execv(path, argv) : notFound();
	}

	__attribute__((visibility("default"))) int execvp(const char* file, char* const argv[])
	{
		beforeExec();
		return libc.execvp ? libc.execvp(file, argv) : notFound();
	}

	__attribute__((visibility("default"))) int execvpe(const char* file, char* const argv[], char* const envp[])
	{
		beforeExec();
		return libc.execvpe ? libc.execvpe(file, argv, envp) : notFound();
	}

	__attribute__((visibility("default"))) int fexecve(int fd, char* const argv[], char* const envp[])
	{
		beforeExec();
		return libc.fexecve ? libc.fexecve(fd, argv, envp) : notFound();
	}

	__attribute__((visibility("default"))) int execveat(int dirfd, const char* path, char* const argv[], char* const envp[], int flags)
	{
		beforeExec();
		return libc.execveat ? libc.execveat(dirfd, path, argv, envp, flags) : notFound();
	}

} // extern "C"

// execl, execlp, execle: count the arguments, then lay them out on the stack.
#define ASPROF_COLLECT_ARGS(first, list, argv)                                                                                             \
	std::size_t count = 1;                                                                                                                 \
	va_start(list, first);                                                                                                                 \
	while (va_arg(list, const char*)) ++count;                                                                                             \
	va_end(list);                                                                                                                          \
	auto** argv = static_cast<char**>(alloca((count + 1) * sizeof(char*)));                                                                \
	argv[0] = const_cast<char*>(first);                                                                                                    \
	va_start(list, first);                                                                                                                 \
	for (std::size_t i = 1; i <= count; ++i) argv[i] = va_arg(list, char*);

extern "C"
{
	__attribute__((visibility("default"))) int execl(const char* path, const char* arg, ...)
	{
		va_list list;
		ASPROF_COLLECT_ARGS(arg, list, argv)
		va_end(list);
		return execv(path, argv);
	}

	__attribute__((visibility("default"))) int execlp(const char* file, const char* arg, ...)
	{
		va_list list;
		ASPROF_COLLECT_ARGS(arg, list, argv)
		va_end(list);
		return execvp(file, argv);
	}

	__attribute__((visibility("default"))) int execle(const char* path, const char* arg, ...)
	{
		va_list list;
		ASPROF_COLLECT_ARGS(arg, list, argv)
		char* const* envp = va_arg(list, char* const*); // after the terminating null
		va_end(list);
		return execve(path, argv, envp);
	}

} // extern "C"
