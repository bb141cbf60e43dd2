//
// JfrReaderTest.cpp
//
// libasprof-jfr on real async-profiler recordings (tests/data, facts from
// their README in the shared folder) and on broken ones: every problem is a
// JfrError naming input, chunk and offset, never a crash.
//

#include "TestSupport.h"
#include "../fuzz/ReadEverything.h"
#include "asprof/jfr/FlameGraph.h"
#include "asprof/jfr/JfrError.h"
#include "asprof/jfr/PollCatch.h"
#include "asprof/jfr/Reader.h"
#include "asprof/jfr/StackCollector.h"
#include "asprof/jfr/Summary.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/File.h"
#include "Poco/FileStream.h"
#include "Poco/Random.h"
#include "Poco/Zip/Compress.h"
#include <cmath>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <sys/mman.h>
#include <unistd.h>

using namespace asprof::jfr;
using asprof::test::dataFile;
using asprof::test::readFile;
using asprof::test::TemporaryDirectory;

namespace {

std::map<std::string, std::uint64_t> counts(const std::string& file)
{
	Summary summary = Summary::of(Input::open(dataFile(file)));
	std::map<std::string, std::uint64_t> result;
	for (const auto& event : summary.events) result[event.first] = event.second.count;
	return result;
}

// Sums a collection: stacks, samples, values, and per leaf frame.
struct Totals: SampleSink
{
	std::uint64_t stacks = 0;
	std::int64_t samples = 0;
	std::int64_t value = 0;
	std::map<std::string, std::int64_t> leaves;

	void add(const std::vector<const NamedFrame*>& stack, std::int64_t stackSamples, std::int64_t stackValue) override
	{
		++stacks;
		samples += stackSamples;
		value += stackValue;
		if (!stack.empty()) leaves[stack.back()->name] += stackSamples;
	}
};

Totals collect(const std::string& file, CollectOptions options)
{
	Totals totals;
	StackCollector collector(options, totals);
	Input input = Input::open(dataFile(file));
	Reader(input).read(collector);
	collector.finish();
	return totals;
}

// An Input over bytes held in memory (a memfd): for mutated recordings.
Input memoryInput(const std::string& bytes, const std::string& name)
{
	int fd = ::memfd_create("jfr-test", MFD_CLOEXEC);
	CPPUNIT_ASSERT(fd >= 0);
	CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(bytes.size()), ::write(fd, bytes.data(), bytes.size()));
	return Input::fromDescriptor(fd, name);
}

// Reads everything a reader can decode: every event of every type, then
// stacks for cpu, wall and native memory. Returns the error text, or "".
struct EverythingVisitor: RecordingVisitor
{
	bool wants(const Chunk&, const Type&) override
	{
		return true;
	}
};

std::string readAll(const Input& input)
{
	try
	{
		EverythingVisitor everything;
		Reader(input).read(everything);
		for (auto event : {CollectOptions::Event::Cpu, CollectOptions::Event::Wall, CollectOptions::Event::NativeMem})
		{
			CollectOptions options;
			options.event = event;
			options.leak = event == CollectOptions::Event::NativeMem;
			options.threads = true;
			FlameGraph graph;
			StackCollector collector(options, graph);
			Reader(input).read(collector);
			collector.finish();
			std::ostringstream out;
			graph.writeCollapsed(out);
		}
		return "";
	}
	catch (JfrError& e)
	{
		return e.message();
	}
}

std::string errorOf(const std::string& file)
{
	try
	{
		Summary::of(Input::open(file));
	}
	catch (JfrError& e)
	{
		return e.message();
	}
	CPPUNIT_FAIL("expected a JfrError for " + file);
	return "";
}

} // namespace

class JfrReaderTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(JfrReaderTest);
	CPPUNIT_TEST(testCountsEqualTheJdkToolsOnEveryRecording);
	CPPUNIT_TEST(testSettingsAndChunkHeaderAreRead);
	CPPUNIT_TEST(testEachChunkIsResolvedAgainstItsOwnPools);
	CPPUNIT_TEST(testCpuLeavesEqualTheReadmeFacts);
	CPPUNIT_TEST(testWallSamplesCountTheirBatches);
	CPPUNIT_TEST(testNativeMemoryLeakIsMallocMinusMatchedFree);
	CPPUNIT_TEST(testLatin1UserEventPayloadsAreKeptByteForByte);
	CPPUNIT_TEST(testJavaFrameTypesAreShownAsTheConverterDecides);
	CPPUNIT_TEST(testRegularExpressionsSurviveVeryLongFrameNames);
	CPPUNIT_TEST(testPollCatchFindsTheLongPollsAndWhatStalledThem);
	CPPUNIT_TEST(testZipAndStandardInputReadLikeTheFile);
	CPPUNIT_TEST(testBrokenInputsNameFileChunkAndOffset);
	CPPUNIT_TEST(testUnfinishedLastChunkCanBeLeftOut);
	CPPUNIT_TEST(testEveryTruncationIsAnErrorOrAWholeChunk);
	CPPUNIT_TEST(testRandomCorruptionNeverCrashes);
	CPPUNIT_TEST(testFuzzerFindingsStayFixed);
	CPPUNIT_TEST(testTimesPastSixtyFourBitsSaturate);
	CPPUNIT_TEST_SUITE_END();

public:
	void testCountsEqualTheJdkToolsOnEveryRecording()
	{
		// `jfr summary` of each file (tests/data README facts).
		std::map<std::string, std::uint64_t> cpuWall = counts("cpu-wall.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(597), cpuWall["jdk.ExecutionSample"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(159), cpuWall["profiler.WallClockSample"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(27), cpuWall["jdk.ActiveSetting"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(9), cpuWall["jdk.NativeLibrary"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), cpuWall["jdk.CPULoad"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), cpuWall["jdk.Metadata"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), cpuWall["jdk.CheckPoint"]);
		CPPUNIT_ASSERT_EQUAL(std::size_t(11), cpuWall.size());

		std::map<std::string, std::uint64_t> nativemem = counts("nativemem.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(20014), nativemem["profiler.Free"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1313), nativemem["profiler.Malloc"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(594), nativemem["jdk.ExecutionSample"]);

		std::map<std::string, std::uint64_t> pollcatch = counts("pollcatch.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(5220), pollcatch["jdk.ExecutionSample"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(815), pollcatch["profiler.WallClockSample"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(285), pollcatch["profiler.UserEvent"]);

		std::map<std::string, std::uint64_t> multi = counts("multi-chunk.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(591), multi["jdk.ExecutionSample"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(168), multi["profiler.WallClockSample"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(81), multi["jdk.ActiveSetting"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), multi["jdk.Metadata"]);

		std::map<std::string, std::uint64_t> empty = counts("empty-ish.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), empty["jdk.ExecutionSample"]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(27), empty["jdk.ActiveSetting"]);
	}

	void testSettingsAndChunkHeaderAreRead()
	{
		Summary summary = Summary::of(Input::open(dataFile("multi-chunk.jfr")));
		CPPUNIT_ASSERT_EQUAL(3, summary.chunks);
		CPPUNIT_ASSERT_EQUAL(std::string("2.0"), summary.jfrVersion);
		CPPUNIT_ASSERT_EQUAL(std::string("4.5"), summary.profilerVersion());
		CPPUNIT_ASSERT_EQUAL(std::string("perf_events"), summary.settings.at("engine"));
		CPPUNIT_ASSERT_EQUAL(std::string("10000000"), summary.settings.at("interval"));
		Input input = Input::open(dataFile("multi-chunk.jfr"));
		std::vector<ChunkHeader> headers = Reader(input).chunkHeaders();
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), headers.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(16674), headers[1].offset);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(17018), headers[1].size);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(2596120552), headers[1].ticksPerSecond);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(1002597000), headers[1].durationNanos);
	}

	void testEachChunkIsResolvedAgainstItsOwnPools()
	{
		// The three chunks number their pools from scratch; the JDK's tool
		// mixes them up. Per-chunk leaves (README): alpha 195 | beta 196,
		// alpha 1, _raw_spin_unlock_irq 1 | alpha 130, beta 66, one more.
		CollectOptions options;
		Totals totals = collect("multi-chunk.jfr", options);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(591), totals.samples);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(326), totals.leaves["hot_loop_alpha"]);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(262), totals.leaves["hot_loop_beta"]);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(1), totals.leaves["_raw_spin_unlock_irq"]);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(1), totals.leaves["finish_task_switch.isra.0"]);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(1), totals.leaves["sched_balance_domains"]);
		CPPUNIT_ASSERT_EQUAL(std::size_t(5), totals.leaves.size());
	}

	void testCpuLeavesEqualTheReadmeFacts()
	{
		Totals cpuWall = collect("cpu-wall.jfr", CollectOptions());
		CPPUNIT_ASSERT_EQUAL(std::int64_t(398), cpuWall.leaves["hot_loop_alpha"]);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(199), cpuWall.leaves["hot_loop_beta"]);
		Totals pollcatch = collect("pollcatch.jfr", CollectOptions());
		CPPUNIT_ASSERT_EQUAL(std::int64_t(5220), pollcatch.samples);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(2021), pollcatch.leaves["accidentally_slow"]);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(1980), pollcatch.leaves["hot_loop_alpha"]);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(982), pollcatch.leaves["hot_loop_beta"]);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(145), pollcatch.leaves["quick_poll"]);
	}

	void testWallSamplesCountTheirBatches()
	{
		// 159 wall-clock events in cpu-wall.jfr carry 210 samples.
		CollectOptions options;
		options.event = CollectOptions::Event::Wall;
		Totals totals = collect("cpu-wall.jfr", options);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(210), totals.samples);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(240), collect("nativemem.jfr", options).samples);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(1806), collect("pollcatch.jfr", options).samples);
	}

	void testNativeMemoryLeakIsMallocMinusMatchedFree()
	{
		CollectOptions options;
		options.event = CollectOptions::Event::NativeMem;
		Totals allocated = collect("nativemem.jfr", options);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(1313), allocated.samples);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(5378048), allocated.value);
		// With no tail left out: every block never freed, 63 x 4096 bytes.
		options.leak = true;
		options.tail = 0;
		Totals leaked = collect("nativemem.jfr", options);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(63), leaked.samples);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(258048), leaked.value);
		// The churn ended well before the last tenth of the span: the default
		// tail changes nothing here; leaving out the younger half does.
		options.tail = 0.1;
		CPPUNIT_ASSERT_EQUAL(std::int64_t(258048), collect("nativemem.jfr", options).value);
		options.tail = 0.5;
		Totals older = collect("nativemem.jfr", options);
		CPPUNIT_ASSERT(older.value > 0 && older.value < 258048);
	}

	void testLatin1UserEventPayloadsAreKeptByteForByte()
	{
		// PollCatch events: 16 Latin-1 chars = before, after (LE u64 ticks).
		struct Polls: RecordingVisitor
		{
			int data = -1;
			int type = -1;
			int events = 0;
			int slow = 0;
			bool wants(const Chunk&, const Type& eventType) override
			{
				if (eventType.name != "profiler.UserEvent") return false;
				data = eventType.fieldIndex("data");
				type = eventType.fieldIndex("type");
				return true;
			}
			void event(const Chunk& chunk, const Event& event) override
			{
				const Value& payload = event.value(data);
				CPPUNIT_ASSERT(payload.encoding == Value::Encoding::Latin1);
				CPPUNIT_ASSERT_EQUAL(std::size_t(16), payload.text.size());
				std::uint64_t before = 0;
				std::uint64_t after = 0;
				for (int i = 7; i >= 0; --i)
				{
					before = before << 8 | static_cast<std::uint8_t>(payload.text[static_cast<std::size_t>(i)]);
					after = after << 8 | static_cast<std::uint8_t>(payload.text[static_cast<std::size_t>(i) + 8]);
				}
				double seconds = static_cast<double>(after - before) / static_cast<double>(chunk.header().ticksPerSecond);
				if (seconds > 0.010) ++slow;
				++events;
			}
		} polls;
		Input input = Input::open(dataFile("pollcatch.jfr"));
		Reader(input).read(polls);
		CPPUNIT_ASSERT_EQUAL(285, polls.events);
		CPPUNIT_ASSERT_EQUAL(138, polls.slow);
	}

	void testJavaFrameTypesAreShownAsTheConverterDecides()
	{
		// A method seen interpreted in one stack and inlined in another: each
		// node's suffix follows the weight of its own frames (jfrconv 4.5's
		// output for this file, made by the hostile review).
		FlameGraph graph;
		StackCollector collector(CollectOptions(), graph);
		Input input = Input::open(dataFile("java-types.jfr"));
		Reader(input).read(collector);
		collector.finish();
		std::ostringstream out;
		graph.writeCollapsed(out);
		CPPUNIT_ASSERT_EQUAL(std::string("com/x/Foo.main_[0];com/x/Foo.a_[j] 10\n"
										 "com/x/Foo.main_[0];com/x/Foo.b_[i] 10\n"
										 "com/x/Foo.main_[0];com/x/Foo.b_[i];com/x/Foo.a_[i] 10\n"),
			out.str());
	}

	void testRegularExpressionsSurviveVeryLongFrameNames()
	{
		// A 50,000-character frame name: std::regex recursed per character
		// and overflowed the stack (hostile review); names are matched on
		// their first 4096 bytes now.
		for (const char* pattern : {".*x", "a*", "(a|b)*"})
		{
			CollectOptions options;
			options.exclude = pattern;
			collect("long-frame-name.jfr", options);
			options.exclude.clear();
			options.include = pattern;
			collect("long-frame-name.jfr", options);
		}
	}

	void testPollCatchFindsTheLongPollsAndWhatStalledThem()
	{
		// README: 285 tokio.PollcatchV1 events on event-loop-0, 138 longer
		// than 10 ms (15.000 .. 15.056 ms), the rest 0.050 .. 0.163 ms; every
		// 20th poll ran accidentally_slow.
		PollCatch polls;
		Input input = Input::open(dataFile("pollcatch.jfr"));
		Reader(input).read(polls);
		CPPUNIT_ASSERT_EQUAL(std::size_t(285), polls.polls().size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), polls.malformed());
		int slow = 0;
		std::int64_t previousStart = 0;
		for (const Poll& poll : polls.polls())
		{
			CPPUNIT_ASSERT_EQUAL(std::string("event-loop-0"), poll.thread);
			CPPUNIT_ASSERT(poll.startNanos >= previousStart);
			previousStart = poll.startNanos;
			if (poll.durationNanos <= 10000000)
			{
				CPPUNIT_ASSERT(poll.durationNanos >= 50000 && poll.durationNanos <= 163000 + 1000);
				continue;
			}
			++slow;
			CPPUNIT_ASSERT(poll.durationNanos >= 15000000 && poll.durationNanos <= 15056000 + 1000);
			// A 15 ms poll under a 1 ms CPU interval holds samples, and the
			// most frequent one is in the stalling function.
			CPPUNIT_ASSERT(poll.samples >= 5);
			CPPUNIT_ASSERT_EQUAL(std::string("accidentally_slow"), poll.stack.at(0));
			CPPUNIT_ASSERT_EQUAL(std::string("event_loop"), poll.stack.at(1));
		}
		CPPUNIT_ASSERT_EQUAL(138, slow);
		for (const PollSample& sample : polls.samples())
		{
			CPPUNIT_ASSERT(sample.pollIndex >= 0);
			const Poll& poll = polls.polls()[static_cast<std::size_t>(sample.pollIndex)];
			CPPUNIT_ASSERT_EQUAL(poll.tid, sample.tid);
			CPPUNIT_ASSERT(sample.timeNanos >= poll.startNanos - 1000 && sample.timeNanos <= poll.startNanos + poll.durationNanos + 1000);
		}
	}

	void testZipAndStandardInputReadLikeTheFile()
	{
		TemporaryDirectory dir;
		std::string zipPath = dir.file("profile.bin"); // found by content, not by name
		{
			std::ofstream out(zipPath, std::ios::binary);
			Poco::Zip::Compress compress(out, true);
			std::istringstream metadata("{\"start\":1}");
			compress.addFile(metadata, Poco::DateTime(), "metadata.json");
			std::istringstream jfr(readFile(dataFile("cpu-wall.jfr")));
			compress.addFile(jfr, Poco::DateTime(), "async_profiler_dump_0.jfr");
			compress.close();
		}
		Summary fromZip = Summary::of(Input::open(zipPath));
		CPPUNIT_ASSERT_EQUAL(zipPath + ":async_profiler_dump_0.jfr", fromZip.input);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(597), fromZip.events.at("jdk.ExecutionSample").count);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(23524), fromZip.bytes);

		std::string emptyZip = dir.file("nothing.zip");
		{
			std::ofstream out(emptyZip, std::ios::binary);
			Poco::Zip::Compress compress(out, true);
			std::istringstream metadata("{}");
			compress.addFile(metadata, Poco::DateTime(), "metadata.json");
			compress.close();
		}
		std::string error = errorOf(emptyZip);
		CPPUNIT_ASSERT_MESSAGE(error, error.find("a zip without a .jfr entry") != std::string::npos);

		// "-": standard input, copied first (so it may be a pipe).
		int saved = ::dup(0);
		int fd = ::open(dataFile("nativemem.jfr").c_str(), O_RDONLY);
		::dup2(fd, 0);
		::close(fd);
		Summary fromStdin = Summary::of(Input::open("-"));
		::dup2(saved, 0);
		::close(saved);
		CPPUNIT_ASSERT_EQUAL(std::string("<stdin>"), fromStdin.input);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1313), fromStdin.events.at("profiler.Malloc").count);
	}

	void testBrokenInputsNameFileChunkAndOffset()
	{
		std::string truncated = errorOf(dataFile("truncated.jfr"));
		CPPUNIT_ASSERT_EQUAL(dataFile("truncated.jfr") +
				": chunk 1 at byte 0: the chunk size 23524 runs past the end of the file "
				"(14114 bytes from the chunk's start): a truncated or unfinished recording",
			truncated);
		std::string garbage = errorOf(dataFile("garbage.jfr"));
		CPPUNIT_ASSERT_EQUAL(
			dataFile("garbage.jfr") + ": chunk 1 at byte 0: JFR version 62897.25890 is not supported (only 2.x, as async-profiler writes)",
			garbage);

		TemporaryDirectory dir;
		std::string text = dir.file("notes.jfr");
		Poco::FileOutputStream(text) << "hello, not a recording\n";
		CPPUNIT_ASSERT_EQUAL(text + ": chunk 1 at byte 0: not a JFR file (no FLR magic)", errorOf(text));
		std::string empty = dir.file("empty.jfr");
		Poco::FileOutputStream(empty).close();
		CPPUNIT_ASSERT_EQUAL(empty + ": an empty file, not a JFR recording", errorOf(empty));
		CPPUNIT_ASSERT(errorOf(dir.path()).find("is a directory") != std::string::npos);
		CPPUNIT_ASSERT(errorOf(dir.file("missing.jfr")).find("cannot open it: No such file") != std::string::npos);

		// Garbage after a good chunk: the error names chunk 2 and its offset.
		std::string tail = dir.file("tail.jfr");
		Poco::FileOutputStream(tail) << readFile(dataFile("cpu-wall.jfr")) << "PK garbage";
		CPPUNIT_ASSERT_EQUAL(tail + ": chunk 2 at byte 23524: no chunk header (FLR magic) where the previous chunk ends", errorOf(tail));
	}

	void testUnfinishedLastChunkCanBeLeftOut()
	{
		// A recording async-profiler is still writing: a finished chunk, then
		// a chunk that runs past the end of the file.
		std::string bytes = readFile(dataFile("cpu-wall.jfr")) + readFile(dataFile("truncated.jfr"));
		Input input = memoryInput(bytes, "growing.jfr");
		Totals totals;
		StackCollector collector(CollectOptions(), totals);
		try
		{
			Reader(input).read(collector);
			CPPUNIT_FAIL("a strict reader accepted an unfinished chunk");
		}
		catch (JfrError& e)
		{
			CPPUNIT_ASSERT_EQUAL(2, e.chunk());
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(23524), e.offset());
		}
		Totals tolerant;
		StackCollector second(CollectOptions(), tolerant);
		Reader reader(input, true);
		reader.read(second);
		CPPUNIT_ASSERT_EQUAL(std::int64_t(597), tolerant.samples);
		CPPUNIT_ASSERT(reader.unfinished().has_value());
		CPPUNIT_ASSERT_EQUAL(2, reader.unfinished()->chunk());
	}

	void testEveryTruncationIsAnErrorOrAWholeChunk()
	{
		std::string bytes = readFile(dataFile("multi-chunk.jfr"));
		for (std::size_t length = 0; length < bytes.size(); length += 211)
		{
			Input input = memoryInput(bytes.substr(0, length), "cut.jfr");
			std::string error = readAll(input);
			bool chunkBoundary = length == 16674 || length == 33692;
			CPPUNIT_ASSERT_MESSAGE("cut at " + std::to_string(length), chunkBoundary || error.find("cut.jfr") == 0);
		}
	}

	void testRandomCorruptionNeverCrashes()
	{
		// Seeded, so a failure reproduces: each run flips 1 to 8 bytes of a
		// real recording; reading it must end in success or a JfrError.
		std::string original = readFile(dataFile("cpu-wall.jfr"));
		Poco::Random random;
		random.seed(20261129);
		int errors = 0;
		for (int run = 0; run < 400; ++run)
		{
			std::string bytes = original;
			int flips = 1 + static_cast<int>(random.next(8));
			for (int i = 0; i < flips; ++i)
				bytes[random.next(static_cast<Poco::UInt32>(bytes.size()))] = static_cast<char>(random.next(256));
			Input input = memoryInput(bytes, "mutated.jfr");
			std::string error = readAll(input);
			if (!error.empty())
			{
				++errors;
				CPPUNIT_ASSERT_MESSAGE(error, error.find("mutated.jfr: chunk 1 at byte ") == 0);
			}
		}
		CPPUNIT_ASSERT(errors > 0); // the mutations did hit something
	}

	void testTimesPastSixtyFourBitsSaturate()
	{
		// pollcatch.jfr with its chunk's start tick set to INT64_MIN (a fuzzer
		// finding: ticks - startTicks was signed overflow). Every event is then
		// ~2^63 ticks after the start: its time moves later by the same amount
		// for every event (never wraps to the past) and durations, which need
		// no start, do not change.
		PollCatch original;
		Reader(Input::open(dataFile("pollcatch.jfr"))).read(original);
		PollCatch shifted;
		Reader(Input::open(dataFile("fuzz-regressions/ticks-start-min.jfr"))).read(shifted);
		CPPUNIT_ASSERT_EQUAL(std::size_t(285), shifted.polls().size());
		const std::int64_t shift = shifted.polls()[0].startNanos - original.polls()[0].startNanos;
		CPPUNIT_ASSERT(shift > 3000000000000000000); // 2^63 ticks at 2.6 GHz: 3.5e18 ns
		for (std::size_t i = 0; i < shifted.polls().size(); ++i)
		{
			const Poll& before = original.polls()[i];
			const Poll& after = shifted.polls()[i];
			CPPUNIT_ASSERT(std::abs(after.startNanos - before.startNanos - shift) <= 2048); // a double's step there
			CPPUNIT_ASSERT_EQUAL(before.durationNanos, after.durationNanos);
		}

		// Also one tick per second: 2^63 ticks are 9.2e27 ns, past any int64.
		// Times saturate at the latest; a poll's duration is its ticks * 1e9.
		constexpr auto latest = std::numeric_limits<std::int64_t>::max();
		const double ticksPerSecond = 2596119965.0; // pollcatch.jfr's header
		PollCatch saturated;
		Reader(Input::open(dataFile("fuzz-regressions/ticks-one-per-second.jfr"))).read(saturated);
		CPPUNIT_ASSERT_EQUAL(std::size_t(285), saturated.polls().size());
		CPPUNIT_ASSERT(!saturated.samples().empty());
		for (std::size_t i = 0; i < saturated.polls().size(); ++i)
		{
			const Poll& poll = saturated.polls()[i];
			CPPUNIT_ASSERT_EQUAL(latest, poll.startNanos);
			double ticks = static_cast<double>(original.polls()[i].durationNanos) * ticksPerSecond / 1e9;
			CPPUNIT_ASSERT(std::abs(static_cast<double>(poll.durationNanos) / 1e9 - ticks) <= 3.0); // ns truncated: 2.6 ticks
		}
		for (const PollSample& sample : saturated.samples()) CPPUNIT_ASSERT_EQUAL(latest, sample.timeNanos);
	}

	void testFuzzerFindingsStayFixed()
	{
		// Every input the fuzzer (tests/fuzz) ever crashed on stays here, and
		// goes through everything the fuzzer does with an input (under ASan and
		// UBSan in CI): it ends in success or a JfrError.
		std::string directory = dataFile("fuzz-regressions");
		int replayed = 0;
		for (Poco::DirectoryIterator it(directory), end; it != end; ++it)
		{
			if (!it->isFile()) continue;
			Input input = Input::open(it->path());
			readAll(input);
			asprof::jfr::fuzz::readEverything(input);
			++replayed;
		}
		CPPUNIT_ASSERT(replayed > 0);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(JfrReaderTest);
