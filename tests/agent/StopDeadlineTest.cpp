// Agent::stop(deadline) returns by its deadline even when async-profiler's
// stop hangs, and an agent can start again once that stop has ended. In a
// runner of its own: the control thread stuck in the fake profiler is
// abandoned (never joined, its objects never freed).
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "Poco/File.h"
#include <chrono>
#include <cppunit/extensions/HelperMacros.h>

using namespace asprof;
using namespace asprof::agent;
using asprof::test::FakeProfilerSetting;
using asprof::test::TemporaryDirectory;

class StopDeadlineTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(StopDeadlineTest);
	CPPUNIT_TEST(testStopReturnsByItsDeadlineWhenTheProfilerHangs);
	CPPUNIT_TEST_SUITE_END();

public:
	void testStopReturnsByItsDeadlineWhenTheProfilerHangs()
	{
		TemporaryDirectory out;
		AgentConfig config = AgentConfig::fromIni(
			asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + out.path() + "\n"), "test.ini");
		config.reportingInterval = Poco::Timespan(3600, 0);
		FakeProfilerSetting log("ASPROF_FAKE_LOG", out.file("fake.log"));
		auto agent = std::make_unique<Agent>(config);
		agent->start();
		FakeProfilerSetting hang("ASPROF_FAKE_STOP_DELAY_MS", "4000");
		auto before = std::chrono::steady_clock::now();
		bool complete = agent->stop(Poco::Timespan(0, 500 * 1000));
		auto elapsed = std::chrono::steady_clock::now() - before;
		CPPUNIT_ASSERT(!complete);
		// Returned while the profiler's stop was still hanging (4 s).
		CPPUNIT_ASSERT(elapsed < std::chrono::milliseconds(3000));
		CPPUNIT_ASSERT(!agent->isRunning());
		// The host may destroy the agent at once; when the stuck stop finally
		// returns, the abandoned control thread must touch nothing that is gone
		// (ASan in scripts/test --sanitize catches a use after free here).
		agent.reset();
		CPPUNIT_ASSERT(asprof::test::waitUntil(
			[&]() {
				for (const auto& line : asprof::test::readLines(out.file("fake.log")))
				{
					if (line.find(" stop-done") != std::string::npos) return true;
				}
				return false;
			},
			Poco::Timespan(10, 0)));
		CPPUNIT_ASSERT(!Poco::File(out.file("calls.log")).exists()); // the last recording was not reported

		// Once that stop has ended, async-profiler is free again: an agent
		// starts again in this process.
		FakeProfilerSetting noHang("ASPROF_FAKE_STOP_DELAY_MS", "0");
		TemporaryDirectory again;
		Agent next(AgentConfig::fromIni(
			asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + again.path() + "\n"), "test.ini"));
		CPPUNIT_ASSERT(asprof::test::waitUntil(
			[&]() {
				try
				{
					next.start();
					return true;
				}
				catch (Poco::Exception&)
				{
					return false;
				}
			},
			Poco::Timespan(10, 0)));
		CPPUNIT_ASSERT(asprof::test::waitUntil([&]() { return next.status().lanes.at(0).delivered >= 1; }));
		CPPUNIT_ASSERT(next.stop(Poco::Timespan(5, 0)));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(StopDeadlineTest);
