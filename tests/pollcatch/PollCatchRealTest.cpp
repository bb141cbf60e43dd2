// PollCatch with the real async-profiler, named by ASPROF_LIB (a visible
// SKIPPED line without it): a C event loop (before/after hooks) and a C++ one
// (PollScope), each with a 20 ms stall injected in a named function every
// 25 polls, run under the agent; the recordings must hold a
// tokio.PollcatchV1 event for (nearly) every stall, in the chunk's tick
// domain, lasting the stall, with the stalling function in the stacks
// sampled inside it; with the TSC clock and with the monotonic one.
#include "PollCatch.h"
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/PollScope.h"
#include "asprof/jfr/Input.h"
#include "asprof/jfr/Reader.h"
#include "asprof/pollcatch.h"
#include "Poco/Environment.h"
#include <algorithm>
#include <atomic>
#include <cppunit/extensions/HelperMacros.h>
#include <ctime>
#include <iostream>
#include <map>
#include <pthread.h>
#include <thread>
#include <vector>

using namespace asprof::agent;
using namespace asprof::jfr;
using asprof::test::TemporaryDirectory;

namespace {

const std::int64_t STALL_NANOS = 20000000;
const std::int64_t QUICK_NANOS = 100000;
const std::int64_t IDLE_NANOS = 200000;
const int STALL_EVERY = 25;
const std::int64_t LONG_POLL_NANOS = 15000000;
const char* const C_LOOP = "pc-c-loop";
const char* const CPP_LOOP = "pc-cpp-loop";
const char* const C_STALL = "asprof_pollcatch_test_c_stall";
const char* const CPP_STALL = "asprof_pollcatch_test_cpp_stall";

std::int64_t monotonicNanos()
{
	timespec now;
	::clock_gettime(CLOCK_MONOTONIC, &now);
	return static_cast<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

} // namespace

extern "C" __attribute__((noinline)) double asprof_pollcatch_test_spin(std::int64_t nanos)
{
	double sum = 0;
	std::int64_t end = monotonicNanos() + nanos;
	for (unsigned i = 1; monotonicNanos() < end; ++i) sum += 1.0 / i;
	return sum;
}

extern "C" __attribute__((noinline)) double asprof_pollcatch_test_c_stall(void)
{
	return asprof_pollcatch_test_spin(STALL_NANOS) + 1;
}

extern "C" __attribute__((noinline)) double asprof_pollcatch_test_cpp_stall(void)
{
	return asprof_pollcatch_test_spin(STALL_NANOS) + 2;
}

namespace {

/// Two event-loop threads from start() to stop(): idle (sleeping)
/// between polls, a poll is 100 µs of work or, every 25th, a stall.
/// Counts the stalls that ran wholly while recording was set.
class EventLoops
{
public:
	~EventLoops()
	{
		stop();
	}

	void start()
	{
		_threads.emplace_back([this]() { run(C_LOOP, false); });
		_threads.emplace_back([this]() { run(CPP_LOOP, true); });
	}

	void stop()
	{
		_stop = true;
		for (auto& thread : _threads) thread.join();
		_threads.clear();
	}

	std::atomic<bool> recording{false};
	std::atomic<int> stallsRecorded{0};

private:
	void run(const char* name, bool scoped)
	{
		pthread_setname_np(pthread_self(), name);
		volatile double sink = 0;
		for (int poll = 1; !_stop; ++poll)
		{
			timespec idle{0, IDLE_NANOS}; // waiting for the next event: not a poll
			::nanosleep(&idle, nullptr);
			bool stall = poll % STALL_EVERY == 0;
			bool recordedAtStart = recording;
			if (scoped)
			{
				PollScope scope;
				sink = sink + (stall ? asprof_pollcatch_test_cpp_stall() : asprof_pollcatch_test_spin(QUICK_NANOS));
			}
			else
			{
				asprof_pollcatch_before_poll();
				sink = sink + (stall ? asprof_pollcatch_test_c_stall() : asprof_pollcatch_test_spin(QUICK_NANOS));
				asprof_pollcatch_after_poll();
			}
			if (stall && recordedAtStart && recording) ++stallsRecorded;
		}
	}

	std::vector<std::thread> _threads;
	std::atomic<bool> _stop{false};
};

struct Poll
{
	std::uint64_t thread = 0; ///< java.lang.Thread pool id, of the chunk
	std::string threadName;
	std::uint64_t before = 0;
	std::uint64_t after = 0;
	std::int64_t durationNanos = 0;
	bool stallSampled = false; ///< a sample on its thread, inside it, has the stalling function
};

struct Sample
{
	std::uint64_t thread = 0;
	std::uint64_t time = 0;
	bool inStall = false;
};

/// Collects the PollCatch events of a recording, checks each against
/// its chunk's tick range, and matches the samples inside each poll.
class PollCatchVisitor: public RecordingVisitor
{
public:
	std::vector<Poll> polls;         ///< of every chunk
	std::vector<std::string> clocks; ///< jdk.ActiveSetting clock, per chunk
	std::vector<std::string> problems;
	int otherUserEvents = 0;

	void beginChunk(const Chunk&) override
	{
		_polls.clear();
		_samples.clear();
	}

	bool wants(const Chunk&, const Type& type) override
	{
		return type.name == "profiler.UserEvent" || type.name == "jdk.ExecutionSample" || type.name == "profiler.WallClockSample" ||
			type.name == "jdk.ActiveSetting";
	}

	void event(const Chunk& chunk, const Event& event) override
	{
		const Type& type = event.type();
		if (type.name == "jdk.ActiveSetting")
		{
			if (chunk.pools().text(event.value(type.fieldIndex("name"))) == "clock")
				clocks.push_back(chunk.pools().text(event.value(type.fieldIndex("value"))));
		}
		else if (type.name == "profiler.UserEvent")
			userEvent(chunk, event);
		else
			sample(chunk, event);
	}

	void endChunk(const Chunk& chunk) override
	{
		const ChunkHeader& header = chunk.header();
		std::uint64_t start = static_cast<std::uint64_t>(header.startTicks);
		double ticksPerNano = static_cast<double>(header.ticksPerSecond) / 1e9;
		std::uint64_t end = start + static_cast<std::uint64_t>(static_cast<double>(header.durationNanos) * ticksPerNano);
		std::uint64_t slack = static_cast<std::uint64_t>(5e6 * ticksPerNano); // 5 ms
		for (Poll& poll : _polls)
		{
			// A poll may have begun before the chunk (across a rotation), never
			// long before, and ends inside it; in another clock's domain the
			// values would be off by orders of magnitude.
			if (poll.after < start || poll.after > end + slack || poll.before > poll.after || poll.before + 1000 * slack < start)
				problems.push_back(chunk.inputName() + ": poll [" + std::to_string(poll.before) + ", " + std::to_string(poll.after) +
					"] outside the chunk's ticks [" + std::to_string(start) + ", " + std::to_string(end) + "]");
			poll.durationNanos = static_cast<std::int64_t>(static_cast<double>(poll.after - poll.before) / ticksPerNano);
			for (const Sample& sample : _samples)
			{
				if (sample.thread == poll.thread && sample.time >= poll.before && sample.time <= poll.after && sample.inStall)
					poll.stallSampled = true;
			}
			polls.push_back(poll);
		}
	}

private:
	std::string threadName(const Chunk& chunk, std::uint64_t thread)
	{
		const Type* threads = chunk.metadata().byName("java.lang.Thread");
		const ConstantPools::Entry* entry = threads ? chunk.pools().find(threads->id, thread) : nullptr;
		return entry ? chunk.pools().text(entry->values.at(static_cast<std::size_t>(threads->fieldIndex("osName")))) : std::string();
	}

	void userEvent(const Chunk& chunk, const Event& event)
	{
		const Type& type = event.type();
		const Field& typeField = type.fields.at(static_cast<std::size_t>(type.fieldIndex("type")));
		const ConstantPools::Entry* name = chunk.pools().find(typeField.typeId, event.value(type.fieldIndex("type")).integer);
		if (!name || name->values.empty() || chunk.pools().text(name->values[0]) != PollCatch::EVENT_TYPE)
		{
			++otherUserEvents;
			return;
		}
		const std::string& data = event.value(type.fieldIndex("data")).text;
		if (data.size() != 16)
		{
			problems.push_back("a payload of " + std::to_string(data.size()) + " bytes");
			return;
		}
		Poll poll;
		for (int i = 7; i >= 0; --i)
		{
			poll.before = poll.before << 8 | static_cast<unsigned char>(data[static_cast<std::size_t>(i)]);
			poll.after = poll.after << 8 | static_cast<unsigned char>(data[static_cast<std::size_t>(i) + 8]);
		}
		poll.thread = event.value(type.fieldIndex("eventThread")).integer;
		poll.threadName = threadName(chunk, poll.thread);
		_polls.push_back(poll);
	}

	void sample(const Chunk& chunk, const Event& event)
	{
		const Type& type = event.type();
		Sample sample;
		sample.thread = event.value(type.fieldIndex("sampledThread")).integer;
		sample.time = event.value(type.fieldIndex("startTime")).integer;
		const StackTrace* stack = chunk.pools().stackTrace(event.value(type.fieldIndex("stackTrace")).integer);
		const Type* methods = chunk.metadata().byName("jdk.types.Method");
		for (std::size_t i = 0; stack && methods && i < stack->frames.size(); ++i)
		{
			const ConstantPools::Entry* method = chunk.pools().find(methods->id, stack->frames[i].method);
			if (!method) continue;
			const Value& name = method->values.at(static_cast<std::size_t>(methods->fieldIndex("name")));
			const std::string* symbol = chunk.pools().symbol(name.integer);
			if (symbol && (*symbol == C_STALL || *symbol == CPP_STALL)) sample.inStall = true;
		}
		_samples.push_back(sample);
	}

	std::vector<Poll> _polls;
	std::vector<Sample> _samples;
};

std::string agentIni(const std::string& library, const std::string& directory, const std::string& extraArgs)
{
	std::string ini = "[agent]\nlibrary = " + library + "\npluginDir = " ASPROF_BUILD_PLUGIN_DIR "\n";
	ini += "reportingInterval = 1s\nreporter = local\nmetadata = onprem\n";
	ini += "[profiler]\ncpuInterval = 1ms\nwallInterval = 50ms\n" + (extraArgs.empty() ? "" : "extraArgs = " + extraArgs + "\n");
	return ini + "[reporter.local]\ntype = local\ndirectory = " + directory + "\n";
}

} // namespace

class PollCatchRealTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PollCatchRealTest);
	CPPUNIT_TEST(testInjectedStallsAreCaughtWithTheDefaultClock);
	CPPUNIT_TEST(testInjectedStallsAreCaughtWithTheMonotonicClock);
	CPPUNIT_TEST_SUITE_END();

public:
	void testInjectedStallsAreCaughtWithTheDefaultClock()
	{
		// The agent names the clock async-profiler would pick: the TSC here
		// unless the CPU lacks an invariant one.
		runLoops("", PollCatch::tscUsable() ? "tsc" : "monotonic");
	}

	void testInjectedStallsAreCaughtWithTheMonotonicClock()
	{
		runLoops("clock=monotonic", "monotonic");
	}

private:
	void runLoops(const std::string& extraArgs, const std::string& clock)
	{
		std::string library = Poco::Environment::get("ASPROF_LIB", "");
		if (library.empty())
		{
			std::cout << "SKIPPED: pollcatch-tests (real async-profiler, clock=" << clock
					  << "): set ASPROF_LIB=/path/to/libasyncProfiler.so to run it" << std::endl;
			return;
		}
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(agentIni(library, out.path(), extraArgs), "pollcatch-real.ini"));
		EventLoops loops;
		loops.start();
		agent.start();
		CPPUNIT_ASSERT_EQUAL(1, asprof_pollcatch_enabled());
		loops.recording = true;
		bool rotated = asprof::test::waitUntil([&]() { return agent.status().rotations >= 3; }, Poco::Timespan(60, 0));
		loops.recording = false;
		bool stopped = agent.stop(Poco::Timespan(30, 0));
		loops.stop();
		CPPUNIT_ASSERT_MESSAGE(agent.status().lastError, rotated && stopped);

		PollCatchVisitor visitor;
		for (const auto& name : asprof::test::listFiles(out.path()))
		{
			Input input = Input::open(out.file(name));
			Reader(input).read(visitor);
		}
		checkPolls(visitor, clock, loops.stallsRecorded);
	}

	void checkPolls(const PollCatchVisitor& visitor, const std::string& clock, int stalls)
	{
		for (const auto& problem : visitor.problems) CPPUNIT_FAIL(problem);
		CPPUNIT_ASSERT(!visitor.clocks.empty());
		for (const auto& recorded : visitor.clocks) CPPUNIT_ASSERT_EQUAL(clock, recorded);
		int longPolls = 0, stallSampled = 0, shortPolls = 0;
		std::int64_t shortest = STALL_NANOS * 100, longest = 0;
		for (const Poll& poll : visitor.polls)
		{
			CPPUNIT_ASSERT_MESSAGE(poll.threadName, poll.threadName == C_LOOP || poll.threadName == CPP_LOOP);
			if (poll.durationNanos < LONG_POLL_NANOS)
			{
				++shortPolls;
				continue;
			}
			++longPolls;
			stallSampled += poll.stallSampled ? 1 : 0;
			shortest = std::min(shortest, poll.durationNanos);
			longest = std::max(longest, poll.durationNanos);
		}
		std::cout << "pollcatch-tests: clock=" << clock << ": " << stalls << " stalls injected while recording, " << longPolls
				  << " long polls recorded (" << shortest / 1000 << "-" << longest / 1000 << " µs), " << stallSampled
				  << " with the stalling function in a sample inside, " << shortPolls << " short polls sampled" << std::endl;
		CPPUNIT_ASSERT(stalls >= 20);
		// Every stall (but one at a rotation, in the gap) recorded, few false positives.
		CPPUNIT_ASSERT_MESSAGE("long polls recorded for the stalls", longPolls * 10 >= stalls * 9);
		CPPUNIT_ASSERT_MESSAGE("no more long polls than stalls", longPolls <= stalls + 2 + stalls / 10);
		CPPUNIT_ASSERT(shortest >= STALL_NANOS * 95 / 100);
		CPPUNIT_ASSERT_MESSAGE("stalling function in the stacks of the long polls", stallSampled * 10 >= longPolls * 8);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PollCatchRealTest);
