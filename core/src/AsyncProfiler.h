//
// AsyncProfiler.h
//
// The binding to libasyncProfiler.so's C API.
//

#ifndef Asprof_Agent_AsyncProfiler_INCLUDED
#define Asprof_Agent_AsyncProfiler_INCLUDED

#include "Poco/SharedLibrary.h"
#include <memory>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

/// One loaded async-profiler library. Loaded once per process and never
/// unloaded (async-profiler installs signal handlers and threads that
/// would crash the host after a dlclose); asprof_init() runs exactly once.
///
/// execute() must only be called from the agent's control thread.
class AsyncProfiler
{
public:
	/// Returns the process-wide binding for library, loading it on first
	/// use. A bare name is searched like dlopen (RUNPATH, LD_LIBRARY_PATH,
	/// ld.so.cache, system dirs) and then in the usual install directories
	/// (see installDirectories()); the current directory is never searched.
	/// Throws AgentException naming the library, the search path used and
	/// how to set library = in agent.ini.
	static AsyncProfiler& load(const std::string& library);

	/// /opt/async-profiler/lib, /usr/local/lib, /usr/lib/async-profiler, ...
	static std::vector<std::string> installDirectories();

	/// Runs an asprof command. Returns an empty string on success,
	/// otherwise async-profiler's error string, verbatim.
	std::string execute(const std::string& command);

	/// Runs an asprof command like execute(command), appending what it
	/// writes through the output callback (e.g. "metrics") to output.
	std::string execute(const std::string& command, std::string& output);

	/// The file the library was loaded from (absolute).
	const std::string& path() const;

	bool hasThreadLocalData() const;

	/// Whether the optional symbols (asprof_get_thread_local_data,
	/// asprof_register_jfr_event + asprof_emit_jfr_event) exist.
	bool hasJfrEvents() const;

	typedef std::function<void()> ExitHook;

	/// Runs hook once at exit() (or return from main), BEFORE async-profiler's
	/// own exit handler: that handler stops the profiler and deactivates it
	/// for good, so any stop after it fails with "Profiler is not active".
	/// (Our handler is registered right after asprof_init(), which registers
	/// async-profiler's; exit handlers run newest first.) Used to flush a
	/// running agent's last recording at exit. Hooks run newest first, on
	/// the thread that called exit(), only in the process that added them
	/// (never in a forked child). Returns an id for removeExitHook().
	static std::uint64_t addExitHook(ExitHook hook);

	/// Forgets a hook. When it returns, the hook is neither running nor
	/// will it run (it waits for exit hooks already running). Unknown ids
	/// are ignored.
	static void removeExitHook(std::uint64_t id);

private:
	typedef const char* asprof_error_t;
	typedef void (*asprof_writer_t)(const char* buffer, std::size_t size);
	typedef void (*InitFunc)();
	typedef asprof_error_t (*ExecuteFunc)(const char* command, asprof_writer_t writer);
	typedef const char* (*ErrorStrFunc)(asprof_error_t error);

	AsyncProfiler(std::unique_ptr<Poco::SharedLibrary> library, const std::string& resolvedPath);
	static std::string resolve(Poco::SharedLibrary& library, const std::string& requested);
	static void runExitHooks();

	std::unique_ptr<Poco::SharedLibrary> _library; // owned, never unloaded (Poco's destructor does not unload)
	std::string _path;
	ExecuteFunc _execute;
	ErrorStrFunc _errorStr;
	bool _hasThreadLocalData;
	bool _hasJfrEvents;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_AsyncProfiler_INCLUDED
