#include "AsyncProfiler.h"
#include "asprof/agent/Exception.h"
#include "Poco/Environment.h"
#include "Poco/File.h"
#include "Poco/Mutex.h"
#include <dlfcn.h>
#include <map>
#include <memory>

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
// this callback; the agent has no use for it.
void discardOutput(const char*, std::size_t)
{
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
	return {"/opt/async-profiler/lib", "/usr/local/lib/async-profiler", "/usr/local/lib", "/usr/lib/async-profiler",
		"/usr/lib"};
}

AsyncProfiler& AsyncProfiler::load(const std::string& library)
{
	Poco::FastMutex::ScopedLock lock(registryMutex);
	auto it = registry().find(library);
	if (it != registry().end()) return *it->second;

	std::vector<std::string> candidates{library};
	if (library.find('/') == std::string::npos)
	{
		for (const auto& dir : installDirectories()) candidates.push_back(dir + "/" + library);
	}
	std::string firstError;
	for (const auto& candidate : candidates)
	{
		if (candidate != library && !Poco::File(candidate).exists()) continue;
		// Heap-allocated and never deleted: Poco::SharedLibrary does not unload
		// in its destructor, but the handle must outlive every call anyway.
		auto* shared = new Poco::SharedLibrary;
		try
		{
			shared->load(candidate);
		}
		catch (Poco::Exception& e)
		{
			delete shared;
			if (firstError.empty()) firstError = e.displayText();
			continue;
		}
		std::string resolved = resolve(*shared, library);
		std::unique_ptr<AsyncProfiler> profiler(new AsyncProfiler(*shared, resolved));
		return *(registry()[library] = std::move(profiler));
	}
	throw AgentException("cannot load async-profiler library '" + library + "': " +
		(firstError.empty() ? std::string("not found") : firstError) + ". Searched: " + searchPathDescription() +
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
			throw AgentException("async-profiler library '" + requested + "' (" + library.getPath() +
				") lacks the required symbol " + symbol + "; it is not libasyncProfiler.so or is older than 3.0");
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

AsyncProfiler::AsyncProfiler(Poco::SharedLibrary& library, const std::string& resolvedPath):
	_path(resolvedPath),
	_execute(reinterpret_cast<ExecuteFunc>(library.getSymbol("asprof_execute"))),
	_errorStr(reinterpret_cast<ErrorStrFunc>(library.getSymbol("asprof_error_str"))),
	_hasThreadLocalData(library.hasSymbol("asprof_get_thread_local_data")),
	_hasJfrEvents(library.hasSymbol("asprof_register_jfr_event") && library.hasSymbol("asprof_emit_jfr_event"))
{
	reinterpret_cast<InitFunc>(library.getSymbol("asprof_init"))();
}

std::string AsyncProfiler::execute(const std::string& command)
{
	asprof_error_t error = _execute(command.c_str(), &discardOutput);
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

} } // namespace asprof::agent
