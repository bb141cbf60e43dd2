// Delivery end to end: outages, multi destinations, kill -9 with a spool,
// a slow host metadata provider at stop.
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "Poco/File.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Message.h"
#include "Poco/Pipe.h"
#include "Poco/PipeStream.h"
#include "Poco/Process.h"
#include <chrono>
#include <cppunit/extensions/HelperMacros.h>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace asprof;
using namespace asprof::agent;
using asprof::test::assertEveryProfileAccounted;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;

namespace {

struct Call
{
	std::uint64_t seq;
	std::string answer;
	int pid;
};

std::vector<Call> readCalls(const std::string& directory)
{
	std::vector<Call> calls;
	for (const auto& line : asprof::test::readLines(directory + "/calls.log"))
	{
		std::istringstream in(line);
		long thread = 0;
		Call call{0, "", 0};
		in >> thread >> call.seq >> call.answer >> call.pid;
		calls.push_back(call);
	}
	return calls;
}

std::vector<std::uint64_t> okSeqs(const std::string& directory, int pid)
{
	std::vector<std::uint64_t> seqs;
	for (const auto& call : readCalls(directory))
	{
		if (call.answer == "ok" && call.pid == pid) seqs.push_back(call.seq);
	}
	return seqs;
}

LaneStatus lane(const Agent& agent, const std::string& name)
{
	for (const auto& status : agent.status().lanes)
	{
		if (status.name == name) return status;
	}
	CPPUNIT_FAIL("no lane " + name);
	return LaneStatus();
}

std::vector<std::string> spoolIds(const std::string& directory)
{
	std::vector<std::string> ids;
	for (const auto& name : asprof::test::listFiles(directory))
	{
		if (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0) ids.push_back(name.substr(0, name.size() - 5));
	}
	return ids;
}

const std::string FAST_RETRIES = "retryInitialBackoff = 10ms\nretryMaxBackoff = 50ms\nretryMaxAttempts = 1000\nqueueCapacity = 64\n";

// metadata = slow (tests/plugins/SlowMetadata.cpp) answering after 2.5 s, and a
// reportingInterval no run reaches: the only profile is the one stop() takes,
// so the first (slow) detection runs while stop() waits.
// The test agent.ini with metadata = slow (a [metadata.slow] of the given
// delay) instead of onprem, so no section is left unreferenced.
std::string slowMetadataIni(const std::string& directory, const std::string& delay, const std::string& extraAgentKeys = "")
{
	std::string ini = asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + directory + "\n", extraAgentKeys);
	ini.replace(ini.find("metadata = onprem\n"), 18, "metadata = slow\n");
	std::size_t onprem = ini.find("[metadata.onprem]");
	ini.replace(onprem, ini.find("[reporter.main]") - onprem, "[metadata.slow]\ntype = slow\ndelay = " + delay + "\n\n");
	return ini;
}

AgentConfig slowMetadataConfig(const std::string& directory, Poco::Timespan flushTimeout)
{
	AgentConfig config = AgentConfig::fromIni(slowMetadataIni(directory, "2500ms"), "test.ini");
	config.flushTimeout = flushTimeout;
	config.reportingInterval = Poco::Timespan(3600, 0);
	return config;
}

// The host's own work before it exits: shorter than the detection. A run
// time, not a wait for the agent (there is nothing to wait for).
void hostRunsForOneSecond()
{
	std::this_thread::sleep_for(std::chrono::seconds(1));
}

std::chrono::milliseconds millisecondsSince(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

} // namespace

class AgentDeliveryTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(AgentDeliveryTest);
	CPPUNIT_TEST(testOutageThenRecoveryDeliversEveryProfileInOrder);
	CPPUNIT_TEST(testMultiWithAFailingChildDeliversToTheOtherExactlyOnce);
	CPPUNIT_TEST(testKillDuringOutageThenRestartDeliversWhatWasSpooled);
	CPPUNIT_TEST(testStatusIsLoggedEveryStatusLogInterval);
	CPPUNIT_TEST(testAnAgentRestartsWithItsSpool);
	CPPUNIT_TEST(testStopWaitsForASlowFirstMetadataDetection);
	CPPUNIT_TEST(testStopCountsTheProfileWhenTheDetectionOutlivesFlushTimeout);
	CPPUNIT_TEST(testHangingMetadataNeverHoldsDeliveryHostage);
	CPPUNIT_TEST_SUITE_END();

public:
	void testOutageThenRecoveryDeliversEveryProfileInOrder()
	{
		TemporaryDirectory dir;
		asprof::test::writeFile(dir.file("control"), "retry");
		Agent agent(AgentConfig::fromIni(asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + dir.file("out") +
											 "\ncontrolFile = " + dir.file("control") + "\n" + FAST_RETRIES),
			"test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().recordings >= 5; }));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), lane(agent, "main").delivered);
		asprof::test::writeFile(dir.file("control"), "ok");
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(10, 0)));

		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		LaneStatus main = lane(agent, "main");
		CPPUNIT_ASSERT(main.retried > 0);
		CPPUNIT_ASSERT_EQUAL(status.recordings, main.delivered);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), main.failed + main.droppedQueueFull + main.droppedAtStop);
		std::vector<std::uint64_t> seqs = okSeqs(dir.file("out"), ::getpid());
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(status.recordings), seqs.size());
		for (std::size_t i = 0; i < seqs.size(); ++i) CPPUNIT_ASSERT_EQUAL(static_cast<std::uint64_t>(i + 1), seqs[i]);
	}

	void testMultiWithAFailingChildDeliversToTheOtherExactlyOnce()
	{
		TemporaryDirectory dir;
		asprof::test::writeFile(dir.file("control"), "fail");
		Agent agent(AgentConfig::fromIni(asprof::test::fakeProfilerIni("[reporter.main]\ntype = multi\nlibrary = " ASPROF_BUILD_PLUGIN_DIR
																	   "/libasprof-reporter-multi.so\nreporters = good, bad\n"
																	   "[reporter.good]\ntype = capture\ndirectory = " +
											 dir.file("good") + "\n" + FAST_RETRIES + "[reporter.bad]\ntype = capture\ndirectory = " +
											 dir.file("bad") + "\ncontrolFile = " + dir.file("control") + "\n"),
			"test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return lane(agent, "good").delivered >= 4 && lane(agent, "bad").failed >= 4; }));
		asprof::test::writeFile(dir.file("control"), "retry"); // now bad is slow to give up, too
		agent.stop(Poco::Timespan(3, 0));

		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT_EQUAL(std::string("main"), status.lanes[0].name);
		std::vector<std::uint64_t> good = okSeqs(dir.file("good"), ::getpid());
		std::set<std::uint64_t> unique(good.begin(), good.end());
		CPPUNIT_ASSERT_EQUAL(good.size(), unique.size());                               // never a duplicate
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(status.recordings), good.size()); // every profile, despite bad
		CPPUNIT_ASSERT_EQUAL(status.recordings, lane(agent, "good").delivered);
		CPPUNIT_ASSERT_EQUAL(status.recordings, lane(agent, "main").delivered);
		CPPUNIT_ASSERT(okSeqs(dir.file("bad"), ::getpid()).empty());
		CPPUNIT_ASSERT(lane(agent, "bad").failed >= 4);
	}

	void testKillDuringOutageThenRestartDeliversWhatWasSpooled()
	{
		TemporaryDirectory dir;
		asprof::test::writeFile(dir.file("control"), "retry");
		std::string ini = asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + dir.file("out") +
			"\ncontrolFile = " + dir.file("control") + "\nspoolDir = " + dir.file("spool") + "\n" + FAST_RETRIES);
		asprof::test::writeFile(dir.file("agent.ini"), ini);

		Poco::Pipe output;
		Poco::ProcessHandle victim = Poco::Process::launch(ASPROF_TEST_AGENT_RUNNER, {dir.file("agent.ini")}, nullptr, &output, nullptr);
		// Killed on every path: a runner left behind would hold ctest's output open until its timeout.
		struct Reaper
		{
			Poco::ProcessHandle& process;
			bool reaped = false;
			~Reaper()
			{
				if (reaped) return;
				try
				{
					Poco::Process::kill(process);
					process.wait();
				}
				catch (Poco::Exception&)
				{
				}
			}
		} reaper{victim};
		CPPUNIT_ASSERT(waitUntil([&]() { return Poco::File(dir.file("spool")).exists() && spoolIds(dir.file("spool")).size() >= 4; }));
		Poco::Process::kill(victim); // SIGKILL: no flush, no destructor
		victim.wait();
		reaper.reaped = true;
		std::vector<std::string> spooled = spoolIds(dir.file("spool"));
		CPPUNIT_ASSERT(spooled.size() >= 4);

		asprof::test::writeFile(dir.file("control"), "ok");
		Agent agent(AgentConfig::fromIni(ini, "test.ini")); // the same spool: its lock died with the victim
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return lane(agent, "main").replayed >= spooled.size(); }));
		// Everything delivered before the files are read (a stop cut short by a
		// loaded machine would leave a report() half done).
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(60, 0)));
		assertEveryProfileAccounted(agent.status());

		std::string expected = asprof::test::readFile(asprof::test::dataFile("cpu-wall.jfr"));
		std::vector<std::uint64_t> victimSeqs = okSeqs(dir.file("out"), static_cast<int>(victim.id()));
		CPPUNIT_ASSERT_EQUAL(spooled.size(), victimSeqs.size());
		for (std::size_t i = 0; i < victimSeqs.size(); ++i)
		{
			if (i > 0) CPPUNIT_ASSERT(victimSeqs[i - 1] < victimSeqs[i]); // oldest first
			std::string jfr = dir.file("out/" + std::to_string(victim.id()) + "-" + std::to_string(victimSeqs[i]) + ".jfr");
			CPPUNIT_ASSERT(asprof::test::readFile(jfr) == expected);
		}
		CPPUNIT_ASSERT(spoolIds(dir.file("spool")).empty()); // every replayed entry removed once delivered
	}

	void testAnAgentRestartsWithItsSpool()
	{
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + dir.file("out") +
											 "\nspoolDir = " + dir.file("spool") + "\n" + FAST_RETRIES),
			"test.ini"));
		for (int run = 0; run < 2; ++run)
		{
			agent.start(); // the second time: the first run's spool lock is released
			CPPUNIT_ASSERT(waitUntil([&]() { return lane(agent, "main").delivered >= 2; }));
			CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
			assertEveryProfileAccounted(agent.status());
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), lane(agent, "main").spoolEntries);
		}
	}

	void testStatusIsLoggedEveryStatusLogInterval()
	{
		TemporaryDirectory dir;
		asprof::test::LogCapture log("asprof.agent", Poco::Message::PRIO_INFORMATION);
		Agent agent(
			AgentConfig::fromIni(asprof::test::fakeProfilerIni(
									 "[reporter.main]\ntype = capture\ndirectory = " + dir.file("out") + "\n", "statusLogInterval = 1s\n"),
				"test.ini"));
		agent.start();
		CPPUNIT_ASSERT_MESSAGE(log.text(), waitUntil([&]() { return log.count("status main: ") > 0; }, Poco::Timespan(10, 0)));
		agent.stop(Poco::Timespan(5, 0));
		assertEveryProfileAccounted(agent.status());
		CPPUNIT_ASSERT(log.count(" delivered, ") > 0);
		CPPUNIT_ASSERT(log.count("queue-full") > 0);
	}

	void testStopWaitsForASlowFirstMetadataDetection()
	{
		TemporaryDirectory dir;
		Agent agent(slowMetadataConfig(dir.file("out"), Poco::Timespan(10, 0)));
		agent.start();
		hostRunsForOneSecond();
		auto stopping = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT(agent.stop()); // flushTimeout = 10s
		// It waited for the rest of the detection (2.5 s, begun when the agent started).
		CPPUNIT_ASSERT(millisecondsSince(stopping) >= std::chrono::milliseconds(1000));

		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		LaneStatus main = lane(agent, "main");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), status.recordings);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), main.enqueued);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), main.delivered);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), main.failed + main.dropped() + main.leftInSpool);
		CPPUNIT_ASSERT(okSeqs(dir.file("out"), ::getpid()) == std::vector<std::uint64_t>{1});
		std::string metadata = asprof::test::readFile(dir.file("out/" + std::to_string(::getpid()) + "-1.json"));
		Poco::JSON::Object::Ptr json = Poco::JSON::Parser().parse(metadata).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT_EQUAL(std::string("slow"), json->getObject("host")->getValue<std::string>("kind"));
	}

	void testStopCountsTheProfileWhenTheDetectionOutlivesFlushTimeout()
	{
		TemporaryDirectory dir;
		asprof::test::LogCapture log("asprof.agent", Poco::Message::PRIO_INFORMATION);
		Agent agent(slowMetadataConfig(dir.file("out"), Poco::Timespan(1, 0)));
		agent.start();
		hostRunsForOneSecond();
		auto stopping = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT(!agent.stop()); // flushTimeout = 1s: the detection needs 2.5 s
		CPPUNIT_ASSERT(millisecondsSince(stopping) < std::chrono::milliseconds(2000));
		CPPUNIT_ASSERT(!agent.isRunning());

		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		LaneStatus main = lane(agent, "main");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), main.enqueued);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), main.droppedAtStop);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), main.delivered + main.failed + main.leftInSpool);

		// The abandoned detection still ends (on its own thread); the profile
		// waiting for it reaches a closed lane: nothing is reported, no count changes.
		bool detected = waitUntil([&]() { return log.count("host metadata from slow: kind slow") > 0; }, Poco::Timespan(10, 0));
		CPPUNIT_ASSERT_MESSAGE(log.text(), detected);
		assertEveryProfileAccounted(agent.status());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), lane(agent, "main").droppedAtStop);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), lane(agent, "main").delivered);
		CPPUNIT_ASSERT(readCalls(dir.file("out")).empty());
	}

	void testHangingMetadataNeverHoldsDeliveryHostage()
	{
		// A metadata endpoint that does not answer for 30 s: profiles go out
		// with host kind unknown after metadataTimeout, every interval.
		TemporaryDirectory dir;
		asprof::test::LogCapture log("asprof.agent", Poco::Message::PRIO_WARNING);
		Agent agent(AgentConfig::fromIni(slowMetadataIni(dir.file("out"), "30s", "metadataTimeout = 500ms\n"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return lane(agent, "main").delivered >= 3; }, Poco::Timespan(10, 0)));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		assertEveryProfileAccounted(agent.status());
		std::string metadata = asprof::test::readFile(dir.file("out/" + std::to_string(::getpid()) + "-1.json"));
		Poco::JSON::Object::Ptr json = Poco::JSON::Parser().parse(metadata).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT_EQUAL(std::string("unknown"), json->getObject("host")->getValue<std::string>("kind"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("host metadata not known after 500ms"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(AgentDeliveryTest);
