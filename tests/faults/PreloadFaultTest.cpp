//
// PreloadFaultTest.cpp
//
// Fault injection: see tests/faults/README.md. Host programs that exit while
// profiled (preload library, C API, Poco subsystem), short-lived programs run
// hundreds of times, and programs started through wrappers (env, timeout,
// sh -c, a shim that execs) and the asprof-agent-run launcher.
//
// Most tests use a fake async-profiler with 4.5's exit handling
// (tests/preload/ExitingFakeProfiler.c); the real library is used where
// ASPROF_LIB is set (otherwise those tests print SKIPPED).
//

#include "../preload/ChildProcess.h"
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "Poco/Message.h"
#include "Poco/SharedLibrary.h"
#include <atomic>
#include <algorithm>
#include <cppunit/extensions/HelperMacros.h>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <thread>

using asprof::test::TemporaryDirectory;

namespace {

using Run = asprof::test::ChildRun;
using asprof::test::runChild;

std::string realLibrary()
{
	const char* library = std::getenv("ASPROF_LIB");
	return library && *library ? std::string(library) : std::string();
}

// An agent.ini with the capture reporter writing <pid>-<seq>.jfr to dir/out.
void writeConfig(const TemporaryDirectory& dir, const std::string& library, const std::string& interval = "100ms")
{
	std::string ini = asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + dir.file("out") + "\n");
	ini.replace(ini.find("library = " ASPROF_FAKE_PROFILER), std::string("library = " ASPROF_FAKE_PROFILER).size(), "library = " + library);
	ini.replace(ini.find("reportingInterval = 100ms"), std::string("reportingInterval = 100ms").size(), "reportingInterval = " + interval);
	asprof::test::writeFile(dir.file("agent.ini"), ini);
}

Poco::Process::Env preloadEnv(const TemporaryDirectory& dir)
{
	Poco::Process::Env env;
	env["LD_PRELOAD"] = ASPROF_PRELOAD_LIBRARY;
	env["ASPROF_AGENT_CONFIG"] = dir.file("agent.ini");
	env["ASPROF_FAKE_LOG"] = dir.file("fake.log");
	return env;
}

// For asprof-agent-run, which adds the preload library and the configuration.
Poco::Process::Env launcherEnv(const TemporaryDirectory& dir)
{
	return Poco::Process::Env{{"ASPROF_FAKE_LOG", dir.file("fake.log")}, {"LD_PRELOAD", ASPROF_SANITIZER_PRELOAD}};
}

std::vector<std::string> profiles(const TemporaryDirectory& dir)
{
	return asprof::test::capturedProfiles(dir.file("out"));
}

std::set<std::string> profilePids(const TemporaryDirectory& dir)
{
	return asprof::test::capturedPids(dir.file("out"));
}

// How many fake log lines ("<tid> <call>") are calls starting with call.
std::size_t fakeCalls(const TemporaryDirectory& dir, const std::string& call)
{
	std::size_t count = 0;
	if (!Poco::File(dir.file("fake.log")).exists()) return 0;
	for (const auto& line : asprof::test::readLines(dir.file("fake.log")))
	{
		std::string::size_type space = line.find(' ');
		count += space != std::string::npos && line.compare(space + 1, call.size(), call) == 0 ? 1 : 0;
	}
	return count;
}

// The pid a target printed ("parent <pid> done" or "target <pid> done").
std::string targetPid(const Run& result)
{
	for (const char* prefix : {"parent ", "target "})
	{
		std::string::size_type at = result.out.find(prefix);
		if (at != std::string::npos)
		{
			std::string rest = result.out.substr(at + std::string(prefix).size());
			return rest.substr(0, rest.find(' '));
		}
	}
	return "(no pid printed)";
}

// Every recording the (fake) profiler started was delivered: nothing lost at exit.
void assertEveryRecordingDelivered(const TemporaryDirectory& dir, const Run& result)
{
	CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
	std::size_t started = fakeCalls(dir, "start,");
	CPPUNIT_ASSERT_MESSAGE(result.describe(), started >= 2);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), started, profiles(dir).size());
	CPPUNIT_ASSERT_MESSAGE(result.describe(), result.err.find("lost") == std::string::npos);
}

enum class Start
{
	Preload, ///< LD_PRELOAD and ASPROF_AGENT_CONFIG in the environment
	Launcher ///< program is asprof-agent-run; --config is added before args
};

// Runs program (a wrapper around the target) with the fake profiler, plus
// extra environment, and asserts that the target ran and only it was
// profiled: by one agent, in its process.
void assertOnlyTargetProfiled(Start start, const std::string& program, std::vector<std::string> args, const Poco::Process::Env& extra = {})
{
	TemporaryDirectory dir;
	writeConfig(dir, ASPROF_FAKE_PROFILER);
	Poco::Process::Env env = start == Start::Preload ? preloadEnv(dir) : launcherEnv(dir);
	for (const auto& variable : extra) env[variable.first] = variable.second;
	if (start == Start::Launcher) args.insert(args.begin(), {"--config", dir.file("agent.ini")});
	Run result = runChild(program, args, env);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
	CPPUNIT_ASSERT_MESSAGE(result.describe(), profilePids(dir) == std::set<std::string>({targetPid(result)}));
	CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), std::size_t(1), fakeCalls(dir, "init"));
}

// Runs a program that exits while its agent runs, over the exiting fake.
Run runExitingProgram(const TemporaryDirectory& dir, const std::string& program, const std::vector<std::string>& args)
{
	writeConfig(dir, ASPROF_EXITING_FAKE_PROFILER);
	return runChild(program, args, Poco::Process::Env{{"ASPROF_FAKE_LOG", dir.file("fake.log")}});
}

std::string writeShim(const TemporaryDirectory& dir)
{
	// A version-manager shim: a shell script named like the program that execs it.
	std::string shim = dir.file("python3");
	asprof::test::writeFile(shim, "#!/bin/sh\nexec " ASPROF_PRELOAD_TARGET " \"$@\"\n");
	::chmod(shim.c_str(), 0755);
	return shim;
}

// Runs a short-lived target `runs` times, `parallel` at a time, with start
// delays from 0 to 9 ms (exit lands before, during and after the start).
std::vector<std::string> runShortLivedPrograms(const TemporaryDirectory& dir, int runs, int parallel)
{
	std::atomic<int> next{0};
	std::mutex failuresMutex;
	std::vector<std::string> failures;
	std::vector<std::thread> workers;
	for (int worker = 0; worker < parallel; ++worker)
	{
		workers.emplace_back([&]() {
			for (int i = next++; i < runs; i = next++)
			{
				Poco::Process::Env env = preloadEnv(dir);
				env["ASPROF_FAKE_LOG"] = "";
				env["ASPROF_AGENT_START_DELAY"] = std::to_string(i % 10) + "ms";
				Run result = runChild(ASPROF_PRELOAD_TARGET, {"sleep", "5"}, env);
				if (result.exitCode == 0 && result.out.find(" done") != std::string::npos) continue;
				std::lock_guard<std::mutex> lock(failuresMutex);
				failures.push_back("run " + std::to_string(i) + ": " + result.describe());
			}
		});
	}
	for (auto& worker : workers) worker.join();
	return failures;
}

// All the failures (the first five in full): a hang among them shows where
// it was, whichever run met it first.
std::string describeFailures(const std::vector<std::string>& failures, int runs)
{
	std::string text = std::to_string(failures.size()) + " of " + std::to_string(runs) + " failed";
	for (std::size_t i = 0; i < failures.size() && i < 5; ++i) text += "\n--- " + failures[i];
	return text;
}

} // namespace

class PreloadFaultTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PreloadFaultTest);
	CPPUNIT_TEST(testExitDeliversTheLastRecordingUnderPreload);
	CPPUNIT_TEST(testExitDeliversTheLastRecordingWithTheRealLibrary);
	CPPUNIT_TEST(testExitDeliversTheLastRecordingThroughTheCApi);
	CPPUNIT_TEST(testStopFromAnEarlierAtexitHandlerDeliversThroughTheCApi);
	CPPUNIT_TEST(testExitDeliversTheLastRecordingThroughTheSubsystem);
	CPPUNIT_TEST(testRecordingFinishedByAsyncProfilerItselfIsDelivered);
	CPPUNIT_TEST(testExecAfterTheAgentStartedNeverKillsTheNewImage);
	CPPUNIT_TEST(testExecAfterTheAgentStartedNeverKillsTheNewImageWithTheRealLibrary);
	CPPUNIT_TEST(testVforkChildThatExecsLeavesTheAgentRunning);
	CPPUNIT_TEST(testEnvWrapperProfilesTheProgram);
	CPPUNIT_TEST(testShellCommandProfilesTheProgram);
	CPPUNIT_TEST(testShimThatExecsProfilesTheRealProgram);
	CPPUNIT_TEST(testProgramFilterSkipsTimeout);
	CPPUNIT_TEST(testInheritWithProgramFilterSkipsTheIdleShell);
	CPPUNIT_TEST(testLauncherProfilesItsTargetThroughExecWrappers);
	CPPUNIT_TEST(testLauncherWithProgramsProfilesTheProgramBehindTimeout);
	CPPUNIT_TEST(testLauncherInsideTimeoutProfilesOnlyTheProgram);
	CPPUNIT_TEST(testLauncherWithoutUsableConfigRunsTheProgramUnprofiled);
	CPPUNIT_TEST_SUITE_END();

public:
	// Item 2: async-profiler's own exit handler used to run first and make the
	// final stop fail with "Profiler is not active".
	void testExitDeliversTheLastRecordingUnderPreload()
	{
		TemporaryDirectory dir;
		writeConfig(dir, ASPROF_EXITING_FAKE_PROFILER);
		Run result = runChild(ASPROF_PRELOAD_TARGET, {"exit", "0.6"}, preloadEnv(dir));
		assertEveryRecordingDelivered(dir, result);
	}

	void testExitDeliversTheLastRecordingWithTheRealLibrary()
	{
		if (realLibrary().empty())
		{
			std::cout << "SKIPPED: testExitDeliversTheLastRecordingWithTheRealLibrary (set ASPROF_LIB)" << std::endl;
			return;
		}
		TemporaryDirectory dir;
		writeConfig(dir, realLibrary(), "1s");
		// 3 s with a 1 s interval, the first recording starting at T (the 100ms
		// start delay plus async-profiler's start, well under 1 s): recordings
		// end at T + 1 s, T + 2 s and at exit; before the fix the last was lost.
		Run result = runChild(ASPROF_PRELOAD_TARGET, {"exit", "3.0"}, preloadEnv(dir));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), std::size_t(3), profiles(dir).size());
		CPPUNIT_ASSERT_MESSAGE(result.describe(), result.err.find("lost") == std::string::npos);
	}

	void testExitDeliversTheLastRecordingThroughTheCApi()
	{
		TemporaryDirectory dir;
		Run result = runExitingProgram(dir, ASPROF_CAPI_PROGRAM, {dir.file("agent.ini"), "exit"});
		assertEveryRecordingDelivered(dir, result);
	}

	void testStopFromAnEarlierAtexitHandlerDeliversThroughTheCApi()
	{
		TemporaryDirectory dir;
		Run result = runExitingProgram(dir, ASPROF_CAPI_PROGRAM, {dir.file("agent.ini"), "exit-with-handler"});
		assertEveryRecordingDelivered(dir, result);
		// The program's own stop, after the agent's stop at exit, reports that stop's result.
		CPPUNIT_ASSERT_MESSAGE(result.describe(), result.out.find("stop at exit returned 0") != std::string::npos);
	}

	void testExitDeliversTheLastRecordingThroughTheSubsystem()
	{
		TemporaryDirectory dir;
		Run result = runExitingProgram(dir, ASPROF_SUBSYSTEM_EXIT_PROGRAM, {"--asprof-config=" + dir.file("agent.ini")});
		CPPUNIT_ASSERT_MESSAGE(result.describe(), result.out.find("delivered 0") == std::string::npos);
		assertEveryRecordingDelivered(dir, result);
	}

	// When async-profiler stopped itself first (an Agent stopped by a handler
	// registered before async-profiler's), the recording it wrote is complete.
	// A program (a shim, a service re-executing itself) that execs after its
	// agent started. The fake samples like async-profiler's itimer engine: an
	// ITIMER_PROF survives exec, and the new image has SIGPROF's default
	// action. The agent must stop (and deliver) before the exec; the new
	// image, the same pid, starts its own.
	void testExecAfterTheAgentStartedNeverKillsTheNewImage()
	{
		TemporaryDirectory dir;
		writeConfig(dir, ASPROF_FAKE_PROFILER);
		Poco::Process::Env env = preloadEnv(dir);
		env["ASPROF_FAKE_ITIMER"] = "1";
		Run result = runChild(ASPROF_PRELOAD_TARGET, {"exec", "0.5"}, env);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
		CPPUNIT_ASSERT_MESSAGE(result.describe(), result.out.find("image 1 of ") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(result.describe(), result.out.find(" done") != std::string::npos);
		// Both images ran an agent; the first stopped before the second began.
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), std::size_t(2), fakeCalls(dir, "init"));
		std::vector<std::string> calls;
		for (const auto& line : asprof::test::readLines(dir.file("fake.log"))) calls.push_back(line.substr(line.find(' ') + 1));
		auto secondInit = std::find(std::find(calls.begin(), calls.end(), "init") + 1, calls.end(), "init");
		CPPUNIT_ASSERT(secondInit != calls.end());
		CPPUNIT_ASSERT_MESSAGE(result.describe(), std::find(calls.begin(), secondInit, "stop-done") != secondInit);
		CPPUNIT_ASSERT_MESSAGE(result.describe(), profiles(dir).size() >= 2);
	}

	// A vfork child that execs goes through the same exec hook: it must
	// neither stop the parent's agent nor touch anything a vfork child must
	// not (it shares the parent's memory until the exec).
	void testVforkChildThatExecsLeavesTheAgentRunning()
	{
		TemporaryDirectory dir;
		writeConfig(dir, ASPROF_FAKE_PROFILER);
		Run result = runChild(ASPROF_PRELOAD_TARGET, {"vfork", "0.4"}, preloadEnv(dir));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
		CPPUNIT_ASSERT_MESSAGE(result.describe(), result.out.find("vfork child exited 0") != std::string::npos);
		// One agent, still rotating after the vfork (0.4 s + 0.5 s at 100 ms:
		// 8 profiles or so; stopped at the vfork, it would have made 3 or 4).
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), std::size_t(1), fakeCalls(dir, "init"));
		CPPUNIT_ASSERT_MESSAGE(result.describe(), profiles(dir).size() >= 6);
	}

	// The same with async-profiler itself (its default engine, and wall-clock
	// sampling): a sampling signal raised before the exec and delivered after
	// it killed about half of such runs.
	void testExecAfterTheAgentStartedNeverKillsTheNewImageWithTheRealLibrary()
	{
		if (realLibrary().empty())
		{
			std::cout << "SKIPPED: testExecAfterTheAgentStartedNeverKillsTheNewImageWithTheRealLibrary (set ASPROF_LIB)" << std::endl;
			return;
		}
		for (int run = 0; run < 6; ++run)
		{
			TemporaryDirectory dir;
			writeConfig(dir, realLibrary(), "200ms");
			Run result = runChild(ASPROF_PRELOAD_TARGET, {"exec", "0.6"}, preloadEnv(dir));
			CPPUNIT_ASSERT_EQUAL_MESSAGE("run " + std::to_string(run) + ": " + result.describe(), 0, result.exitCode);
			// The capture reporter names profiles <pid>-<seq>: the second image's overwrite the first's.
			CPPUNIT_ASSERT_MESSAGE(result.describe(), profiles(dir).size() >= 2);
		}
	}

	void testRecordingFinishedByAsyncProfilerItselfIsDelivered()
	{
		TemporaryDirectory dir;
		writeConfig(dir, ASPROF_EXITING_FAKE_PROFILER);
		// The agent's instance of the library: same path, same handle.
		Poco::SharedLibrary fake(ASPROF_EXITING_FAKE_PROFILER);
		auto setFake = reinterpret_cast<int (*)(const char*, const char*)>(fake.getSymbol("asprof_fake_set"));
		setFake("ASPROF_FAKE_LOG", dir.file("fake.log").c_str());
		asprof::test::LogCapture log("asprof.agent", Poco::Message::PRIO_INFORMATION);
		asprof::agent::Agent agent(asprof::agent::AgentConfig::load(dir.file("agent.ini")));
		agent.start();
		CPPUNIT_ASSERT(asprof::test::waitUntil([&]() { return agent.status().lanes.at(0).delivered >= 1; }));
		reinterpret_cast<void (*)()>(fake.getSymbol("asprof_fake_exit_shutdown"))();
		agent.stop();
		setFake("ASPROF_FAKE_LOG", nullptr);
		asprof::agent::AgentStatus status = agent.status();
		// Every recording that started was delivered. (Rotations that came
		// after the shutdown found async-profiler gone: their starts were
		// refused, each counted as a profiler error.)
		CPPUNIT_ASSERT_EQUAL_MESSAGE(
			log.text(), fakeCalls(dir, "start,") - static_cast<std::size_t>(status.profilerErrors), profiles(dir).size());
		CPPUNIT_ASSERT_EQUAL(status.recordings, status.lanes.at(0).delivered);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(log.text(), std::size_t(0), log.count("lost"));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(log.text(), std::size_t(1), log.count("async-profiler had already stopped"));
	}

	// Item 4: a wrapper that execs no longer takes the agent (and the
	// configuration) away from the program it runs.
	void testEnvWrapperProfilesTheProgram()
	{
		assertOnlyTargetProfiled(Start::Preload, "/usr/bin/env", {"ASPROF_UNRELATED=1", ASPROF_PRELOAD_TARGET});
	}

	void testShellCommandProfilesTheProgram()
	{
		std::string target = ASPROF_PRELOAD_TARGET;
		// "exec prog": the shell's image is replaced; no filter needed.
		assertOnlyTargetProfiled(Start::Preload, "/bin/sh", {"-c", "exec " + target});
		// "prog": dash forks and waits; the program filter picks the program.
		assertOnlyTargetProfiled(Start::Preload, "/bin/sh", {"-c", target}, {{"ASPROF_AGENT_PROGRAMS", "asprof-test-preload-*"}});
	}

	void testShimThatExecsProfilesTheRealProgram()
	{
		TemporaryDirectory shimDir;
		assertOnlyTargetProfiled(Start::Preload, writeShim(shimDir), {});
	}

	void testProgramFilterSkipsTimeout()
	{
		assertOnlyTargetProfiled(
			Start::Preload, "/usr/bin/timeout", {"60", ASPROF_PRELOAD_TARGET}, {{"ASPROF_AGENT_PROGRAMS", "asprof-test-preload-*"}});
	}

	void testInheritWithProgramFilterSkipsTheIdleShell()
	{
		TemporaryDirectory dir;
		writeConfig(dir, ASPROF_FAKE_PROFILER);
		Poco::Process::Env env = preloadEnv(dir);
		env["ASPROF_AGENT_PROGRAMS"] = "asprof-test-preload-*";
		env["ASPROF_AGENT_INHERIT"] = "1";
		std::string target = ASPROF_PRELOAD_TARGET;
		Run result = runChild("/bin/sh", {"-c", target + "; " + target}, env);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
		std::set<std::string> targets;
		for (std::string::size_type at = result.out.find("parent "); at != std::string::npos; at = result.out.find("parent ", at + 1))
			targets.insert(result.out.substr(at + 7, result.out.find(' ', at + 7) - at - 7));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), std::size_t(2), targets.size());
		CPPUNIT_ASSERT(profilePids(dir) == targets); // both programs, and not the shell
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), std::size_t(2), fakeCalls(dir, "init"));
	}

	void testLauncherProfilesItsTargetThroughExecWrappers()
	{
		// env, then sh -c, then the shim: every image keeps the launcher's pid.
		TemporaryDirectory shimDir;
		assertOnlyTargetProfiled(Start::Launcher, ASPROF_AGENT_RUN, {"--", "/usr/bin/env", "/bin/sh", "-c", "exec " + writeShim(shimDir)});
	}

	void testLauncherWithProgramsProfilesTheProgramBehindTimeout()
	{
		assertOnlyTargetProfiled(Start::Launcher, ASPROF_AGENT_RUN,
			{"--programs", "asprof-test-preload-*", "--", "/usr/bin/timeout", "60", "/bin/sh", "-c",
				std::string(ASPROF_PRELOAD_TARGET) + "; true"});
	}

	void testLauncherInsideTimeoutProfilesOnlyTheProgram()
	{
		TemporaryDirectory dir;
		writeConfig(dir, ASPROF_FAKE_PROFILER);
		Run result = runChild(
			"/usr/bin/timeout", {"60", ASPROF_AGENT_RUN, "--config", dir.file("agent.ini"), "--", ASPROF_PRELOAD_TARGET}, launcherEnv(dir));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
		CPPUNIT_ASSERT(profilePids(dir) == std::set<std::string>({targetPid(result)}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), std::size_t(1), fakeCalls(dir, "init"));
	}

	void testLauncherWithoutUsableConfigRunsTheProgramUnprofiled()
	{
		TemporaryDirectory dir;
		Poco::Process::Env env = launcherEnv(dir);
		Run result = runChild(ASPROF_AGENT_RUN, {"--config", dir.file("missing.ini"), "--", ASPROF_PRELOAD_TARGET, "sleep", "1"}, env);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.describe(), 0, result.exitCode);
		CPPUNIT_ASSERT(result.out.find(" done") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(result.err,
			result.err.find("asprof-agent-run: cannot use the configuration '" + dir.file("missing.ini") +
				"': No such file or directory; running the program unprofiled") != std::string::npos);
		Run usage = runChild(ASPROF_AGENT_RUN, {"--config", dir.file("missing.ini")}, env);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(usage.describe(), 125, usage.exitCode);
		CPPUNIT_ASSERT(usage.err.find("asprof-agent-run: no PROGRAM given") != std::string::npos);
		Run missing = runChild(ASPROF_AGENT_RUN, {"--", dir.file("no-such-program")}, env);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(missing.describe(), 127, missing.exitCode);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PreloadFaultTest);

// Hundreds of short-lived programs, in a runner process of their own
// (ctest fault-preload-tests-shortlived): the runner forks 8 at a time, and
// twice in CI a runner that had just run an agent in-process (above) hung
// there, with no child left to blame (runChild's watchdog never fired).
class PreloadShortLivedTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PreloadShortLivedTest);
	CPPUNIT_TEST(testShortLivedProgramsNeverCrash);
	CPPUNIT_TEST(testShortLivedProgramsNeverCrashWithTheRealLibrary);
	CPPUNIT_TEST_SUITE_END();

public:
	// Item 3: the agent thread used to be inside async-profiler's init while
	// exit destroyed what it used.
	void testShortLivedProgramsNeverCrash()
	{
		TemporaryDirectory dir;
		writeConfig(dir, ASPROF_FAKE_PROFILER);
		std::vector<std::string> failures = runShortLivedPrograms(dir, 500, 8);
		CPPUNIT_ASSERT_MESSAGE(describeFailures(failures, 500), failures.empty());
	}

	void testShortLivedProgramsNeverCrashWithTheRealLibrary()
	{
		if (realLibrary().empty())
		{
			std::cout << "SKIPPED: testShortLivedProgramsNeverCrashWithTheRealLibrary (set ASPROF_LIB)" << std::endl;
			return;
		}
		TemporaryDirectory dir;
		writeConfig(dir, realLibrary());
		std::vector<std::string> failures = runShortLivedPrograms(dir, 500, 8);
		CPPUNIT_ASSERT_MESSAGE(describeFailures(failures, 500), failures.empty());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PreloadShortLivedTest);
