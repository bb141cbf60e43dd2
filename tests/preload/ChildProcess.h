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
#include "Poco/Pipe.h"
#include "Poco/PipeStream.h"
#include "Poco/Process.h"
#include "Poco/StreamCopier.h"
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <sys/wait.h>
#include <vector>

namespace asprof {
namespace test {

struct ChildRun
	/// What a child process did.
{
	int exitCode = -1; ///< 256 + the signal number when a signal killed it; -2: hung, killed by runChild
	std::string out;
	std::string err;

	std::string describe() const
	{
		return "exit " + std::to_string(exitCode) + "\nstdout:\n" + out + "stderr:\n" + err;
	}
};

inline std::string describeHungProcess(int pid)
	/// What each thread of a process that does not finish is doing: its
	/// name, state and kernel wait channel, and gdb's backtraces when gdb is
	/// installed (CI installs it), so a hang fails with where it is.
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
		Poco::Pipe out;
		Poco::ProcessHandle gdb = Poco::Process::launch("/usr/bin/timeout",
			{"60", "/usr/bin/gdb", "-p", std::to_string(pid), "-batch", "-nx", "-ex", "thread apply all bt"}, std::string(), nullptr, &out, &out);
		out.close(Poco::Pipe::CLOSE_WRITE);
		Poco::PipeInputStream in(out);
		std::string backtraces;
		Poco::StreamCopier::copyToString(in, backtraces);
		gdb.wait();
		text += backtraces;
	}
	return text;
}

inline void killProcessTree(int pid)
	/// SIGKILLs pid and its descendants (which may hold its pipes open).
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

inline ChildRun runChild(const std::string& program, const std::vector<std::string>& args, const Poco::Process::Env& env,
	std::chrono::seconds deadline = std::chrono::seconds(90))
	/// Runs program with env added to this process's environment and waits
	/// for it. A child still running at the deadline is described (see
	/// describeHungProcess) into err, killed, and reported as exit code -2:
	/// a hang fails the test that met it, never the whole runner by timeout.
{
	Poco::Pipe out;
	Poco::Pipe err;
	Poco::ProcessHandle process = Poco::Process::launch(program, args, std::string(), nullptr, &out, &err, env);
	ChildRun result;
	std::mutex mutex;
	std::condition_variable finished;
	bool exited = false; // under mutex: the child exited (not yet reaped, so its pid is still its own)
	std::string hang;
	std::thread watchdog([&]() {
		std::unique_lock<std::mutex> lock(mutex);
		if (finished.wait_for(lock, deadline, [&]() { return exited; })) return;
		hang = describeHungProcess(process.id());
		killProcessTree(process.id());
	});
	// Drain stderr beside stdout so neither pipe fills up.
	std::thread errors([&]() {
		Poco::PipeInputStream in(err);
		Poco::StreamCopier::copyToString(in, result.err);
	});
	Poco::PipeInputStream in(out);
	Poco::StreamCopier::copyToString(in, result.out);
	errors.join();
	siginfo_t info;
	while (::waitid(P_PID, static_cast<id_t>(process.id()), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR)
	{
	}
	{
		std::lock_guard<std::mutex> lock(mutex);
		exited = true;
	}
	finished.notify_all();
	watchdog.join();
	result.exitCode = process.wait();
	if (!hang.empty())
	{
		result.exitCode = -2;
		result.err += "\n[runChild] killed after " + std::to_string(deadline.count()) + " s: " + hang;
	}
	return result;
}

inline std::vector<std::string> capturedProfiles(const std::string& directory)
	/// The "<pid>-<seq>.jfr" files the capture reporter wrote to directory.
{
	std::vector<std::string> jfr;
	if (!Poco::File(directory).exists()) return jfr;
	for (const auto& name : listFiles(directory))
	{
		if (name.size() > 4 && name.compare(name.size() - 4, 4, ".jfr") == 0) jfr.push_back(name);
	}
	return jfr;
}

inline std::set<std::string> capturedPids(const std::string& directory)
	/// The pids in the capture reporter's "<pid>-<seq>.jfr" names.
{
	std::set<std::string> pids;
	for (const auto& name : capturedProfiles(directory)) pids.insert(name.substr(0, name.find('-')));
	return pids;
}

} } // namespace asprof::test

#endif // Asprof_Tests_ChildProcess_INCLUDED
