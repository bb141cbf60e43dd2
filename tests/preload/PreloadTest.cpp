// LD_PRELOAD mode: libasprof-agent-preload.so in unmodified C programs.
#include "ChildProcess.h"
#include "TestSupport.h"
#include "Poco/File.h"
#include <cppunit/extensions/HelperMacros.h>
#include <set>

using asprof::test::TemporaryDirectory;

namespace {

using Run = asprof::test::ChildRun;

Run run(const std::vector<std::string>& args, const Poco::Process::Env& env)
{
	return asprof::test::runChild(ASPROF_PRELOAD_TARGET, args, env);
}

Poco::Process::Env preloadEnv(const TemporaryDirectory& dir, bool withConfig)
{
	Poco::Process::Env env;
	env["LD_PRELOAD"] = ASPROF_PRELOAD_LIBRARY;
	env["ASPROF_FAKE_LOG"] = dir.file("fake.log");
	if (withConfig) env["ASPROF_AGENT_CONFIG"] = dir.file("agent.ini");
	return env;
}

void writeConfig(const TemporaryDirectory& dir)
{
	asprof::test::writeFile(
		dir.file("agent.ini"), asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + dir.file("out") + "\n"));
}

std::set<std::string> profilePids(const TemporaryDirectory& dir)
{
	return asprof::test::capturedPids(dir.file("out"));
}

} // namespace

class PreloadTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PreloadTest);
	CPPUNIT_TEST(testNothingHappensWithoutAConfig);
	CPPUNIT_TEST(testProfilesAnUnmodifiedProgramAndFlushesAtExit);
	CPPUNIT_TEST(testForkedChildRunsNoSecondAgent);
	CPPUNIT_TEST(testBadConfigLeavesTheProgramRunning);
	CPPUNIT_TEST_SUITE_END();

public:
	void testNothingHappensWithoutAConfig()
	{
		TemporaryDirectory dir;
		Run result = run({}, preloadEnv(dir, false));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.err, 0, result.exitCode);
		CPPUNIT_ASSERT(!Poco::File(dir.file("fake.log")).exists()); // async-profiler never loaded
	}

	void testProfilesAnUnmodifiedProgramAndFlushesAtExit()
	{
		TemporaryDirectory dir;
		writeConfig(dir);
		Run result = run({}, preloadEnv(dir, true));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.err, 0, result.exitCode);
		std::vector<std::string> log = asprof::test::readLines(dir.file("fake.log"));
		CPPUNIT_ASSERT(!log.empty());
		// The last call is the final stop, made at exit; its recording was delivered.
		CPPUNIT_ASSERT_MESSAGE(result.err, log.back().find(" stop-done") != std::string::npos);
		std::size_t stops = 0;
		for (const auto& line : log) stops += line.find(" stop-done") != std::string::npos ? 1 : 0;
		std::vector<std::string> files = asprof::test::listFiles(dir.file("out"));
		std::size_t recordings = 0;
		for (const auto& name : files) recordings += name.compare(name.size() - 4, 4, ".jfr") == 0 ? 1 : 0;
		CPPUNIT_ASSERT(stops >= 3);
		CPPUNIT_ASSERT_EQUAL(stops, recordings);
	}

	void testForkedChildRunsNoSecondAgent()
	{
		TemporaryDirectory dir;
		writeConfig(dir);
		Run result = run({"fork"}, preloadEnv(dir, true));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.err, 0, result.exitCode);
		std::string childPid = result.out.substr(6, result.out.find(' ', 6) - 6);
		CPPUNIT_ASSERT_MESSAGE(result.out, result.out.find("child " + childPid + " exited 0") != std::string::npos);
		std::string parentPid = result.out.substr(result.out.find("parent ") + 7);
		parentPid = parentPid.substr(0, parentPid.find(' '));
		// Every profile is the parent's; the child made no async-profiler call.
		CPPUNIT_ASSERT(profilePids(dir) == std::set<std::string>({parentPid}));
		for (const auto& line : asprof::test::readLines(dir.file("fake.log")))
			CPPUNIT_ASSERT(line.compare(0, childPid.size() + 1, childPid + " ") != 0);
	}

	void testBadConfigLeavesTheProgramRunning()
	{
		TemporaryDirectory dir;
		asprof::test::writeFile(dir.file("agent.ini"), "[agent]\nreportingInterval = sometimes\n");
		Run result = run({}, preloadEnv(dir, true));
		CPPUNIT_ASSERT_EQUAL(0, result.exitCode);
		CPPUNIT_ASSERT_MESSAGE(result.err,
			result.err.find("asprof-agent: profiling disabled: " + dir.file("agent.ini") + ": [agent] reportingInterval = sometimes") !=
				std::string::npos);
		CPPUNIT_ASSERT(result.out.find("done") != std::string::npos);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PreloadTest);
