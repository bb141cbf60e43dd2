// The agent end to end with the fake async-profiler: rotation, the control
// thread, hand-off to delivery, and every fault the profiler can show.
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/Exception.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/File.h"
#include "Poco/String.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/NumberParser.h"
#include "Poco/StringTokenizer.h"
#include <cppunit/extensions/HelperMacros.h>
#include <csignal>
#include <fcntl.h>
#include <set>
#include <sys/syscall.h>
#include <unistd.h>

using namespace asprof;
using namespace asprof::agent;
using asprof::test::assertEveryProfileAccounted;
using asprof::test::FakeProfilerSetting;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;

namespace {

struct FakeCall
{
	long thread;
	std::string command;
};

std::vector<FakeCall> readCalls(const std::string& log)
{
	std::vector<FakeCall> calls;
	for (const auto& line : asprof::test::readLines(log))
	{
		std::string::size_type space = line.find(' ');
		calls.push_back({std::stol(line.substr(0, space)), line.substr(space + 1)});
	}
	return calls;
}

std::string lastStart(const std::string& log)
{
	std::string command;
	for (const auto& call : readCalls(log))
	{
		if (call.command.compare(0, 6, "start,") == 0) command = call.command;
	}
	return command;
}

std::string captureSection(const std::string& directory, const std::string& extra = "")
{
	return "[reporter.main]\ntype = capture\ndirectory = " + directory + "\n" + extra;
}

std::uint64_t delivered(const Agent& agent)
{
	AgentStatus status = agent.status();
	return status.lanes.empty() ? 0 : status.lanes[0].delivered;
}

bool contains(const std::string& text, const std::string& part)
{
	return text.find(part) != std::string::npos;
}

} // namespace

class AgentTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(AgentTest);
	CPPUNIT_TEST(testRotatesAndDeliversEachRecordingInOrder);
	CPPUNIT_TEST(testEveryProfilerCallRunsOnOneControlThread);
	CPPUNIT_TEST(testStartCommandCarriesLogStderrAndAnAnonymousFile);
	CPPUNIT_TEST(testStopReportsTheLastRecording);
	CPPUNIT_TEST(testEmptyRecordingsAreNotReported);
	CPPUNIT_TEST(testStartFailureGivesProfilerErrorAndCommand);
	CPPUNIT_TEST(testFailedStopLeaksTheDescriptorAndRecovers);
	CPPUNIT_TEST(testMissingLibraryNamesLibraryAndSearchPath);
	CPPUNIT_TEST(testLibraryWithoutRequiredSymbolIsRefused);
	CPPUNIT_TEST(testSecondAgentInTheProcessIsRefused);
	CPPUNIT_TEST(testBrokenReporterStopsStartBeforeProfiling);
	CPPUNIT_TEST(testAgentThreadsNeverTakeTheHostsTerminationSignals);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_log.reset(new asprof::test::FakeProfilerLog);
	}

	void tearDown() override
	{
		_log.reset();
	}

	void testRotatesAndDeliversEachRecordingInOrder()
	{
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(
			asprof::test::fakeProfilerIni(captureSection(out.path()), "labels = service=checkout, env=test\n"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= 3; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		assertEveryProfileAccounted(agent.status());

		std::string expected = asprof::test::readFile(asprof::test::dataFile("cpu-wall.jfr"));
		std::uint64_t count = delivered(agent);
		Poco::Int64 previousEnd = 0;
		for (std::uint64_t seq = 1; seq <= count; ++seq)
		{
			std::string base = out.file(std::to_string(::getpid()) + "-" + std::to_string(seq));
			CPPUNIT_ASSERT_MESSAGE("recording " + std::to_string(seq), asprof::test::readFile(base + ".jfr") == expected);
			Poco::JSON::Object::Ptr json =
				Poco::JSON::Parser().parse(asprof::test::readFile(base + ".json")).extract<Poco::JSON::Object::Ptr>();
			CPPUNIT_ASSERT_EQUAL(static_cast<Poco::Int64>(seq), json->getValue<Poco::Int64>("seq"));
			CPPUNIT_ASSERT_EQUAL(Poco::Int64(100), json->getValue<Poco::Int64>("reporting_interval"));
			CPPUNIT_ASSERT(json->getValue<Poco::Int64>("start") <= json->getValue<Poco::Int64>("end"));
			CPPUNIT_ASSERT(json->getValue<Poco::Int64>("start") >= previousEnd);
			previousEnd = json->getValue<Poco::Int64>("end");
			CPPUNIT_ASSERT_EQUAL(static_cast<int>(::getpid()), json->getValue<int>("pid"));
			CPPUNIT_ASSERT_EQUAL(std::string("onprem"), json->getObject("host")->getValue<std::string>("kind"));
			CPPUNIT_ASSERT_EQUAL(std::string("test-host"), json->getObject("host")->getValue<std::string>("hostname"));
			CPPUNIT_ASSERT_EQUAL(std::string("checkout"), json->getObject("labels")->getValue<std::string>("service"));
			// [metadata.onprem] labels = rack=r7: read by the agent, after the [agent] labels.
			CPPUNIT_ASSERT_EQUAL(std::string("r7"), json->getObject("labels")->getValue<std::string>("rack"));
			std::vector<std::string> names;
			json->getObject("labels")->getNames(names);
			CPPUNIT_ASSERT_EQUAL(std::size_t(3), names.size());
		}
		AgentStatus status = agent.status();
		CPPUNIT_ASSERT_EQUAL(count, status.recordings);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.profilerErrors);
		CPPUNIT_ASSERT_EQUAL(std::string(ASPROF_FAKE_PROFILER), status.library);
	}

	void testEveryProfilerCallRunsOnOneControlThread()
	{
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(asprof::test::fakeProfilerIni(captureSection(out.path())), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= 3; }));
		agent.stop(Poco::Timespan(5, 0));
		assertEveryProfileAccounted(agent.status());

		std::vector<FakeCall> calls;
		for (const auto& call : readCalls(_log->path()))
		{
			if (call.command == "start" || call.command.compare(0, 6, "start,") == 0 || call.command.compare(0, 5, "stop,") == 0)
				calls.push_back(call);
		}
		CPPUNIT_ASSERT(calls.size() >= 6);
		long control = calls[0].thread;
		CPPUNIT_ASSERT(control != ::syscall(SYS_gettid));
		for (std::size_t i = 0; i < calls.size(); ++i)
		{
			CPPUNIT_ASSERT_EQUAL(control, calls[i].thread);
			// start, stop, start, stop, ... ending with the final stop
			CPPUNIT_ASSERT_EQUAL(i % 2 == 0, calls[i].command.compare(0, 6, "start,") == 0);
			CPPUNIT_ASSERT_EQUAL(i % 2 == 1, calls[i].command == "stop,log=stderr");
		}
		CPPUNIT_ASSERT_EQUAL(std::string("stop,log=stderr"), calls.back().command);
		// Delivery runs on the lane's thread, never on the control thread.
		for (const auto& line : asprof::test::readLines(out.file("calls.log")))
		{
			CPPUNIT_ASSERT(std::stol(line) != control);
		}
	}

	void testStartCommandCarriesLogStderrAndAnAnonymousFile()
	{
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(asprof::test::fakeProfilerIni(captureSection(out.path())) +
				"[profiler]\ncpuInterval = 10ms\nwallInterval = 50ms\nnativeMem = 64k\n",
			"test.ini"));
		agent.start();
		std::string command = lastStart(_log->path());
		agent.stop(Poco::Timespan(5, 0));
		assertEveryProfileAccounted(agent.status());
		CPPUNIT_ASSERT_EQUAL(0UL, command.find("start,event=cpu,interval=10000000,wall=50ms,jfr,cstack=dwarf,file=/proc/self/fd/"));
		CPPUNIT_ASSERT(contains(command, ",nativemem=64k,log=stderr"));
		// The file is anonymous: no name in the temp dir, only a descriptor.
		std::string fd = command.substr(command.find("/proc/self/fd/") + 14);
		fd = fd.substr(0, fd.find(','));
		CPPUNIT_ASSERT(Poco::NumberParser::parse(fd) > 2);
	}

	void testStopReportsTheLastRecording()
	{
		TemporaryDirectory out;
		AgentConfig config = AgentConfig::fromIni(asprof::test::fakeProfilerIni(captureSection(out.path())), "test.ini");
		config.reportingInterval = Poco::Timespan(3600, 0); // no rotation before stop
		Agent longInterval(config);
		longInterval.start();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), delivered(longInterval));
		CPPUNIT_ASSERT(longInterval.stop(Poco::Timespan(5, 0)));
		assertEveryProfileAccounted(longInterval.status());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), delivered(longInterval));
		CPPUNIT_ASSERT(Poco::File(out.file(std::to_string(::getpid()) + "-1.jfr")).exists());
		CPPUNIT_ASSERT(!longInterval.isRunning());
	}

	void testEmptyRecordingsAreNotReported()
	{
		FakeProfilerSetting empty("ASPROF_FAKE_EMPTY", "1");
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(asprof::test::fakeProfilerIni(captureSection(out.path())), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().emptyRecordings >= 3; }));
		agent.stop(Poco::Timespan(5, 0));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.recordings);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.lanes[0].enqueued);
		CPPUNIT_ASSERT(asprof::test::readLines(out.file("calls.log")).empty());
	}

	void testStartFailureGivesProfilerErrorAndCommand()
	{
		TemporaryDirectory out;
		AgentConfig config = AgentConfig::fromIni(asprof::test::fakeProfilerIni(captureSection(out.path())), "test.ini");
		{
			FakeProfilerSetting fail("ASPROF_FAKE_START_FAIL", "1");
			Agent agent(config);
			try
			{
				agent.start();
				CPPUNIT_FAIL("expected AgentException");
			}
			catch (AgentException& e)
			{
				CPPUNIT_ASSERT(contains(e.displayText(), "Fake start failure"));
				CPPUNIT_ASSERT(
					contains(e.displayText(), "'start,event=cpu,interval=100000000,wall=1000ms,jfr,cstack=dwarf,file=/proc/self/fd/"));
			}
			CPPUNIT_ASSERT(!agent.isRunning());
			assertEveryProfileAccounted(agent.status());
		}
		// Nothing is left behind: a new agent starts normally.
		Agent agent(config);
		agent.start();
		CPPUNIT_ASSERT(agent.isRunning());
		agent.stop(Poco::Timespan(5, 0));
		assertEveryProfileAccounted(agent.status());
	}

	void testFailedStopLeaksTheDescriptorAndRecovers()
	{
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(asprof::test::fakeProfilerIni(captureSection(out.path())), "test.ini"));
		agent.start();
		std::string command = lastStart(_log->path());
		std::string fdText = command.substr(command.find("/proc/self/fd/") + 14);
		int fd = Poco::NumberParser::parse(fdText.substr(0, fdText.find(',')));
		{
			FakeProfilerSetting fail("ASPROF_FAKE_STOP_FAIL", "1");
			CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().profilerErrors >= 1; }));
			CPPUNIT_ASSERT(contains(agent.status().lastError, "Fake stop failure"));
		}
		// async-profiler may still write to it: the descriptor stays open.
		CPPUNIT_ASSERT(::fcntl(fd, F_GETFD) != -1);
		std::uint64_t before = delivered(agent);
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= before + 2; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		assertEveryProfileAccounted(agent.status());
		CPPUNIT_ASSERT(::fcntl(fd, F_GETFD) != -1);
		::close(fd);
	}

	void testMissingLibraryNamesLibraryAndSearchPath()
	{
		TemporaryDirectory out;
		AgentConfig config = AgentConfig::fromIni(asprof::test::fakeProfilerIni(captureSection(out.path())), "test.ini");
		config.library = "libasyncProfiler-does-not-exist.so";
		Agent agent(config);
		try
		{
			agent.start();
			CPPUNIT_FAIL("expected AgentException");
		}
		catch (AgentException& e)
		{
			CPPUNIT_ASSERT(contains(e.displayText(), "cannot load async-profiler library 'libasyncProfiler-does-not-exist.so'"));
			CPPUNIT_ASSERT(contains(e.displayText(), "LD_LIBRARY_PATH="));
			CPPUNIT_ASSERT(contains(e.displayText(), "/opt/async-profiler/lib"));
			CPPUNIT_ASSERT(contains(e.displayText(), "library = /path/to/libasyncProfiler.so"));
		}
		CPPUNIT_ASSERT(!agent.isRunning());
		assertEveryProfileAccounted(agent.status());
	}

	void testLibraryWithoutRequiredSymbolIsRefused()
	{
		TemporaryDirectory out;
		AgentConfig config = AgentConfig::fromIni(asprof::test::fakeProfilerIni(captureSection(out.path())), "test.ini");
		config.library = ASPROF_FAKE_PROFILER_NOSYM;
		Agent agent(config);
		try
		{
			agent.start();
			CPPUNIT_FAIL("expected AgentException");
		}
		catch (AgentException& e)
		{
			CPPUNIT_ASSERT(contains(e.displayText(), ASPROF_FAKE_PROFILER_NOSYM));
			CPPUNIT_ASSERT(contains(e.displayText(), "lacks the required symbol asprof_error_str"));
		}
		assertEveryProfileAccounted(agent.status());
	}

	void testSecondAgentInTheProcessIsRefused()
	{
		TemporaryDirectory out;
		AgentConfig config = AgentConfig::fromIni(asprof::test::fakeProfilerIni(captureSection(out.path())), "test.ini");
		Agent first(config);
		first.start();
		Agent second(config);
		try
		{
			second.start();
			CPPUNIT_FAIL("expected AgentException");
		}
		catch (AgentException& e)
		{
			CPPUNIT_ASSERT(contains(e.displayText(), "another asprof-agent is already running in this process"));
		}
		assertEveryProfileAccounted(second.status());
		CPPUNIT_ASSERT(first.isRunning());
		CPPUNIT_ASSERT(first.stop(Poco::Timespan(5, 0)));
		assertEveryProfileAccounted(first.status());
	}

	void testBrokenReporterStopsStartBeforeProfiling()
	{
		Agent agent(AgentConfig::fromIni(asprof::test::fakeProfilerIni("[reporter.main]\ntype = throwing\n"), "test.ini"));
		try
		{
			agent.start();
			CPPUNIT_FAIL("expected PluginException");
		}
		catch (PluginException& e)
		{
			CPPUNIT_ASSERT(contains(e.displayText(), "libasprof-reporter-throwing.so"));
		}
		assertEveryProfileAccounted(agent.status());
		for (const auto& call : readCalls(_log->path()))
		{
			CPPUNIT_ASSERT(call.command.compare(0, 6, "start,") != 0);
		}
	}

	void testAgentThreadsNeverTakeTheHostsTerminationSignals()
	{
		TemporaryDirectory out;
		std::set<std::string> before = threadIds();
		Agent agent(
			AgentConfig::fromIni(asprof::test::fakeProfilerIni(captureSection(out.path()), "statusLogInterval = 1s\n"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= 1; }));
		std::size_t agentThreads = 0;
		for (const auto& tid : threadIds())
		{
			if (before.count(tid)) continue;
			++agentThreads;
			// SigBlk is a hex mask, bit (n - 1) for signal n.
			unsigned long long blocked = std::stoull(statusField("/proc/self/task/" + tid + "/status", "SigBlk:"), nullptr, 16);
			// The host's signals (termination, SIGCHLD, alarms, user signals) and
			// async-profiler's sampling signals (agent threads are not sampled).
			for (int signal : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPROF, SIGVTALRM, SIGPIPE, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2})
				CPPUNIT_ASSERT_MESSAGE("thread " + tid + " takes signal " + std::to_string(signal), blocked & (1ULL << (signal - 1)));
		}
		// But async-profiler is called with SIGIO (its wake-up signal) open, so
		// the threads it creates then (its wall-clock sampler) can be woken at
		// stop; the host's signals stay blocked.
		CPPUNIT_ASSERT_EQUAL(std::string("SIGIO unblocked, SIGTERM blocked"), asprof::test::fakeProfilerValue("ASPROF_FAKE_EXECUTE_MASK"));
		agent.stop(Poco::Timespan(5, 0));
		assertEveryProfileAccounted(agent.status());
		CPPUNIT_ASSERT(agentThreads >= 4); // control, status log, a lane's intake and delivery
		// The caller's own mask is as it was.
		unsigned long long mine = std::stoull(statusField("/proc/thread-self/status", "SigBlk:"), nullptr, 16);
		CPPUNIT_ASSERT(!(mine & (1ULL << (SIGTERM - 1))));
		CPPUNIT_ASSERT(!(mine & (1ULL << (SIGPROF - 1))));
	}

private:
	static std::set<std::string> threadIds()
	{
		std::set<std::string> ids;
		for (Poco::DirectoryIterator it(std::string("/proc/self/task")), end; it != end; ++it) ids.insert(it.name());
		return ids;
	}

	static std::string statusField(const std::string& path, const std::string& name)
	{
		for (const auto& line : asprof::test::readLines(path))
		{
			if (line.compare(0, name.size(), name) == 0) return Poco::trim(line.substr(name.size()));
		}
		return "0";
	}

	std::unique_ptr<asprof::test::FakeProfilerLog> _log;
};

CPPUNIT_TEST_SUITE_REGISTRATION(AgentTest);
