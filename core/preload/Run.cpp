//
// Run.cpp
//
// asprof-agent-run [OPTIONS] [--] PROGRAM [ARGUMENT...]
//
// Runs PROGRAM under libasprof-agent-preload.so and marks it as the process
// to profile: the launcher puts its own pid in ASPROF_AGENT_OWNER, then
// execs PROGRAM, which keeps that pid through any further exec (env, nice,
// "sh -c 'prog'", a version-manager shim). The first image of that process
// that lives past the start delay starts the agent; its children do not.
// With --programs the first process whose name matches profiles instead
// (for a PROGRAM that forks the real work: timeout, a shell script).
// See docs/embedding.md.
//

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

const int LAUNCHER_ERROR = 125; // like env(1), nice(1), timeout(1)

const char* const USAGE = "usage: asprof-agent-run [OPTIONS] [--] PROGRAM [ARGUMENT...]\n"
						  "Runs PROGRAM profiled by asprof-agent (LD_PRELOAD mode).\n"
						  "  --config FILE          agent configuration (default: $ASPROF_AGENT_CONFIG)\n"
						  "  --programs GLOB,...    profile the first process whose executable or argv[0]\n"
						  "                         name matches (default: PROGRAM's own process)\n"
						  "  --start-delay DURATION start the agent this long after the program starts\n"
						  "                         (default 100ms; an image that execs sooner never starts it)\n"
						  "  --inherit              every descendant that loads the library runs an agent too\n"
						  "                         (with --programs: every matching one)\n"
						  "  --preload FILE         the preload library (default: next to this launcher)\n"
						  "  --help                 this text\n"
						  "Problems with the profiler never stop PROGRAM: it then runs unprofiled.\n";

struct Options
{
	std::string config;
	std::string programs;
	std::string startDelay;
	std::string preload;
	bool inherit = false;
	int programIndex = 0; // argv index of PROGRAM
};

void warn(const std::string& message)
{
	std::fprintf(stderr, "asprof-agent-run: %s\n", message.c_str());
}

[[noreturn]] void usageError(const std::string& message)
{
	warn(message);
	std::fputs(USAGE, stderr);
	std::exit(LAUNCHER_ERROR);
}

Options parseOptions(int argc, char** argv)
{
	Options options;
	const char* config = std::getenv("ASPROF_AGENT_CONFIG");
	if (config) options.config = config;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; ++i)
	{
		std::string option = argv[i];
		if (option == "--")
		{
			++i;
			break;
		}
		if (option == "--help")
		{
			std::fputs(USAGE, stdout);
			std::exit(0);
		}
		if (option == "--inherit")
		{
			options.inherit = true;
			continue;
		}
		std::string* value = option == "--config" ? &options.config
			: option == "--programs"              ? &options.programs
			: option == "--start-delay"           ? &options.startDelay
			: option == "--preload"               ? &options.preload
												  : nullptr;
		if (!value) usageError("unknown option " + option);
		if (i + 1 >= argc) usageError(option + " needs a value");
		*value = argv[++i];
	}
	if (i >= argc) usageError("no PROGRAM given");
	options.programIndex = i;
	return options;
}

bool isFile(const std::string& path)
{
	struct stat info;
	return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

// The installed layout (bin/ and the library directory), then the build tree's.
std::string findPreloadLibrary()
{
	char self[PATH_MAX];
	ssize_t length = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (length <= 0) return std::string();
	std::string directory(self, static_cast<std::size_t>(length));
	directory.erase(directory.rfind('/'));
	for (const char* relative : {ASPROF_PRELOAD_INSTALLED, "../lib/" ASPROF_PRELOAD_NAME})
	{
		std::string candidate = directory + "/" + relative;
		if (isFile(candidate)) return candidate;
	}
	return directory + "/" + ASPROF_PRELOAD_INSTALLED;
}

// The environment PROGRAM needs; false (after saying why) when it must run unprofiled.
bool prepareEnvironment(const Options& options)
{
	if (options.config.empty())
	{
		warn("no configuration (--config FILE or ASPROF_AGENT_CONFIG); running the program unprofiled");
		return false;
	}
	char config[PATH_MAX];
	if (!::realpath(options.config.c_str(), config))
	{
		warn("cannot use the configuration '" + options.config + "': " + std::strerror(errno) + "; running the program unprofiled");
		return false;
	}
	if (!isFile(config))
	{
		warn("cannot use the configuration '" + options.config + "': not a regular file; running the program unprofiled");
		return false;
	}
	std::string preload = options.preload.empty() ? findPreloadLibrary() : options.preload;
	if (preload.empty() || preload[0] != '/' || !isFile(preload))
	{
		warn("cannot find the preload library '" + preload + "' (set it with --preload FILE); running the program unprofiled");
		return false;
	}
	const char* previous = std::getenv("LD_PRELOAD");
	// After what is there: a sanitizer's runtime must stay first.
	std::string preloads = previous && *previous ? std::string(previous) + ":" + preload : preload;
	::setenv("LD_PRELOAD", preloads.c_str(), 1);
	::setenv("ASPROF_AGENT_CONFIG", config, 1);
	::unsetenv("ASPROF_AGENT_OWNER");
	::unsetenv("ASPROF_AGENT_PROGRAMS");
	// Exec keeps the pid: PROGRAM, and whatever it execs, is this process.
	if (options.programs.empty())
		::setenv("ASPROF_AGENT_OWNER", std::to_string(::getpid()).c_str(), 1);
	else
		::setenv("ASPROF_AGENT_PROGRAMS", options.programs.c_str(), 1);
	if (!options.startDelay.empty()) ::setenv("ASPROF_AGENT_START_DELAY", options.startDelay.c_str(), 1);
	if (options.inherit) ::setenv("ASPROF_AGENT_INHERIT", "1", 1);
	return true;
}

} // namespace

int main(int argc, char** argv)
{
	Options options = parseOptions(argc, argv);
	prepareEnvironment(options);
	char** program = argv + options.programIndex;
	::execvp(program[0], program);
	int error = errno;
	warn(std::string("cannot run ") + program[0] + ": " + std::strerror(error));
	return error == ENOENT ? 127 : 126;
}
