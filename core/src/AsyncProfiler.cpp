#include "AsyncProfiler.h"
#include "SignalMask.h"
#include "LibraryPath.h"
#include "asprof/agent/Exception.h"
#include "Poco/Environment.h"
#include "Poco/File.h"
#include "Poco/Mutex.h"
#include <atomic>
#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <mutex>
#include <unistd.h>

namespace asprof {
namespace agent {

namespace {

Poco::FastMutex registryMutex;

std::map<std::string, std::unique_ptr<AsyncProfiler>>& registry()
{
	// Never destroyed: the libraries stay loaded for the life of the process.
	static auto* loaded = new std::map<std::string, std::unique_ptr<AsyncProfiler>>;
	return *loaded;
}

// async-profiler writes command output (e.g. "Profiling started") through
// this callback, on the calling thread, before asprof_execute returns. It
// takes no context: the caller's buffer, if any, is this thread's.
thread_local std::string* capturedOutput = nullptr;

void captureOutput(const char* buffer, std::size_t size)
{
	try
	{
		if (capturedOutput && buffer) capturedOutput->append(buffer, size);
	}
	catch (...)
	{
		// Nothing may unwind through async-profiler's frames; the output is then short.
	}
}

std::string searchPathDescription()
{
	std::string ldPath = Poco::Environment::get("LD_LIBRARY_PATH", "");
	std::string text = "LD_LIBRARY_PATH=" + (ldPath.empty() ? std::string("(unset)") : ldPath);
	text += ", the program's RUNPATH, /etc/ld.so.cache, the system library directories";
	for (const auto& dir : AsyncProfiler::installDirectories()) text += ", " + dir;
	return text;
}

} // namespace

std::vector<std::string> AsyncProfiler::installDirectories()
{
	return {"/opt/async-profiler/lib", "/usr/local/lib/async-profiler", "/usr/local/lib", "/usr/lib/async-profiler", "/usr/lib"};
}

AsyncProfiler& AsyncProfiler::load(const std::string& library)
{
	Poco::FastMutex::ScopedLock lock(registryMutex);
	auto it = registry().find(library);
	if (it != registry().end()) return *it->second;

	// Only absolute paths reach dlopen (see LibraryPath): it never searches.
	std::vector<std::string> candidates = LibraryPath::candidates(library, installDirectories());
	std::string firstError;
	for (const auto& candidate : candidates)
	{
		if (candidate != library && !Poco::File(candidate).exists()) continue;
		// Owned by the AsyncProfiler, which lives as long as the process (the
		// registry never forgets it); Poco::SharedLibrary never unloads anyway.
		auto shared = std::make_unique<Poco::SharedLibrary>();
		try
		{
			shared->load(candidate);
		}
		catch (Poco::Exception& e)
		{
			if (firstError.empty()) firstError = e.displayText();
			continue;
		}
		std::string resolved = resolve(*shared, library);
		std::unique_ptr<AsyncProfiler> profiler(new AsyncProfiler(std::move(shared), resolved));
		return *(registry()[library] = std::move(profiler));
	}
	throw AgentException("cannot load async-profiler library '" + library +
		"': " + (firstError.empty() ? std::string("not found") : firstError) + ". Searched: " + searchPathDescription() +
		". Install async-profiler (https://github.com/async-profiler/async-profiler/releases) and set "
		"library = /path/to/libasyncProfiler.so in the [agent] section of agent.ini");
}

std::string AsyncProfiler::resolve(Poco::SharedLibrary& library, const std::string& requested)
{
	const char* required[] = {"asprof_init", "asprof_execute", "asprof_error_str"};
	for (const char* symbol : required)
	{
		if (!library.hasSymbol(symbol))
		{
			throw AgentException("async-profiler library '" + requested + "' (" + library.getPath() + ") lacks the required symbol " +
				symbol + "; it is not libasyncProfiler.so or is older than 3.0");
		}
	}
	Dl_info info;
	std::string path = library.getPath();
	if (::dladdr(library.getSymbol("asprof_init"), &info) != 0 && info.dli_fname) path = info.dli_fname;
	if (path.empty() || path[0] != '/')
	{
		throw AgentException("async-profiler library '" + requested + "' was found at the relative path '" + path +
			"' (a relative LD_LIBRARY_PATH entry?); refusing to load code from the current directory. "
			"Set library = to an absolute path");
	}
	return path;
}

AsyncProfiler::AsyncProfiler(std::unique_ptr<Poco::SharedLibrary> library, const std::string& resolvedPath):
	_library(std::move(library)),
	_path(resolvedPath),
	_execute(reinterpret_cast<ExecuteFunc>(_library->getSymbol("asprof_execute"))),
	_errorStr(reinterpret_cast<ErrorStrFunc>(_library->getSymbol("asprof_error_str"))),
	_hasThreadLocalData(_library->hasSymbol("asprof_get_thread_local_data")),
	_hasJfrEvents(_library->hasSymbol("asprof_register_jfr_event") && _library->hasSymbol("asprof_emit_jfr_event"))
{
	reinterpret_cast<InitFunc>(_library->getSymbol("asprof_init"))();
	std::atexit(&AsyncProfiler::runExitHooks); // after asprof_init: runs before async-profiler's exit handler
}

namespace {

struct ExitHooks
{
	std::recursive_mutex mutex;  // recursive: a hook may remove itself
	std::atomic<pid_t> owner{0}; // the process that added them
	std::uint64_t lastId = 0;
	std::map<std::uint64_t, AsyncProfiler::ExitHook> hooks;
};

// Never destroyed: used by exit handlers, after static destructors may have run.
ExitHooks& exitHooks()
{
	static auto* instance = new ExitHooks;
	return *instance;
}

} // namespace

std::uint64_t AsyncProfiler::addExitHook(ExitHook hook)
{
	ExitHooks& registry = exitHooks();
	std::lock_guard<std::recursive_mutex> lock(registry.mutex);
	if (registry.owner != ::getpid())
	{
		registry.owner = ::getpid(); // a forked child starts afresh
		registry.hooks.clear();
	}
	registry.hooks[++registry.lastId] = std::move(hook);
	return registry.lastId;
}

void AsyncProfiler::removeExitHook(std::uint64_t id)
{
	ExitHooks& registry = exitHooks();
	std::lock_guard<std::recursive_mutex> lock(registry.mutex);
	registry.hooks.erase(id);
}

void AsyncProfiler::runExitHooks()
{
	ExitHooks& registry = exitHooks();
	// A forked child's hooks belong to its parent; it must not even take the
	// mutex, which a thread that does not exist in the child may have held.
	if (registry.owner != ::getpid()) return;
	std::lock_guard<std::recursive_mutex> lock(registry.mutex);
	while (!registry.hooks.empty())
	{
		auto newest = std::prev(registry.hooks.end());
		ExitHook hook = std::move(newest->second);
		registry.hooks.erase(newest);
		try
		{
			hook();
		}
		catch (...)
		{
			// Exit goes on whatever a hook does.
		}
	}
}

std::string AsyncProfiler::execute(const std::string& command, std::string& output)
{
	capturedOutput = &output;
	std::string error = execute(command);
	capturedOutput = nullptr;
	return error;
}

std::string AsyncProfiler::execute(const std::string& command)
{
	asprof_error_t error;
	{
		ProfilerWakeupUnblocked wakeup; // the threads async-profiler creates now must be wakeable
		error = _execute(command.c_str(), &captureOutput);
	}
	if (!error) return std::string();
	const char* text = _errorStr(error);
	return text && *text ? std::string(text) : std::string("unknown async-profiler error");
}

const std::string& AsyncProfiler::path() const
{
	return _path;
}

bool AsyncProfiler::hasThreadLocalData() const
{
	return _hasThreadLocalData;
}

bool AsyncProfiler::hasJfrEvents() const
{
	return _hasJfrEvents;
}

} // namespace agent
} // namespace asprof
