//
// ChildProcess.h
//
// Runs a host program for the LD_PRELOAD tests (preload-tests and
// fault-preload-tests) and reads what the capture reporter wrote.
//

#ifndef Asprof_Tests_ChildProcess_INCLUDED
#define Asprof_Tests_ChildProcess_INCLUDED

#include "TestSupport.h"
#include "Poco/File.h"
#include "Poco/Process.h"
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace asprof {
namespace test {

/// What a child process did.
struct ChildRun
{
	int exitCode = -1; ///< 256 + the signal number when a signal killed it; -2: hung, killed by runChild
	std::string out;
	std::string err;

	std::string describe() const
	{
		return "exit " + std::to_string(exitCode) + "\nstdout:\n" + out + "stderr:\n" + err;
	}
};

inline ChildRun runChild(const std::string& program, const std::vector<std::string>& args, const Poco::Process::Env& env,
	std::chrono::seconds deadline = std::chrono::seconds(90));

/// What each thread of a process that does not finish is doing: its
/// name, state and kernel wait channel, and gdb's backtraces when gdb is
/// installed (CI installs it), so a hang fails with where it is.
inline std::string describeHungProcess(int pid)
{
	std::string text = "process " + std::to_string(pid) + " did not finish; its threads:\n";
	std::string task = "/proc/" + std::to_string(pid) + "/task";
	if (Poco::File(task).exists())
	{
		for (const auto& tid : listFiles(task))
		{
			std::string base = task + "/" + tid + "/";
			std::string stat = readFile(base + "stat");
			std::string::size_type close = stat.rfind(')');
			std::string name = readFile(base + "comm");
			if (!name.empty() && name.back() == '\n') name.pop_back();
			text += "  " + tid + " " + name + " state " +
				(close != std::string::npos && close + 2 < stat.size() ? stat.substr(close + 2, 1) : "?") + " wchan " +
				readFile(base + "wchan") + "\n";
		}
	}
	if (Poco::File("/usr/bin/gdb").exists())
	{
		ChildRun gdb = runChild("/usr/bin/timeout",
			{"60", "/usr/bin/gdb", "-p", std::to_string(pid), "-batch", "-nx", "-ex", "thread apply all bt"}, {}, std::chrono::seconds(90));
		text += gdb.out + gdb.err;
	}
	return text;
}

/// SIGKILLs pid and its descendants (which may hold its pipes open).
inline void killProcessTree(int pid)
{
	std::string task = "/proc/" + std::to_string(pid) + "/task";
	::kill(pid, SIGSTOP); // no new children while we look
	if (Poco::File(task).exists())
	{
		for (const auto& tid : listFiles(task))
		{
			std::istringstream children(readFile(task + "/" + tid + "/children"));
			int child = 0;
			while (children >> child) killProcessTree(child);
		}
	}
	::kill(pid, SIGKILL);
}

/// Reads fd to its end and closes it.
inline std::string readAll(int fd)
{
	std::string text;
	char buffer[4096];
	for (;;)
	{
		ssize_t n = ::read(fd, buffer, sizeof(buffer));
		if (n > 0)
			text.append(buffer, static_cast<std::size_t>(n));
		else if (n == 0 || errno != EINTR)
			break;
	}
	::close(fd);
	return text;
}

/// Runs program with env added to this process's environment and waits
/// for it. A child still running at the deadline is described (see
/// describeHungProcess) into err, killed, and reported as exit code -2:
/// a hang fails the test that met it, never the whole runner by timeout.
///
/// Safe from many threads at once: the child is made by posix_spawn (no
/// allocation between fork and exec, which under a sanitizer's allocator
/// could deadlock on a lock another thread held at fork), and its pipes
/// are close-on-exec, so a child never inherits another run's pipe and
/// holds that run's reader until the child itself ends.
inline ChildRun runChild(
	const std::string& program, const std::vector<std::string>& args, const Poco::Process::Env& env, std::chrono::seconds deadline)
{
	ChildRun result;
	int out[2];
	int err[2];
	if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe2: " + std::string(std::strerror(errno)));
	if (::pipe2(err, O_CLOEXEC) != 0)
	{
		::close(out[0]);
		::close(out[1]);
		throw std::runtime_error("pipe2: " + std::string(std::strerror(errno)));
	}
	std::map<std::string, std::string> environment;
	for (char** entry = environ; *entry; ++entry)
	{
		std::string text(*entry);
		std::string::size_type equals = text.find('=');
		if (equals != std::string::npos) environment[text.substr(0, equals)] = text.substr(equals + 1);
	}
	for (const auto& entry : env) environment[entry.first] = entry.second;
	std::vector<std::string> envStrings;
	for (const auto& entry : environment) envStrings.push_back(entry.first + "=" + entry.second);
	std::vector<char*> envp;
	for (auto& entry : envStrings) envp.push_back(&entry[0]);
	envp.push_back(nullptr);
	std::vector<std::string> argStrings{program};
	argStrings.insert(argStrings.end(), args.begin(), args.end());
	std::vector<char*> argv;
	for (auto& arg : argStrings) argv.push_back(&arg[0]);
	argv.push_back(nullptr);

	posix_spawn_file_actions_t actions;
	::posix_spawn_file_actions_init(&actions);
	::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	::posix_spawn_file_actions_adddup2(&actions, out[1], 1); // dup2 clears close-on-exec on 1 and 2
	::posix_spawn_file_actions_adddup2(&actions, err[1], 2);
	pid_t pid = -1;
	int spawned = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
	::posix_spawn_file_actions_destroy(&actions);
	::close(out[1]);
	::close(err[1]);
	if (spawned != 0)
	{
		::close(out[0]);
		::close(err[0]);
		result.exitCode = 127;
		result.err = "[runChild] cannot run " + program + ": " + std::strerror(spawned) + "\n";
		return result;
	}

	std::mutex mutex;
	std::condition_variable finished;
	bool exited = false; // under mutex: the child exited (not yet reaped, so its pid is still its own)
	std::string hang;
	std::thread watchdog([&]() {
		std::unique_lock<std::mutex> lock(mutex);
		if (finished.wait_for(lock, deadline, [&]() { return exited; })) return;
		hang = describeHungProcess(pid);
		killProcessTree(pid);
	});
	// Drain stderr beside stdout so neither pipe fills up.
	std::thread errors([&]() { result.err = readAll(err[0]); });
	result.out = readAll(out[0]);
	errors.join();
	siginfo_t info;
	while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR)
	{
	}
	{
		std::lock_guard<std::mutex> lock(mutex);
		exited = true;
	}
	finished.notify_all();
	watchdog.join();
	int status = 0;
	while (::waitpid(pid, &status, 0) < 0 && errno == EINTR)
	{
	}
	if (WIFEXITED(status))
		result.exitCode = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		result.exitCode = 256 + WTERMSIG(status);
	if (!hang.empty())
	{
		result.exitCode = -2;
		result.err += "\n[runChild] killed after " + std::to_string(deadline.count()) + " s: " + hang;
	}
	return result;
}

/// The "<pid>-<seq>.jfr" files the capture reporter wrote to directory.
inline std::vector<std::string> capturedProfiles(const std::string& directory)
{
	std::vector<std::string> jfr;
	if (!Poco::File(directory).exists()) return jfr;
	for (const auto& name : listFiles(directory))
	{
		if (name.size() > 4 && name.compare(name.size() - 4, 4, ".jfr") == 0) jfr.push_back(name);
	}
	return jfr;
}

/// The pids in the capture reporter's "<pid>-<seq>.jfr" names.
inline std::set<std::string> capturedPids(const std::string& directory)
{
	std::set<std::string> pids;
	for (const auto& name : capturedProfiles(directory)) pids.insert(name.substr(0, name.find('-')));
	return pids;
}

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_ChildProcess_INCLUDED
