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
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace asprof {
namespace test {

struct ChildRun
	/// What a child process did.
{
	int exitCode = -1; ///< 256 + the signal number when a signal killed it
	std::string out;
	std::string err;

	std::string describe() const
	{
		return "exit " + std::to_string(exitCode) + "\nstdout:\n" + out + "stderr:\n" + err;
	}
};

inline ChildRun runChild(const std::string& program, const std::vector<std::string>& args, const Poco::Process::Env& env)
	/// Runs program with env added to this process's environment and waits for it.
{
	Poco::Pipe out;
	Poco::Pipe err;
	Poco::ProcessHandle process = Poco::Process::launch(program, args, std::string(), nullptr, &out, &err, env);
	ChildRun result;
	// Drain stderr beside stdout so neither pipe fills up.
	std::thread errors([&]() {
		Poco::PipeInputStream in(err);
		Poco::StreamCopier::copyToString(in, result.err);
	});
	Poco::PipeInputStream in(out);
	Poco::StreamCopier::copyToString(in, result.out);
	errors.join();
	result.exitCode = process.wait();
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
