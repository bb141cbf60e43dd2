// Rotations with the real async-profiler, named by ASPROF_LIB.
// Without ASPROF_LIB the suite prints a visible SKIPPED line and passes.
//
// Written for loaded machines: the test waits for the agent's own count of
// rotations, tells full intervals from the final short one by the recordings'
// chunk headers (not by how many files there are), and samples CPU every 1ms
// in 2s intervals, so busy workers that get only a few milliseconds of CPU in
// an interval still leave samples in it.
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/jfr/Reader.h"
#include "asprof/jfr/StackCollector.h"
#include "asprof/jfr/Summary.h"
#include "Poco/Environment.h"
#include "Poco/File.h"
#include "Poco/Pipe.h"
#include "Poco/PipeStream.h"
#include "Poco/Process.h"
#include "Poco/StreamCopier.h"
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cppunit/extensions/HelperMacros.h>
#include <ctime>
#include <iostream>
#include <pthread.h>
#include <sstream>
#include <thread>

using namespace asprof;
using namespace asprof::agent;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;

extern "C" __attribute__((noinline)) double asprof_integration_burn(const std::atomic<bool>* stop)
{
	double sum = 0;
	for (unsigned long i = 1; !stop->load(std::memory_order_relaxed); ++i) sum += std::sqrt(static_cast<double>(i % 1009));
	return sum;
}

namespace {

const int FULL_INTERVALS = 3;
const int BUSY_WORKERS = 2;
const char* const BUSY_FRAME = "asprof_integration_burn";

/// Threads named asprof-it-burn that run asprof_integration_burn from
/// start() until stop(), and add up the CPU time they got.
class BusyWorkers
{
public:
	~BusyWorkers()
	{
		stop();
	}

	/// Starts count workers; returns true once every one of them runs.
	bool start(int count)
	{
		for (int i = 0; i < count; ++i) _threads.emplace_back([this]() { burn(); });
		return waitUntil([&]() { return _running.load() == count; }, Poco::Timespan(30, 0));
	}

	void stop()
	{
		_stop = true;
		for (auto& thread : _threads) thread.join();
		_threads.clear();
	}

	/// The workers' CPU time; complete after stop().
	long cpuMilliseconds() const
	{
		return static_cast<long>(_cpuNanos.load() / 1000000);
	}

private:
	void burn()
	{
		pthread_setname_np(pthread_self(), "asprof-it-burn");
		++_running;
		volatile double sink = asprof_integration_burn(&_stop);
		(void)sink;
		timespec used{};
		::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &used);
		_cpuNanos += static_cast<std::uint64_t>(used.tv_sec) * 1000000000 + static_cast<std::uint64_t>(used.tv_nsec);
	}

	std::vector<std::thread> _threads;
	std::atomic<bool> _stop{false};
	std::atomic<int> _running{0};
	std::atomic<std::uint64_t> _cpuNanos{0};
};

/// A recording on disk and the time it covers, from its chunk headers.
struct RecordingFile
{
	std::string name;
	std::uint64_t startNanos = 0; ///< epoch nanoseconds
	std::uint64_t endNanos = 0;
};

std::uint64_t bigEndian(const std::string& data, std::size_t offset, int bytes)
{
	std::uint64_t value = 0;
	for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(data[offset + i]);
	return value;
}

// Walks the chunk headers: magic, version 2.x, sizes adding up to the file;
// returns the span from the first chunk's start to the last chunk's end.
RecordingFile checkChunks(const std::string& name, const std::string& data)
{
	RecordingFile recording{name};
	std::size_t offset = 0;
	int chunks = 0;
	while (offset < data.size())
	{
		CPPUNIT_ASSERT_MESSAGE(name + ": header fits", offset + 68 <= data.size());
		CPPUNIT_ASSERT_MESSAGE(name + ": magic", data.compare(offset, 4, std::string("FLR\0", 4)) == 0);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": major version", std::uint64_t(2), bigEndian(data, offset + 4, 2));
		std::uint64_t size = bigEndian(data, offset + 8, 8);
		CPPUNIT_ASSERT_MESSAGE(name + ": chunk size within the file", size >= 68 && offset + size <= data.size());
		CPPUNIT_ASSERT_MESSAGE(name + ": ticks per second", bigEndian(data, offset + 56, 8) > 0);
		std::uint64_t start = bigEndian(data, offset + 32, 8);
		CPPUNIT_ASSERT_MESSAGE(name + ": chunk start time", start > 0);
		if (chunks == 0) recording.startNanos = start;
		recording.endNanos = start + bigEndian(data, offset + 40, 8);
		offset += size;
		++chunks;
	}
	CPPUNIT_ASSERT(chunks >= 1);
	return recording;
}

std::string jfrTool()
{
	std::string javaHome = Poco::Environment::get("JAVA_HOME", "");
	std::vector<std::string> candidates;
	if (!javaHome.empty()) candidates.push_back(javaHome + "/bin/jfr");
	candidates.push_back("/usr/bin/jfr");
	for (const auto& candidate : candidates)
	{
		if (Poco::File(candidate).exists()) return candidate;
	}
	return "";
}

struct Samples
{
	long total = 0;      ///< jdk.ExecutionSample events
	long ofBusyWork = 0; ///< those with asprof_integration_burn on the stack
};

// "jfr print" reads every event of the file (and fails on a broken one) but
// prints only the CPU samples, each as "jdk.ExecutionSample {" followed by
// its top frames.
Samples executionSamples(const std::string& tool, const std::string& file)
{
	Poco::Pipe output;
	Poco::ProcessHandle handle =
		Poco::Process::launch(tool, {"print", "--events", "jdk.ExecutionSample", "--stack-depth", "3", file}, nullptr, &output, &output);
	Poco::PipeInputStream in(output);
	Samples samples;
	bool counted = true;
	std::string line, head;
	while (std::getline(in, line))
	{
		if (head.size() < 2000) head += line + "\n";
		if (line.compare(0, 21, "jdk.ExecutionSample {") == 0)
		{
			++samples.total;
			counted = false;
		}
		else if (!counted && line.find(BUSY_FRAME) != std::string::npos)
		{
			++samples.ofBusyWork;
			counted = true;
		}
	}
	CPPUNIT_ASSERT_EQUAL_MESSAGE("jfr print " + file + ":\n" + head, 0, handle.wait());
	return samples;
}

// The same counts by our own reader (libasprof-jfr), for the same file: CPU
// samples in all, and those with the busy frame in the top three frames.
Samples ourSamples(const std::string& file)
{
	struct Counter: asprof::jfr::SampleSink
	{
		Samples samples;
		void add(const std::vector<const asprof::jfr::NamedFrame*>& stack, std::int64_t count, std::int64_t) override
		{
			samples.total += static_cast<int>(count);
			// Among the top three frames, as jfr print --stack-depth 3 shows them.
			for (std::size_t i = stack.size() > 3 ? stack.size() - 3 : 0; i < stack.size(); ++i)
			{
				if (stack[i]->name == BUSY_FRAME)
				{
					samples.ofBusyWork += static_cast<int>(count);
					break;
				}
			}
		}
	} counter;
	asprof::jfr::Input input = asprof::jfr::Input::open(file);
	asprof::jfr::StackCollector collector(asprof::jfr::CollectOptions(), counter);
	asprof::jfr::Reader(input).read(collector);
	collector.finish();
	// Every jdk.ExecutionSample is a CPU sample, nothing else is.
	asprof::jfr::Summary summary = asprof::jfr::Summary::of(input);
	auto found = summary.events.find("jdk.ExecutionSample");
	CPPUNIT_ASSERT_EQUAL_MESSAGE(
		file, found == summary.events.end() ? std::uint64_t(0) : found->second.count, static_cast<std::uint64_t>(counter.samples.total));
	// Every recording says its own settings, even a chunk that async-profiler
	// started without them (rotation = dump): the agent appends a copy.
	CPPUNIT_ASSERT_EQUAL_MESSAGE(file + ": its CPU interval (jdk.ActiveSetting)", std::string("1000000"), summary.settings["interval"]);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(file + ": its wall interval (jdk.ActiveSetting)", std::string("100000000"), summary.settings["wall"]);
	CPPUNIT_ASSERT_MESSAGE(file + ": async-profiler's version", !summary.profilerVersion().empty());
	return counter.samples;
}

std::string agentIni(const std::string& library, const std::string& directory, const std::string& rotation)
{
	std::string ini = "[agent]\nlibrary = " + library + "\npluginDir = " ASPROF_BUILD_PLUGIN_DIR "\n";
	ini += "reportingInterval = 2s\nreporter = local\nmetadata = onprem\nrotation = " + rotation + "\n";
	ini += "[profiler]\ncpuInterval = 1ms\nwallInterval = 100ms\n";
	return ini + "[reporter.local]\ntype = local\ndirectory = " + directory + "\n";
}

} // namespace

class RealProfilerTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RealProfilerTest);
	CPPUNIT_TEST(testEveryIntervalIsDeliveredAsAValidRecordingWithSamplesOfTheBusyWork);
	CPPUNIT_TEST(testEveryChunkSwitchDeliversAValidRecordingOfItsOwnInterval);
	CPPUNIT_TEST_SUITE_END();

public:
	// rotation = restart: stop + start into a fresh file every interval.
	void testEveryIntervalIsDeliveredAsAValidRecordingWithSamplesOfTheBusyWork()
	{
		AgentStatus status;
		std::vector<RecordingFile> recordings;
		if (!profileBusyWork("restart", status, recordings)) return;
		CPPUNIT_ASSERT_EQUAL(std::string("restart"), status.rotationStrategy);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.chunkSwitches);
	}

	// rotation = dump: one file, a chunk switch per interval;
	// each delivered recording is the chunk of its own interval, valid on its
	// own, and the intervals abut: each chunk starts exactly where the one
	// before ended (async-profiler's header times), so no time falls between.
	void testEveryChunkSwitchDeliversAValidRecordingOfItsOwnInterval()
	{
		AgentStatus status;
		std::vector<RecordingFile> recordings;
		if (!profileBusyWork("dump", status, recordings)) return;
		CPPUNIT_ASSERT_EQUAL_MESSAGE(status.lastError, std::string("dump"), status.rotationStrategy);
		CPPUNIT_ASSERT(status.chunkSwitches >= FULL_INTERVALS);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.restarts);
		for (std::size_t i = 1; i < recordings.size(); ++i)
		{
			CPPUNIT_ASSERT_EQUAL_MESSAGE(recordings[i].name + " starts where " + recordings[i - 1].name + " ended",
				recordings[i - 1].endNanos, recordings[i].startNanos);
		}
	}

private:
	// Profiles busy workers with the given rotation until FULL_INTERVALS
	// rotations ran, stops, and checks every recording delivered. False
	// (SKIPPED) without ASPROF_LIB.
	bool profileBusyWork(const std::string& rotation, AgentStatus& status, std::vector<RecordingFile>& recordings)
	{
		std::string library = Poco::Environment::get("ASPROF_LIB", "");
		if (library.empty())
		{
			std::cout << "SKIPPED: integration-tests: set ASPROF_LIB=/path/to/libasyncProfiler.so to run against the real async-profiler"
					  << std::endl;
			return false;
		}
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(agentIni(library, out.path(), rotation), "integration.ini"));
		BusyWorkers workers;
		CPPUNIT_ASSERT_MESSAGE("busy workers running", workers.start(BUSY_WORKERS));
		agent.start();
		// Rotations are counted after the next recording started, so the
		// FULL_INTERVALS recordings before it ended at a rotation.
		bool rotated = waitUntil([&]() { return agent.status().rotations >= FULL_INTERVALS; }, Poco::Timespan(60, 0));
		bool stopped = agent.stop(Poco::Timespan(30, 0));
		workers.stop();
		status = agent.status();
		CPPUNIT_ASSERT_MESSAGE(status.lastError, rotated);
		CPPUNIT_ASSERT_MESSAGE("every recording delivered by stop", stopped);

		assertNothingLost(status);
		recordings = readRecordings(out, status);
		std::string samples = checkSamples(out, recordings);
		std::cout << "integration-tests (rotation = " << status.rotationStrategy << "): " << recordings.size() << " recordings from "
				  << status.library << "; busy workers got " << workers.cpuMilliseconds()
				  << "ms CPU; CPU samples per recording: " << samples << std::endl;
		return true;
	}

	// Every rotation, the final stop included, handed over one non-empty
	// recording, and the lane delivered each of them.
	void assertNothingLost(const AgentStatus& status)
	{
		CPPUNIT_ASSERT(!status.running);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(status.lastError, std::uint64_t(0), status.profilerErrors);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.emptyRecordings);
		CPPUNIT_ASSERT_EQUAL(status.rotations, status.recordings);
		CPPUNIT_ASSERT(status.recordings >= FULL_INTERVALS + 1);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), status.lanes.size());
		const LaneStatus& lane = status.lanes[0];
		CPPUNIT_ASSERT_EQUAL(lane.received(), lane.settled());
		CPPUNIT_ASSERT_EQUAL(status.recordings, lane.enqueued);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(lane.lastError, status.recordings, lane.delivered);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), lane.queued);
	}

	// One well-formed file per delivered recording, ordered by the start
	// time in its chunk header; no two recordings start together.
	std::vector<RecordingFile> readRecordings(const TemporaryDirectory& out, const AgentStatus& status)
	{
		std::vector<std::string> files = asprof::test::listFiles(out.path());
		CPPUNIT_ASSERT_EQUAL(status.lanes[0].delivered, static_cast<std::uint64_t>(files.size()));
		std::vector<RecordingFile> recordings;
		for (const auto& name : files) recordings.push_back(checkChunks(name, asprof::test::readFile(out.file(name))));
		std::sort(recordings.begin(), recordings.end(),
			[](const RecordingFile& a, const RecordingFile& b) { return a.startNanos < b.startNanos; });
		for (std::size_t i = 1; i < recordings.size(); ++i)
		{
			CPPUNIT_ASSERT_MESSAGE(recordings[i].name + " starts after " + recordings[i - 1].name + " started",
				recordings[i].startNanos > recordings[i - 1].startNanos);
		}
		return recordings;
	}

	// All but the last recording ended at a rotation: each of those full
	// intervals must hold CPU samples of the busy workers. The last one,
	// ended by stop() right after a rotation, is only checked for validity.
	// Returns the sample counts, for the log.
	std::string checkSamples(const TemporaryDirectory& out, const std::vector<RecordingFile>& recordings)
	{
		std::string tool = jfrTool();
		if (tool.empty())
		{
			std::cout << "integration-tests: no JDK jfr tool found; checked chunk headers only" << std::endl;
			return "not counted";
		}
		std::string counts;
		for (std::size_t i = 0; i < recordings.size(); ++i)
		{
			const RecordingFile& recording = recordings[i];
			Samples samples = executionSamples(tool, out.file(recording.name));
			counts += (i ? " " : "") + std::to_string(samples.ofBusyWork) + "/" + std::to_string(samples.total);
			// Fresh recordings of the real library read the same by asprof-jfr as by the JDK.
			Samples ours = ourSamples(out.file(recording.name));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(recording.name + ": CPU samples, asprof::jfr vs jfr print", samples.total, ours.total);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(recording.name + ": busy samples, asprof::jfr vs jfr print", samples.ofBusyWork, ours.ofBusyWork);
			if (i + 1 == recordings.size()) break;
			std::string interval = recording.name + " (full interval " + std::to_string(i + 1) + ", " +
				std::to_string((recording.endNanos - recording.startNanos) / 1000000) + "ms, " + std::to_string(samples.total) +
				" CPU samples)";
			CPPUNIT_ASSERT_MESSAGE(interval + " has samples of " + BUSY_FRAME, samples.ofBusyWork > 0);
		}
		return counts + " (busy work/all; the last is the final short one)";
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RealProfilerTest);
