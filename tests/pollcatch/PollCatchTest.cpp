// The PollCatch hooks (asprof/pollcatch.h, PollScope) with the fake
// libasyncProfiler.so: a sample landing on a thread is the test writing the
// thread's sample counter, as async-profiler does.
#include "AsyncProfiler.h"
#include "FakeUserEvents.h"
#include "PollCatch.h"
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/PollScope.h"
#include "asprof/pollcatch.h"
#include <atomic>
#include <cppunit/extensions/HelperMacros.h>
#include <ctime>
#include <stdexcept>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

using namespace asprof::agent;
using asprof::test::FakeEvent;
using asprof::test::FakeProfilerSetting;
using asprof::test::FakeUserEvents;
using asprof::test::TemporaryDirectory;

namespace {

std::string agentIni(const TemporaryDirectory& out, const std::string& profiler = "", const std::string& library = ASPROF_FAKE_PROFILER)
{
	std::string ini = asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + out.path() + "\n");
	std::string::size_type at = ini.find(ASPROF_FAKE_PROFILER);
	ini.replace(at, std::string(ASPROF_FAKE_PROFILER).size(), library);
	return ini + (profiler.empty() ? "" : "[profiler]\n" + profiler + "\n");
}

std::uint64_t monotonicNanos()
{
	timespec now;
	::clock_gettime(CLOCK_MONOTONIC, &now);
	return static_cast<std::uint64_t>(now.tv_sec) * 1000000000u + static_cast<std::uint64_t>(now.tv_nsec);
}

std::uint64_t tscTicks()
{
#if defined(__x86_64__)
	return __rdtsc();
#elif defined(__aarch64__)
	std::uint64_t ticks;
	asm volatile("mrs %0, cntvct_el0" : "=r"(ticks));
	return ticks;
#else
	return 0;
#endif
}

long threadId()
{
	return static_cast<long>(::syscall(SYS_gettid));
}

// The last start command in the fake's log.
std::string lastStart(const std::string& log)
{
	std::string command;
	for (const auto& line : asprof::test::readLines(log))
	{
		std::string::size_type start = line.find(" start,");
		if (start != std::string::npos) command = line.substr(start + 1);
	}
	return command;
}

long startThread(const std::string& log)
{
	for (const auto& line : asprof::test::readLines(log))
	{
		if (line.find(" start,") != std::string::npos) return std::stol(line);
	}
	return 0;
}

} // namespace

class PollCatchTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PollCatchTest);
	CPPUNIT_TEST(testHooksDoNothingWithoutAnAgent);
	CPPUNIT_TEST(testPollWithASampleEmitsOneSixteenByteEvent);
	CPPUNIT_TEST(testPollWithoutASampleEmitsNothing);
	CPPUNIT_TEST(testAfterWithoutBeforeEmitsNothing);
	CPPUNIT_TEST(testNestedScopesAreEachRecorded);
	CPPUNIT_TEST(testAroundAndWrapRunTheFunctionAsAPoll);
	CPPUNIT_TEST(testManyThreadsRecordOnlyTheirOwnSampledPolls);
	CPPUNIT_TEST(testRegistersTheEventOnceOnTheControlThread);
	CPPUNIT_TEST(testCommandNamesTheClockTheHooksRead);
	CPPUNIT_TEST(testMonotonicClockGivesNanosecondsOfClockMonotonic);
	CPPUNIT_TEST(testPollSpanningStopOrRestartIsNotRecorded);
	CPPUNIT_TEST(testForkedChildHasTheHooksOff);
	CPPUNIT_TEST(testLibraryWithoutUserEventsLeavesHooksOffAndCommandAlone);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		FakeUserEvents::reset();
		_dir.reset(new TemporaryDirectory);
		_log.reset(new FakeProfilerSetting("ASPROF_FAKE_LOG", _dir->file("fake.log")));
	}

	void tearDown() override
	{
		_log.reset();
		_dir.reset();
		FakeUserEvents::reset();
	}

	void testHooksDoNothingWithoutAnAgent()
	{
		CPPUNIT_ASSERT_EQUAL(0, asprof_pollcatch_enabled());
		asprof_pollcatch_before_poll();
		FakeUserEvents::landSample();
		asprof_pollcatch_after_poll();
		{
			PollScope poll;
			FakeUserEvents::landSample();
		}
		asprof_pollcatch_poll poll;
		asprof_pollcatch_enter(&poll);
		FakeUserEvents::landSample();
		asprof_pollcatch_leave(&poll);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), FakeUserEvents::emitted());
	}

	void testPollWithASampleEmitsOneSixteenByteEvent()
	{
		Agent agent(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		agent.start();
		CPPUNIT_ASSERT_EQUAL(1, asprof_pollcatch_enabled());
		bool tsc = PollCatch::tscUsable();
		std::uint64_t earliest = tsc ? tscTicks() : monotonicNanos();
		asprof_pollcatch_before_poll();
		FakeUserEvents::landSample();
		asprof_pollcatch_after_poll();
		std::uint64_t latest = tsc ? tscTicks() : monotonicNanos();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), FakeUserEvents::emitted());
		agent.stop();

		FakeEvent event = FakeUserEvents::last();
		CPPUNIT_ASSERT_EQUAL(100, event.key); // the key the fake gave for the registered name
		CPPUNIT_ASSERT_EQUAL(threadId(), event.thread);
		CPPUNIT_ASSERT_EQUAL(std::size_t(16), event.payload.size());
		CPPUNIT_ASSERT(earliest <= event.before());
		CPPUNIT_ASSERT(event.before() <= event.after());
		CPPUNIT_ASSERT(event.after() <= latest);
		CPPUNIT_ASSERT_EQUAL(0, asprof_pollcatch_enabled());
	}

	void testPollWithoutASampleEmitsNothing()
	{
		Agent agent(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		agent.start();
		for (int i = 0; i < 1000; ++i)
		{
			asprof_pollcatch_before_poll();
			asprof_pollcatch_after_poll();
			PollScope poll;
		}
		FakeUserEvents::landSample(); // between polls: idle time
		asprof_pollcatch_before_poll();
		asprof_pollcatch_after_poll();
		agent.stop();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), FakeUserEvents::emitted());
	}

	void testAfterWithoutBeforeEmitsNothing()
	{
		Agent agent(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		agent.start();
		asprof_pollcatch_before_poll();
		FakeUserEvents::landSample();
		asprof_pollcatch_after_poll();
		FakeUserEvents::landSample();
		asprof_pollcatch_after_poll(); // the slot is empty now
		agent.stop();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), FakeUserEvents::emitted());
	}

	void testNestedScopesAreEachRecorded()
	{
		Agent agent(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		agent.start();
		{
			PollScope outer;
			{
				PollScope inner;
				FakeUserEvents::landSample();
			}
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), FakeUserEvents::emitted()); // the inner one
		}
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), FakeUserEvents::emitted()); // and the outer one
		FakeEvent outer = FakeUserEvents::last();
		{
			PollScope outer2;
			{
				PollScope inner2; // no sample in here
			}
			FakeUserEvents::landSample();
		}
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), FakeUserEvents::emitted()); // only the outer one
		// The C slot is independent of scopes nested in its poll.
		asprof_pollcatch_before_poll();
		{
			PollScope inner;
		}
		FakeUserEvents::landSample();
		asprof_pollcatch_after_poll();
		agent.stop();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), FakeUserEvents::emitted());
		CPPUNIT_ASSERT(outer.before() <= outer.after());
	}

	void testAroundAndWrapRunTheFunctionAsAPoll()
	{
		Agent agent(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		agent.start();
		int result = PollScope::around(
			[](int a, int b) {
				FakeUserEvents::landSample();
				return a + b;
			},
			2, 3);
		CPPUNIT_ASSERT_EQUAL(5, result);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), FakeUserEvents::emitted());
		auto handler = PollScope::wrap([](const std::string& text) -> std::size_t {
			if (text == "slow") FakeUserEvents::landSample();
			return text.size();
		});
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), handler("fast"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), FakeUserEvents::emitted());
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), handler("slow"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), FakeUserEvents::emitted());
		// An exception ends the poll (recorded) and propagates.
		CPPUNIT_ASSERT_THROW(PollScope::around([]() {
			FakeUserEvents::landSample();
			throw std::runtime_error("handler failed");
		}),
			std::runtime_error);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), FakeUserEvents::emitted());
		agent.stop();
	}

	void testManyThreadsRecordOnlyTheirOwnSampledPolls()
	{
		const int threads = 8;
		const int polls = 2000;
		Agent agent(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		agent.start();
		std::vector<std::thread> loops;
		for (int t = 0; t < threads; ++t)
		{
			loops.emplace_back([&, t]() {
				for (int i = 0; i < polls; ++i)
				{
					bool sampled = i % 10 == t % 10;
					if (t % 2 == 0)
					{
						asprof_pollcatch_before_poll();
						if (sampled) FakeUserEvents::landSample();
						asprof_pollcatch_after_poll();
					}
					else
					{
						PollScope poll;
						if (sampled) FakeUserEvents::landSample();
					}
				}
			});
		}
		for (auto& loop : loops) loop.join();
		agent.stop();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(threads * polls / 10), FakeUserEvents::emitted());
	}

	void testRegistersTheEventOnceOnTheControlThread()
	{
		Agent agent(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		agent.start();
		CPPUNIT_ASSERT(asprof::test::waitUntil([&]() { return agent.status().rotations >= 2; }));
		agent.stop();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), FakeUserEvents::registrations());
		CPPUNIT_ASSERT_EQUAL(std::string("tokio.PollcatchV1"), FakeUserEvents::lastRegisteredName());
		CPPUNIT_ASSERT_EQUAL(startThread(_dir->file("fake.log")), FakeUserEvents::lastRegisteringThread());
		CPPUNIT_ASSERT(FakeUserEvents::lastRegisteringThread() != threadId());
	}

	void testCommandNamesTheClockTheHooksRead()
	{
		Agent agent(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		agent.start();
		agent.stop();
		std::string command = lastStart(_dir->file("fake.log"));
		std::string expected = PollCatch::tscUsable() ? ",clock=tsc" : ",clock=monotonic";
		CPPUNIT_ASSERT_MESSAGE(
			command, command.size() > expected.size() && command.compare(command.size() - expected.size(), expected.size(), expected) == 0);
		// The profile tells the command as it ran.
		std::string metadata = asprof::test::readFile(_dir->file(std::to_string(::getpid()) + "-1.json"));
		CPPUNIT_ASSERT_MESSAGE(metadata, metadata.find("log=stderr" + expected + "\"") != std::string::npos);

		// The user's clock stays as given, and is the one the hooks read.
		ProfilerSettings settings;
		settings.extraArgs = "threads,CLOCK=monotonic";
		CPPUNIT_ASSERT_EQUAL(PollCatchTarget::MONOTONIC, PollCatch::clockOf(settings));
		settings.extraArgs = "clock=monotonic,clock=tsc"; // the last one counts
		CPPUNIT_ASSERT_EQUAL(PollCatch::tscUsable() ? PollCatchTarget::TSC : PollCatchTarget::MONOTONIC, PollCatch::clockOf(settings));
		Agent own(AgentConfig::fromIni(agentIni(*_dir, "extraArgs = threads,clock=monotonic"), "pollcatch.ini"));
		own.start();
		own.stop();
		command = lastStart(_dir->file("fake.log"));
		CPPUNIT_ASSERT_MESSAGE(command, command.find(",threads,clock=monotonic") + 24 == command.size());
	}

	void testMonotonicClockGivesNanosecondsOfClockMonotonic()
	{
		Agent agent(AgentConfig::fromIni(agentIni(*_dir, "extraArgs = clock=monotonic"), "pollcatch.ini"));
		agent.start();
		std::uint64_t earliest = monotonicNanos();
		asprof_pollcatch_before_poll();
		FakeUserEvents::landSample();
		std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the poll's work, not a wait for a thread
		asprof_pollcatch_after_poll();
		std::uint64_t latest = monotonicNanos();
		agent.stop();
		FakeEvent event = FakeUserEvents::last();
		CPPUNIT_ASSERT(earliest <= event.before());
		CPPUNIT_ASSERT(event.after() <= latest);
		CPPUNIT_ASSERT(event.after() - event.before() >= 20000000u);
	}

	void testPollSpanningStopOrRestartIsNotRecorded()
	{
		Agent first(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		first.start();
		PollScope spanningStop;
		asprof_pollcatch_before_poll();
		first.stop();
		FakeUserEvents::landSample();
		asprof_pollcatch_after_poll(); // no agent: nothing, and nothing crashes
		Agent second(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		second.start();
		{
			PollScope spanningRestart;
			asprof_pollcatch_before_poll();
			FakeUserEvents::landSample();
			second.stop();
			second.start();
			asprof_pollcatch_after_poll(); // begun under the previous start: dropped
		}
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), FakeUserEvents::emitted());
		{
			PollScope fresh;
			FakeUserEvents::landSample();
		}
		second.stop();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), FakeUserEvents::emitted());
		FakeUserEvents::landSample();
	} // spanningStop ends with no agent: nothing

	void testForkedChildHasTheHooksOff()
	{
		Agent agent(AgentConfig::fromIni(agentIni(*_dir), "pollcatch.ini"));
		agent.start();
		pid_t child = ::fork();
		if (child == 0) ::_exit(asprof_pollcatch_enabled() ? 1 : 0); // the parent's agent is not the child's
		int status = -1;
		::waitpid(child, &status, 0);
		CPPUNIT_ASSERT_EQUAL(1, asprof_pollcatch_enabled());
		agent.stop();
		CPPUNIT_ASSERT(WIFEXITED(status));
		CPPUNIT_ASSERT_EQUAL(0, WEXITSTATUS(status));
	}

	void testLibraryWithoutUserEventsLeavesHooksOffAndCommandAlone()
	{
		Agent agent(AgentConfig::fromIni(agentIni(*_dir, "", ASPROF_FAKE_PROFILER_NO_EVENTS), "pollcatch.ini"));
		agent.start();
		CPPUNIT_ASSERT_EQUAL(0, asprof_pollcatch_enabled());
		asprof_pollcatch_before_poll();
		asprof_pollcatch_after_poll();
		agent.stop();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), agent.status().profilerErrors);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), FakeUserEvents::emitted());
		AsyncProfiler& profiler = AsyncProfiler::load(ASPROF_FAKE_PROFILER_NO_EVENTS); // the agent's, already loaded
		CPPUNIT_ASSERT(!PollCatch::supported(profiler));
		ProfilerSettings settings;
		settings.extraArgs = "threads";
		CPPUNIT_ASSERT_EQUAL(std::string("threads"), PollCatch::withClock(profiler, settings).extraArgs);
	}

private:
	std::unique_ptr<TemporaryDirectory> _dir;
	std::unique_ptr<FakeProfilerSetting> _log;
};

CPPUNIT_TEST_SUITE_REGISTRATION(PollCatchTest);
