// The hooks of libasprof-agent.so in a program run under the LD_PRELOAD
// agent, which is a copy of the agent of its own (linked statically).
#include "../preload/ChildProcess.h"
#include "TestSupport.h"
#include <cppunit/extensions/HelperMacros.h>
#include <iostream>

using asprof::test::TemporaryDirectory;

class PollCatchPreloadTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PollCatchPreloadTest);
	CPPUNIT_TEST(testPreloadedAgentTurnsOnTheHooksOfTheProgramsLibrary);
	CPPUNIT_TEST_SUITE_END();

public:
	void testPreloadedAgentTurnsOnTheHooksOfTheProgramsLibrary()
	{
#if defined(__SANITIZE_THREAD__)
		// As preload-tests (scripts/test's TSAN_EXCLUDED): GCC 12's libtsan runs
		// a preloaded library's atexit() handlers after the static destructors
		// of its dependencies; the plain and ASan runs cover this test.
		std::cout << "SKIPPED: PollCatchPreloadTest under ThreadSanitizer (see scripts/test)" << std::endl;
		return;
#endif
		TemporaryDirectory dir;
		asprof::test::writeFile(
			dir.file("agent.ini"), asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + dir.file("out") + "\n"));
		Poco::Process::Env env;
		env["LD_PRELOAD"] = ASPROF_PRELOAD_LIBRARY;
		env["ASPROF_AGENT_CONFIG"] = dir.file("agent.ini");
		env["PC_FAKE_PROFILER"] = ASPROF_FAKE_PROFILER;
		asprof::test::ChildRun run = asprof::test::runChild(ASPROF_POLLCATCH_PRELOAD_TARGET, {}, env);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(run.describe(), 0, run.exitCode);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(run.describe(), std::string("enabled=1 events=1\n"), run.out);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PollCatchPreloadTest);
