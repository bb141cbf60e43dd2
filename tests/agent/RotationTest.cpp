// Rotation strategies with the fake async-profiler: chunk switches (dump) cut
// out of one file, the restart bounds, and the fall-back to stop + start.
#include "ChunkRecording.h"
#include "ChunkSettings.h"
#include "FileRecording.h"
#include "JfrChunks.h"
#include "RecordingTap.h"
#include "RotationPolicy.h"
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/jfr/PprofConvert.h"
#include "asprof/jfr/Reader.h"
#include "asprof/jfr/Summary.h"
#include "asprof/sdk/RecordingStream.h"
#include "Poco/File.h"
#include "Poco/JSON/Object.h"
#include "Poco/Message.h"
#include "Poco/JSON/Parser.h"
#include <cppunit/extensions/HelperMacros.h>
#include <sstream>
#include <unistd.h>

using namespace asprof;
using namespace asprof::agent;
using asprof::test::assertEveryProfileAccounted;
using asprof::test::FakeProfilerSetting;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;

namespace {

// The fake's log, one command per line ("<tid> <command>"), without the tid.
std::vector<std::string> fakeCommands(const std::string& log)
{
	std::vector<std::string> commands;
	for (const auto& line : asprof::test::readLines(log)) commands.push_back(line.substr(line.find(' ') + 1));
	return commands;
}

std::size_t countPrefix(const std::vector<std::string>& commands, const std::string& prefix)
{
	std::size_t count = 0;
	for (const auto& command : commands) count += command.compare(0, prefix.size(), prefix) == 0 ? 1 : 0;
	return count;
}

// rotation = dump unless agentKeys says otherwise (restart is the default).
std::string captureIni(const std::string& directory, const std::string& agentKeys)
{
	std::string keys = agentKeys.find("rotation =") == std::string::npos ? "rotation = dump\n" + agentKeys : agentKeys;
	return asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + directory + "\nqueueCapacity = 64\n", keys);
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

// Every delivered profile holds exactly the fake's recording (one interval:
// the chunk(s) of one dump or stop), in seq order, with its own times, the
// intervals back to back.
void assertEachProfileIsOneInterval(const std::string& directory, std::uint64_t count, const std::string& jfrFile)
{
	std::string expected = asprof::test::readFile(asprof::test::dataFile(jfrFile));
	Poco::Int64 previousEnd = 0;
	for (std::uint64_t seq = 1; seq <= count; ++seq)
	{
		std::string base = directory + "/" + std::to_string(::getpid()) + "-" + std::to_string(seq);
		CPPUNIT_ASSERT_MESSAGE("recording " + std::to_string(seq), asprof::test::readFile(base + ".jfr") == expected);
		Poco::JSON::Object::Ptr json =
			Poco::JSON::Parser().parse(asprof::test::readFile(base + ".json")).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT_EQUAL(static_cast<Poco::Int64>(seq), json->getValue<Poco::Int64>("seq"));
		CPPUNIT_ASSERT(json->getValue<Poco::Int64>("start") <= json->getValue<Poco::Int64>("end"));
		CPPUNIT_ASSERT(json->getValue<Poco::Int64>("start") >= previousEnd);
		previousEnd = json->getValue<Poco::Int64>("end");
	}
}

// A file: two finished chunks of the recording, then an unfinished chunk's header.
std::unique_ptr<FileRecording> twoChunksAndAnUnfinishedOne(const std::string& chunk)
{
	char unfinished[68] = {'F', 'L', 'R', '\0', 0, 2, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0};
	TemporaryDirectory scratch;
	asprof::test::writeFile(scratch.file("file.jfr"), chunk + chunk + std::string(unfinished, sizeof(unfinished)));
	return FileRecording::fromFile(scratch.file("file.jfr"));
}

// Each jdk.ActiveSetting's start time, and its chunk's start, in ticks.
struct SettingTimes: jfr::RecordingVisitor
{
	std::vector<std::pair<std::int64_t, std::int64_t>> times;
	int startTime = -1;

	bool wants(const jfr::Chunk&, const jfr::Type& type) override
	{
		startTime = type.fieldIndex("startTime");
		return type.name == "jdk.ActiveSetting";
	}

	void event(const jfr::Chunk& chunk, const jfr::Event& event) override
	{
		times.emplace_back(static_cast<std::int64_t>(event.value(startTime).integer), chunk.header().startTicks);
	}
};

// Read from the file as it is, one piece: nothing inserted or patched.
bool inPlace(const ChunkRecording& recording)
{
	const auto& pieces = recording.pieces();
	return pieces.size() == 1 && pieces[0].bytes.empty() && pieces[0].fileOffset == recording.offset() &&
		pieces[0].length == recording.length();
}

// In reading order: where the first jdk.ActiveSetting and the first sample are.
struct EventOrder: jfr::RecordingVisitor
{
	long index = 0;
	long firstSetting = -1;
	long firstSample = -1;

	bool wants(const jfr::Chunk&, const jfr::Type& type) override
	{
		return type.name == "jdk.ActiveSetting" || type.name == "jdk.ExecutionSample" || type.name == "profiler.WallClockSample";
	}

	void event(const jfr::Chunk&, const jfr::Event& event) override
	{
		if (event.type().name == "jdk.ActiveSetting" && firstSetting < 0) firstSetting = index;
		if (event.type().name != "jdk.ActiveSetting" && firstSample < 0) firstSample = index;
		++index;
	}
};

FinishedRecording finishedAs(std::uint64_t seq, std::shared_ptr<ChunkRecording> recording)
{
	FinishedRecording finished;
	finished.seq = seq;
	finished.recording = std::move(recording);
	return finished;
}

jfr::Summary summaryOf(const std::string& bytes)
{
	TemporaryDirectory scratch;
	asprof::test::writeFile(scratch.file("r.jfr"), bytes);
	jfr::Input input = jfr::Input::open(scratch.file("r.jfr"));
	return jfr::Summary::of(input);
}

RotationSettings dumpSettings(int restartEvery, std::uint64_t maxFileSize, std::uint64_t maxMemory)
{
	RotationSettings settings;
	settings.strategy = "dump";
	settings.restartEvery = restartEvery;
	settings.maxFileSize = maxFileSize;
	settings.maxProfilerMemory = maxMemory;
	return settings;
}

} // namespace

class RotationTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RotationTest);
	CPPUNIT_TEST(testFinishedEndStopsAtTheUnfinishedChunk);
	CPPUNIT_TEST(testChunkRecordingReadsItsRangeOnly);
	CPPUNIT_TEST(testChunkRecordingOpensForReadingInPlace);
	CPPUNIT_TEST(testALaterChunkCarriesTheFilesSettings);
	CPPUNIT_TEST(testAChunkWithItsOwnSettingsIsLeftAsItIs);
	CPPUNIT_TEST(testEveryChunkOfACutGetsTheSettings);
	CPPUNIT_TEST(testTheSettingsPrecedeTheSamples);
	CPPUNIT_TEST(testPolicyRestartsEveryNIntervals);
	CPPUNIT_TEST(testPolicyRestartsAtTheFileAndMemoryBounds);
	CPPUNIT_TEST(testPolicyFallsBackThenTriesDumpAgain);
	CPPUNIT_TEST(testProfilerMemoryIsTheSumOfTheMemLines);
	CPPUNIT_TEST(testDumpDeliversEachIntervalFromOneFile);
	CPPUNIT_TEST(testDumpCutsEveryChunkOfAMultiChunkSwitch);
	CPPUNIT_TEST(testRestartEveryStartsAFreshFile);
	CPPUNIT_TEST(testFileSizeBoundStartsAFreshFile);
	CPPUNIT_TEST(testProfilerMemoryBoundStartsAFreshFile);
	CPPUNIT_TEST(testWithoutDumpFallsBackToRestartAndLosesNothing);
	CPPUNIT_TEST(testDumpFailureFallsBackAtOnceAndKeepsTheInterval);
	CPPUNIT_TEST(testDumpResumesAfterAPassingFailure);
	CPPUNIT_TEST(testRotationRestartNeverDumps);
	CPPUNIT_TEST(testAFileThatIsNoJfrIsLostNotDelivered);
	CPPUNIT_TEST(testFailedStopAfterChunkSwitchesKeepsEveryProfileAccounted);
	CPPUNIT_TEST(testRestartWithoutAFileStillSwitchesChunks);
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

	void testFinishedEndStopsAtTheUnfinishedChunk()
	{
		std::string chunk = asprof::test::readFile(asprof::test::dataFile("cpu-wall.jfr"));
		std::unique_ptr<FileRecording> file = twoChunksAndAnUnfinishedOne(chunk);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2 * chunk.size()), JfrChunks::finishedEnd(file->fd(), 0, file->size()));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2 * chunk.size()), JfrChunks::finishedEnd(file->fd(), chunk.size(), file->size()));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2 * chunk.size()), JfrChunks::finishedEnd(file->fd(), 2 * chunk.size(), file->size()));
		CPPUNIT_ASSERT(!JfrChunks::onlyFinishedChunks(file->fd(), 0, file->size()));
		CPPUNIT_ASSERT(JfrChunks::onlyFinishedChunks(file->fd(), chunk.size(), 2 * chunk.size()));
		// A chunk that runs past what is there is not finished yet.
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), JfrChunks::finishedEnd(file->fd(), 0, chunk.size() - 1));
		// Not a chunk header: nothing is finished.
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), JfrChunks::finishedEnd(file->fd(), 1, file->size()));
	}

	void testChunkRecordingReadsItsRangeOnly()
	{
		std::string chunk = asprof::test::readFile(asprof::test::dataFile("cpu-wall.jfr"));
		std::shared_ptr<FileRecording> file = twoChunksAndAnUnfinishedOne(chunk);
		ChunkRecording second(file, chunk.size(), chunk.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(chunk.size()), second.size());
		CPPUNIT_ASSERT(second.readAll() == chunk);
		std::ostringstream copy;
		second.copyTo(copy);
		CPPUNIT_ASSERT(copy.str() == chunk);
	}

	void testChunkRecordingOpensForReadingInPlace()
	{
		std::string chunk = asprof::test::readFile(asprof::test::dataFile("cpu-wall.jfr"));
		std::shared_ptr<FileRecording> file = twoChunksAndAnUnfinishedOne(chunk);
		FinishedRecording finished;
		finished.seq = 7;
		finished.recording = std::make_shared<ChunkRecording>(file, chunk.size(), chunk.size());
		jfr::Input input = openForReading(finished);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(chunk.size()), input.size());
		std::string head(4, '\0');
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), input.read(0, &head[0], 4));
		CPPUNIT_ASSERT_EQUAL(std::string("FLR\0", 4), head);
		// Never past the range: the unfinished chunk after it stays unseen.
		std::string all(chunk.size() + 100, '\0');
		CPPUNIT_ASSERT_EQUAL(chunk.size(), input.read(0, &all[0], all.size()));
		CPPUNIT_ASSERT(all.substr(0, chunk.size()) == chunk);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), input.read(chunk.size(), &all[0], 10));
		// And the toolkit reads it as the JFR it is.
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), jfr::Reader(input).chunkHeaders().size());
	}

	// dump-chunks.jfr: async-profiler 4.5, interval=1ms,wall=50ms, one
	// "dump" after 300 ms: its second chunk has no settings of its own.
	void testALaterChunkCarriesTheFilesSettings()
	{
		std::string data = asprof::test::readFile(asprof::test::dataFile("dump-chunks.jfr"));
		TemporaryDirectory scratch;
		asprof::test::writeFile(scratch.file("file.jfr"), data);
		std::shared_ptr<FileRecording> file = FileRecording::fromFile(scratch.file("file.jfr"));
		auto first = JfrChunks::finishedAt(file->fd(), 0, data.size());
		CPPUNIT_ASSERT(first && first->size < data.size());
		auto settings = std::make_shared<ChunkSettings>(file);
		ChunkRecording firstCut(file, 0, first->size, settings);
		ChunkRecording secondCut(file, first->size, data.size() - first->size, settings);
		CPPUNIT_ASSERT(inPlace(firstCut)); // a file's first chunk has its own
		CPPUNIT_ASSERT(firstCut.readAll() == data.substr(0, first->size));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), summaryOf(data.substr(first->size)).events.count("jdk.ActiveSetting"));

		std::string cut = secondCut.readAll();
		CPPUNIT_ASSERT_EQUAL(secondCut.size(), std::uint64_t(cut.size()));
		CPPUNIT_ASSERT(cut.size() > data.size() - first->size);
		// The settings right after the header; the chunk's own events after them, unchanged.
		std::size_t inserted = cut.size() - (data.size() - first->size);
		CPPUNIT_ASSERT(cut.compare(68 + inserted, std::string::npos, data, first->size + 68, std::string::npos) == 0);
		std::ostringstream copy;
		secondCut.copyTo(copy);
		CPPUNIT_ASSERT(copy.str() == cut);
		// Reads of any part give the same pieces: the patched header, the inserted settings.
		for (std::size_t piece : {std::size_t(1), std::size_t(7), std::size_t(4096), std::size_t(65536)})
		{
			std::string pieces;
			std::vector<char> buffer(piece);
			std::size_t n;
			while ((n = secondCut.readAt(pieces.size(), buffer.data(), buffer.size())) > 0) pieces.append(buffer.data(), n);
			CPPUNIT_ASSERT_MESSAGE("pieces of " + std::to_string(piece), pieces == cut);
		}
		asprof::sdk::RecordingInputStream stream(secondCut);
		std::ostringstream streamed;
		streamed << stream.rdbuf();
		CPPUNIT_ASSERT(streamed.str() == cut);
		FinishedRecording finished;
		finished.seq = 2;
		finished.recording = std::make_shared<ChunkRecording>(file, first->size, data.size() - first->size, settings);
		jfr::Input input = openForReading(finished);
		std::string read(cut.size() + 10, '\0');
		CPPUNIT_ASSERT_EQUAL(cut.size(), input.read(0, &read[0], read.size()));
		CPPUNIT_ASSERT(read.substr(0, cut.size()) == cut);

		// One valid chunk: its own samples, the whole file's settings.
		jfr::Summary whole = summaryOf(data), ofFirst = summaryOf(data.substr(0, first->size)), ofCut = summaryOf(cut);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), static_cast<std::uint64_t>(jfr::Reader(input).chunkHeaders().size()));
		CPPUNIT_ASSERT(ofCut.warning.empty());
		CPPUNIT_ASSERT_EQUAL(std::string("1000000"), ofCut.settings["interval"]);
		CPPUNIT_ASSERT_EQUAL(std::string("50000000"), ofCut.settings["wall"]);
		CPPUNIT_ASSERT(whole.settings == ofCut.settings);
		CPPUNIT_ASSERT_EQUAL(ofFirst.events["jdk.ActiveSetting"].count, ofCut.events["jdk.ActiveSetting"].count);
		CPPUNIT_ASSERT_EQUAL(whole.events["jdk.ExecutionSample"].count - ofFirst.events["jdk.ExecutionSample"].count,
			ofCut.events["jdk.ExecutionSample"].count);
		// Stamped with the chunk's own start.
		SettingTimes times;
		jfr::Reader(input).read(times);
		CPPUNIT_ASSERT(!times.times.empty());
		for (const auto& [at, chunkStart] : times.times) CPPUNIT_ASSERT_EQUAL(chunkStart, at);
		// So its CPU profile weighs each sample by 1 ms, not the 10 ms default.
		std::vector<std::string> warnings;
		auto profiles = jfr::convertEachEvent(input, &warnings);
		CPPUNIT_ASSERT(!profiles.empty());
		CPPUNIT_ASSERT_EQUAL(std::int64_t(1000000), profiles[0].periodNanos);
		CPPUNIT_ASSERT_EQUAL(profiles[0].samples * 1000000, profiles[0].value);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), warnings.size());
	}

	// async-profiler finished a chunk by itself within an interval (its
	// chunksize=100MB or chunktime=1h): the dump then cuts a range of two
	// chunks, neither with settings. Both must be weighed by 1 ms.
	void testEveryChunkOfACutGetsTheSettings()
	{
		std::string data = asprof::test::readFile(asprof::test::dataFile("dump-chunks.jfr"));
		TemporaryDirectory scratch;
		std::string path = scratch.file("file.jfr");
		asprof::test::writeFile(path, data);
		auto first = JfrChunks::finishedAt(FileRecording::fromFile(path)->fd(), 0, data.size());
		CPPUNIT_ASSERT(first);
		std::string later = data.substr(first->size);
		asprof::test::writeFile(path, data + later); // first, later, later: the cut is [later, later]
		std::shared_ptr<FileRecording> file = FileRecording::fromFile(path);
		auto cut = std::make_shared<ChunkRecording>(file, first->size, 2 * later.size(), std::make_shared<ChunkSettings>(file));
		CPPUNIT_ASSERT_EQUAL(std::size_t(6), cut->pieces().size()); // per chunk: header, settings, the rest
		jfr::Input input = openForReading(finishedAs(2, cut));
		CPPUNIT_ASSERT_EQUAL(cut->size(), input.size());
		std::vector<std::string> warnings;
		auto profiles = jfr::convertEachEvent(input, &warnings);
		CPPUNIT_ASSERT(!profiles.empty());
		CPPUNIT_ASSERT_EQUAL_MESSAGE(warnings.empty() ? std::string() : warnings[0], std::size_t(0), warnings.size());
		CPPUNIT_ASSERT_EQUAL(profiles[0].samples * 1000000, profiles[0].value);
		jfr::Summary twice = summaryOf(cut->readAll()), once = summaryOf(data.substr(first->size));
		CPPUNIT_ASSERT_EQUAL(2 * once.events["jdk.ExecutionSample"].count, twice.events["jdk.ExecutionSample"].count);
	}

	// async-profiler writes its settings before any sample, and its own
	// converter (jfrconv -o heatmap --wall) reads the wall interval at the
	// first sample: a cut keeps that order.
	void testTheSettingsPrecedeTheSamples()
	{
		std::string data = asprof::test::readFile(asprof::test::dataFile("dump-chunks.jfr"));
		TemporaryDirectory scratch;
		asprof::test::writeFile(scratch.file("file.jfr"), data);
		std::shared_ptr<FileRecording> file = FileRecording::fromFile(scratch.file("file.jfr"));
		auto first = JfrChunks::finishedAt(file->fd(), 0, data.size());
		CPPUNIT_ASSERT(first);
		EventOrder whole;
		jfr::Input original = jfr::Input::open(scratch.file("file.jfr"));
		jfr::Reader(original).read(whole);
		CPPUNIT_ASSERT(whole.firstSetting >= 0 && whole.firstSetting < whole.firstSample); // as async-profiler writes them
		auto cut = std::make_shared<ChunkRecording>(file, first->size, data.size() - first->size, std::make_shared<ChunkSettings>(file));
		jfr::Input input = openForReading(finishedAs(2, cut));
		EventOrder order;
		jfr::Reader(input).read(order);
		CPPUNIT_ASSERT(order.firstSetting >= 0 && order.firstSample >= 0);
		CPPUNIT_ASSERT_MESSAGE("the first setting is event " + std::to_string(order.firstSetting) + ", after sample event " +
				std::to_string(order.firstSample),
			order.firstSetting < order.firstSample);
	}

	void testAChunkWithItsOwnSettingsIsLeftAsItIs()
	{
		std::string chunk = asprof::test::readFile(asprof::test::dataFile("cpu-wall.jfr"));
		std::shared_ptr<FileRecording> file = twoChunksAndAnUnfinishedOne(chunk);
		ChunkRecording second(file, chunk.size(), chunk.size(), std::make_shared<ChunkSettings>(file));
		CPPUNIT_ASSERT(inPlace(second));
		CPPUNIT_ASSERT(second.readAll() == chunk);
	}

	void testPolicyRestartsEveryNIntervals()
	{
		RotationPolicy policy(dumpSettings(3, 1 << 30, 0));
		CPPUNIT_ASSERT_EQUAL(std::string("dump"), policy.strategy());
		policy.restarted();
		CPPUNIT_ASSERT(!policy.restartDue(0)); // 1 interval in the file
		policy.switched();
		CPPUNIT_ASSERT(!policy.restartDue(0)); // 2
		policy.switched();
		CPPUNIT_ASSERT(policy.restartDue(0)); // 3: this rotation restarts
		policy.restarted();
		CPPUNIT_ASSERT(!policy.restartDue(0));
		RotationPolicy always(dumpSettings(1, 1 << 30, 0));
		CPPUNIT_ASSERT(always.restartDue(0));
	}

	void testPolicyRestartsAtTheFileAndMemoryBounds()
	{
		RotationPolicy policy(dumpSettings(1000, 1000, 5000));
		CPPUNIT_ASSERT(!policy.restartDue(999));
		CPPUNIT_ASSERT(policy.restartDue(1000));
		CPPUNIT_ASSERT(policy.wantsProfilerMemory());
		policy.noteProfilerMemory(std::uint64_t(4999));
		CPPUNIT_ASSERT(!policy.restartDue(0));
		policy.noteProfilerMemory(std::uint64_t(5000));
		CPPUNIT_ASSERT(policy.restartDue(0));
		policy.restarted(); // stop freed it
		CPPUNIT_ASSERT(!policy.restartDue(0));
		policy.noteProfilerMemory(std::nullopt); // cannot tell: not asked again
		CPPUNIT_ASSERT(!policy.wantsProfilerMemory());
		CPPUNIT_ASSERT(!RotationPolicy(dumpSettings(1000, 1000, 0)).wantsProfilerMemory());
	}

	void testPolicyFallsBackThenTriesDumpAgain()
	{
		RotationPolicy policy(dumpSettings(3, 1 << 30, 0));
		policy.fallBack("dump failed: no");
		CPPUNIT_ASSERT(policy.fellBack());
		CPPUNIT_ASSERT_EQUAL(1, policy.fallbacks());
		CPPUNIT_ASSERT(policy.restartDue(0));
		CPPUNIT_ASSERT_EQUAL(std::string("restart (fallback: dump failed: no)"), policy.strategy());
		policy.restarted();
		policy.restarted();
		CPPUNIT_ASSERT(policy.restartDue(0));
		CPPUNIT_ASSERT(!policy.switchesChunks());
		policy.restarted(); // restartEvery restarts later: dump again
		CPPUNIT_ASSERT(!policy.fellBack());
		CPPUNIT_ASSERT(policy.switchesChunks());
		CPPUNIT_ASSERT(!policy.restartDue(0));
		CPPUNIT_ASSERT_EQUAL(std::string("dump"), policy.strategy());
		policy.fallBack("dump failed: again");
		CPPUNIT_ASSERT_EQUAL(2, policy.fallbacks());
		CPPUNIT_ASSERT(policy.restartDue(0));
		RotationSettings restart;
		restart.strategy = "restart";
		CPPUNIT_ASSERT(RotationPolicy(restart).restartDue(0));
		CPPUNIT_ASSERT_EQUAL(std::string("restart"), RotationPolicy(restart).strategy());
	}

	void testProfilerMemoryIsTheSumOfTheMemLines()
	{
		std::string metrics = "mem_calltracestorage_kb 100\nmem_flightrecorder_kb 20\nmem_classmap_kb 3\nsamples_total 12345\n"
							  "calltracestorage_overflows_total 0\n";
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(123 * 1024), *RotationPolicy::profilerMemory(metrics));
		CPPUNIT_ASSERT(!RotationPolicy::profilerMemory("samples_total 3\n"));
		CPPUNIT_ASSERT(!RotationPolicy::profilerMemory(""));
	}

	void testDumpDeliversEachIntervalFromOneFile()
	{
		FakeProfilerSetting dump("ASPROF_FAKE_DUMP", "1");
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), ""), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= 4; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT_EQUAL(std::string("dump"), status.rotationStrategy);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.restarts);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.profilerErrors);
		CPPUNIT_ASSERT_EQUAL(status.chunkSwitches + 1, status.recordings); // the last one at stop
		CPPUNIT_ASSERT_EQUAL(status.recordings, delivered(agent));
		assertEachProfileIsOneInterval(out.path(), delivered(agent), "cpu-wall.jfr");
		std::vector<std::string> commands = fakeCommands(_log->path());
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), countPrefix(commands, "start,"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(status.chunkSwitches), countPrefix(commands, "dump,jfr,log=stderr"));
		CPPUNIT_ASSERT_EQUAL(std::string("stop-done"), commands.back());
	}

	void testDumpCutsEveryChunkOfAMultiChunkSwitch()
	{
		FakeProfilerSetting dump("ASPROF_FAKE_DUMP", "1");
		FakeProfilerSetting jfr("ASPROF_FAKE_JFR", asprof::test::dataFile("multi-chunk.jfr"));
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), ""), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= 3; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		assertEveryProfileAccounted(agent.status());
		CPPUNIT_ASSERT(agent.status().chunkSwitches >= 2);
		assertEachProfileIsOneInterval(out.path(), delivered(agent), "multi-chunk.jfr");
	}

	void testRestartEveryStartsAFreshFile()
	{
		FakeProfilerSetting dump("ASPROF_FAKE_DUMP", "1");
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), "restartEvery = 3\n"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= 7; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT(status.restarts >= 2);
		assertEachProfileIsOneInterval(out.path(), delivered(agent), "cpu-wall.jfr");
		// start, dump, dump, stop, start, dump, dump, stop, ...: a file holds 3 intervals.
		std::size_t dumpsInFile = 0;
		for (const auto& command : fakeCommands(_log->path()))
		{
			if (command.compare(0, 6, "start,") == 0) dumpsInFile = 0;
			if (command.compare(0, 5, "dump,") == 0) ++dumpsInFile;
			CPPUNIT_ASSERT(dumpsInFile <= 2);
		}
	}

	void testFileSizeBoundStartsAFreshFile()
	{
		FakeProfilerSetting dump("ASPROF_FAKE_DUMP", "1");
		FakeProfilerSetting jfr("ASPROF_FAKE_JFR", asprof::test::dataFile("fanout.jfr")); // 1.4 MB per interval
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), "restartFileSize = 1MiB\n"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= 4; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT(status.chunkSwitches >= 1);
		CPPUNIT_ASSERT(status.restarts >= 1);
		// One interval fills the file past 1 MiB: every dump is followed by a restart.
		std::size_t dumpsInFile = 0;
		for (const auto& command : fakeCommands(_log->path()))
		{
			if (command.compare(0, 6, "start,") == 0) dumpsInFile = 0;
			if (command.compare(0, 5, "dump,") == 0) ++dumpsInFile;
			CPPUNIT_ASSERT(dumpsInFile <= 1);
		}
		assertEachProfileIsOneInterval(out.path(), delivered(agent), "fanout.jfr");
	}

	void testProfilerMemoryBoundStartsAFreshFile()
	{
		FakeProfilerSetting dump("ASPROF_FAKE_DUMP", "1");
		FakeProfilerSetting metrics("ASPROF_FAKE_METRICS_KB", "2048"); // 2 MiB
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), "restartProfilerMemory = 1MiB\n"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= 5; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT(status.chunkSwitches >= 2);
		CPPUNIT_ASSERT(status.restarts >= 2);
		std::vector<std::string> commands = fakeCommands(_log->path());
		CPPUNIT_ASSERT_EQUAL(countPrefix(commands, "dump,"), countPrefix(commands, "metrics,log=stderr"));
		std::size_t dumpsInFile = 0;
		for (const auto& command : commands)
		{
			if (command.compare(0, 6, "start,") == 0) dumpsInFile = 0;
			if (command.compare(0, 5, "dump,") == 0) ++dumpsInFile;
			CPPUNIT_ASSERT(dumpsInFile <= 1);
		}
		assertEachProfileIsOneInterval(out.path(), delivered(agent), "cpu-wall.jfr");
	}

	void testWithoutDumpFallsBackToRestartAndLosesNothing()
	{
		TemporaryDirectory out;
		asprof::test::LogCapture log("asprof.agent", Poco::Message::PRIO_WARNING);
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), ""), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= 3; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT_EQUAL(std::string("restart (fallback: dump failed: Fake: unsupported command)"), status.rotationStrategy);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.chunkSwitches);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.profilerErrors);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("cannot switch JFR chunks"));
		std::vector<std::string> commands = fakeCommands(_log->path());
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), countPrefix(commands, "dump,")); // tried once
		CPPUNIT_ASSERT_EQUAL(countPrefix(commands, "start,"), static_cast<std::size_t>(status.recordings));
		assertEachProfileIsOneInterval(out.path(), delivered(agent), "cpu-wall.jfr");
	}

	void testDumpFailureFallsBackAtOnceAndKeepsTheInterval()
	{
		FakeProfilerSetting dump("ASPROF_FAKE_DUMP", "1");
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), ""), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().chunkSwitches >= 2; }));
		{
			FakeProfilerSetting fail("ASPROF_FAKE_DUMP_FAIL", "1");
			CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().restarts >= 2; }));
		}
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT_EQUAL(std::string("restart (fallback: dump failed: Fake dump failure)"), status.rotationStrategy);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.profilerErrors);
		CPPUNIT_ASSERT_EQUAL(status.recordings, delivered(agent));
		// The interval whose dump failed came out of the stop: one interval, like the rest.
		assertEachProfileIsOneInterval(out.path(), delivered(agent), "cpu-wall.jfr");
	}

	// A dump that fails for a while (a full disk) costs the gapless rotation
	// only until restartEvery restarts have run: then dump is tried again.
	void testDumpResumesAfterAPassingFailure()
	{
		FakeProfilerSetting dump("ASPROF_FAKE_DUMP", "1");
		TemporaryDirectory out;
		asprof::test::LogCapture log("asprof.agent", Poco::Message::PRIO_WARNING);
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), "restartEvery = 2\n"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().chunkSwitches >= 1; }));
		std::uint64_t switchesBefore = 0;
		{
			FakeProfilerSetting fail("ASPROF_FAKE_DUMP_FAIL", "1");
			CPPUNIT_ASSERT(waitUntil([&]() { return contains(agent.status().rotationStrategy, "fallback"); }));
			switchesBefore = agent.status().chunkSwitches;
		}
		CPPUNIT_ASSERT(waitUntil([&]() {
			AgentStatus status = agent.status();
			return status.rotationStrategy == "dump" && status.chunkSwitches > switchesBefore;
		}));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.profilerErrors);
		CPPUNIT_ASSERT_EQUAL(status.recordings, delivered(agent));
		CPPUNIT_ASSERT(log.count("cannot switch JFR chunks") >= 1);
		assertEachProfileIsOneInterval(out.path(), delivered(agent), "cpu-wall.jfr");
	}

	void testRotationRestartNeverDumps()
	{
		FakeProfilerSetting dump("ASPROF_FAKE_DUMP", "1");
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), "rotation = restart\n"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= 3; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT_EQUAL(std::string("restart"), status.rotationStrategy);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.chunkSwitches);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), countPrefix(fakeCommands(_log->path()), "dump"));
		assertEachProfileIsOneInterval(out.path(), delivered(agent), "cpu-wall.jfr");
	}

	// A recording file that holds no complete JFR chunk (a full tempDir cut
	// async-profiler's writes short): counted lost with the reason, never
	// delivered as if it were a profile.
	void testAFileThatIsNoJfrIsLostNotDelivered()
	{
		FakeProfilerSetting garbage("ASPROF_FAKE_JFR", asprof::test::dataFile("truncated.jfr"));
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), "rotation = restart\n"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().recordingsLost >= 2; }));
		agent.stop(Poco::Timespan(5, 0));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), delivered(agent));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.recordings);
		CPPUNIT_ASSERT_MESSAGE(status.lastError, contains(status.lastError, "the file holds no complete JFR chunks"));
	}

	// A restart that cannot make its fresh file (tempDir gone: a tmp
	// cleaner, no inodes left): each interval is still cut by a chunk switch
	// and delivered, never one chunk that grows without end.
	void testRestartWithoutAFileStillSwitchesChunks()
	{
		FakeProfilerSetting dump("ASPROF_FAKE_DUMP", "1");
		TemporaryDirectory out;
		TemporaryDirectory temp;
		std::string tempDir = temp.file("recordings");
		Poco::File(tempDir).createDirectory();
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), "restartEvery = 1\ntempDir = " + tempDir + "\n"), "test.ini"));
		agent.start();
		Poco::File(tempDir).remove(); // empty: recordings are O_TMPFILE, never linked
		std::uint64_t before = delivered(agent);
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().chunkSwitches >= 3 && delivered(agent) >= before + 3; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT_EQUAL(std::string("dump"), status.rotationStrategy);
		CPPUNIT_ASSERT(status.lastError.find("cannot rotate") != std::string::npos);
		assertEachProfileIsOneInterval(out.path(), delivered(agent), "cpu-wall.jfr");
	}

	// A stop that fails after chunk switches: the ranges already cut stay
	// readable (the file is kept open), the interval of the stop is lost and
	// counted, and rotation goes on.
	void testFailedStopAfterChunkSwitchesKeepsEveryProfileAccounted()
	{
		FakeProfilerSetting dump("ASPROF_FAKE_DUMP", "1");
		TemporaryDirectory out;
		Agent agent(AgentConfig::fromIni(captureIni(out.path(), "restartEvery = 3\n"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().chunkSwitches >= 1; }));
		{
			FakeProfilerSetting fail("ASPROF_FAKE_STOP_FAIL", "1");
			CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().recordingsLost >= 1; }));
		}
		std::uint64_t before = delivered(agent);
		CPPUNIT_ASSERT(waitUntil([&]() { return delivered(agent) >= before + 2; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(5, 0)));
		AgentStatus status = agent.status();
		assertEveryProfileAccounted(status);
		CPPUNIT_ASSERT(contains(status.lastError, "Fake stop failure") || status.profilerErrors >= 1);
		CPPUNIT_ASSERT_EQUAL(status.recordings, delivered(agent));
		std::string expected = asprof::test::readFile(asprof::test::dataFile("cpu-wall.jfr"));
		for (const auto& name : asprof::test::listFiles(out.path()))
		{
			if (name.size() > 4 && name.compare(name.size() - 4, 4, ".jfr") == 0)
				CPPUNIT_ASSERT_MESSAGE(name, asprof::test::readFile(out.path() + "/" + name) == expected);
		}
	}

private:
	std::unique_ptr<asprof::test::FakeProfilerLog> _log;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RotationTest);
