//
// LiveHeapTest.cpp
//
// asprof::jfr::LiveHeap on real async-profiler 4.5 recordings: exact live
// bytes and objects (tests/data/nativemem.jfr's facts from the shared
// README; heap-first/heap-second.jfr from tests/data/nativemem/README.md,
// cross-checked with jfrconv --nativemem --leak --tail 0), a leak spanning
// two recordings, the cap, all-or-nothing add(), and the profile read back
// by Google's pprof.
//

#include "TestSupport.h"
#include "asprof/jfr/JfrError.h"
#include "asprof/jfr/LiveHeap.h"
#include "asprof/jfr/PprofConvert.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/File.h"
#include "Poco/InflatingStream.h"
#include "Poco/Pipe.h"
#include "Poco/PipeStream.h"
#include "Poco/Process.h"
#include "Poco/StreamCopier.h"
#include <atomic>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

using namespace asprof::jfr;
using asprof::test::dataFile;
using asprof::test::readFile;
using asprof::test::TemporaryDirectory;
using asprof::test::writeFile;

namespace {

void add(LiveHeap& heap, const std::string& file)
{
	heap.add(Input::open(dataFile(file)));
}

std::string profileOf(const LiveHeap& heap)
{
	std::ostringstream out;
	heap.writePprof(out, false);
	return out.str();
}

std::string describe(const LiveHeapStats& stats)
{
	std::ostringstream out;
	out << "recordings " << stats.recordings << ", live " << stats.liveAllocations << " / " << stats.liveBytes << " B, allocations "
		<< stats.allocations << " / " << stats.allocatedBytes << " B, frees " << stats.frees << ", unmatched " << stats.unmatchedFrees
		<< ", evicted " << stats.evicted << " / " << stats.evictedBytes << " B, stacks " << stats.stacks;
	return out.str();
}

// Runs pprof; its output, or throws naming it and its status. pprof keeps
// nothing in $HOME and symbolizes nothing.
std::string run(const std::string& program, const std::vector<std::string>& arguments, const std::string& home)
{
	Poco::Pipe output;
	Poco::Process::Env env = {{"HOME", home}, {"PPROF_TMPDIR", home}, {"PPROF_BINARY_PATH", "/nonexistent"}};
	Poco::ProcessHandle process = Poco::Process::launch(program, arguments, home, nullptr, &output, &output, env);
	Poco::PipeInputStream stream(output);
	std::string text;
	Poco::StreamCopier::copyToString(stream, text);
	int status = process.wait();
	if (status != 0) throw Poco::RuntimeException(program + " exited with " + std::to_string(status) + ": " + text);
	return text;
}

// pprof -top's header line: "Showing nodes accounting for 4500549B, 100% of 4500549B total".
std::string totalOf(const std::string& top)
{
	auto of = top.find("% of ");
	auto total = top.find(" total", of);
	if (of == std::string::npos || total == std::string::npos) return "(no total in: " + top.substr(0, 400) + ")";
	return top.substr(of + 5, total - of - 5);
}

} // namespace

class LiveHeapTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(LiveHeapTest);
	CPPUNIT_TEST(testLiveBytesAndObjectsMatchTheRecordingsFacts);
	CPPUNIT_TEST(testLeakSpanningTwoRecordingsShowsAndWhatTheSecondFreesDoesNot);
	CPPUNIT_TEST(testChunksOfOneRecordingFollowEachOther);
	CPPUNIT_TEST(testStacksAreInternedByFramesAcrossRecordings);
	CPPUNIT_TEST(testCapEvictsTheSmallestAndCountsThem);
	CPPUNIT_TEST(testCapOfEqualSizesKeepsTheOldest);
	CPPUNIT_TEST(testCorruptRecordingLeavesTheTableUnchanged);
	CPPUNIT_TEST(testRecordingWithoutNativeMemoryOnlyCounts);
	CPPUNIT_TEST(testFreesWithoutMallocsAreNoAllocationProfile);
	CPPUNIT_TEST(testClearForgetsEverything);
	CPPUNIT_TEST(testProfileIsGzippedAndDeclaresGoHeapSampleTypes);
	CPPUNIT_TEST(testWritePprofWhileAddingSeesWholeRecordings);
	CPPUNIT_TEST(testGooglePprofReadsTheHeapWithExactTotals);
	CPPUNIT_TEST(testGooglePprofSeesTheSamplingPeriod);
	CPPUNIT_TEST_SUITE_END();

public:
	void testLiveBytesAndObjectsMatchTheRecordingsFacts()
	{
		// nativemem.jfr (shared README): 1313 mallocs of 5378048 bytes; 1250 frees
		// matched, 18764 not; 63 blocks of 4096 bytes never freed, one stack.
		LiveHeap heap;
		add(heap, "nativemem.jfr");
		LiveHeapStats stats = heap.stats();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(stats), std::uint64_t(63), stats.liveAllocations);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(258048), stats.liveBytes);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1313), stats.allocations);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(5378048), stats.allocatedBytes);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1250), stats.frees);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(18764), stats.unmatchedFrees);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), stats.evicted);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), stats.stacks);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), stats.recordings);
	}

	void testLeakSpanningTwoRecordingsShowsAndWhatTheSecondFreesDoesNot()
	{
		// heap-first.jfr: leak_in_first 3000000 (never freed), freed_in_second
		// 2000000, freed_in_first 2500000 (freed at once), and the profiler's own
		// 16 + 517. heap-second.jfr: frees freed_in_second's block, leak_in_second
		// 1500000, the profiler's 16 + 517; that 517 is at the address of the
		// first's (freed unrecorded between the recordings): it replaces it.
		LiveHeap heap;
		add(heap, "nativemem/heap-first.jfr");
		LiveHeapStats first = heap.stats();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(first), std::uint64_t(4), first.liveAllocations);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3000000 + 2000000 + 16 + 517), first.liveBytes);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), first.allocations);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(7500533), first.allocatedBytes);
		add(heap, "nativemem/heap-second.jfr");
		LiveHeapStats both = heap.stats();
		// What jfrconv --nativemem --leak --tail 0 --total sums on the two concatenated.
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(both), std::uint64_t(5), both.liveAllocations);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3000000 + 1500000 + 32 + 517), both.liveBytes);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(8), both.allocations);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(9001066), both.allocatedBytes);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), both.recordings);

		// Capped at 2, only the program's blocks are large enough to stay: the
		// first recording's leak survives into the second, the block the second
		// frees is gone.
		LiveHeap capped(2);
		add(capped, "nativemem/heap-first.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3000000 + 2000000), capped.stats().liveBytes);
		add(capped, "nativemem/heap-second.jfr");
		LiveHeapStats stats = capped.stats();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(stats), std::uint64_t(3000000 + 1500000), stats.liveBytes);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), stats.liveAllocations);
	}

	void testChunksOfOneRecordingFollowEachOther()
	{
		// The two recordings as two chunks of one file: the second chunk frees a
		// block of the first and replaces another, as two add()s would.
		TemporaryDirectory directory;
		std::string both = directory.file("both.jfr");
		writeFile(both, readFile(dataFile("nativemem/heap-first.jfr")) + readFile(dataFile("nativemem/heap-second.jfr")));
		LiveHeap heap;
		heap.add(Input::open(both));
		LiveHeap twice;
		add(twice, "nativemem/heap-first.jfr");
		add(twice, "nativemem/heap-second.jfr");
		LiveHeapStats stats = heap.stats();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(stats), std::uint64_t(3000000 + 1500000 + 32 + 517), stats.liveBytes);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), stats.frees);
		stats.recordings = 2;
		CPPUNIT_ASSERT_EQUAL(describe(twice.stats()), describe(stats));
		CPPUNIT_ASSERT(profileOf(twice) == profileOf(heap));
	}

	void testStacksAreInternedByFramesAcrossRecordings()
	{
		// Five stacks in the first recording; the second's profiler stacks have the
		// same frames under other ids, leak_in_second is new: six in all.
		LiveHeap heap;
		add(heap, "nativemem/heap-first.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), heap.stats().stacks);
		add(heap, "nativemem/heap-second.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), heap.stats().stacks);
		add(heap, "nativemem/heap-second.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), heap.stats().stacks);
	}

	void testCapEvictsTheSmallestAndCountsThem()
	{
		LiveHeap heap(2);
		add(heap, "nativemem/heap-first.jfr");
		LiveHeapStats first = heap.stats();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(first), std::uint64_t(2), first.evicted);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(16 + 517), first.evictedBytes);
		add(heap, "nativemem/heap-second.jfr");
		LiveHeapStats both = heap.stats();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(both), std::uint64_t(4), both.evicted);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2 * (16 + 517)), both.evictedBytes);
		// Both recordings free one block each, and both were kept.
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), both.frees);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), both.unmatchedFrees);
	}

	void testCapOfEqualSizesKeepsTheOldest()
	{
		LiveHeap heap(10);
		add(heap, "nativemem.jfr");
		LiveHeapStats stats = heap.stats();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(stats), std::uint64_t(10), stats.liveAllocations);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(10 * 4096), stats.liveBytes);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(53), stats.evicted);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(53 * 4096), stats.evictedBytes);
		// Live + evicted: every block the uncapped table holds, none twice.
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(258048), stats.liveBytes + stats.evictedBytes);
	}

	void testCorruptRecordingLeavesTheTableUnchanged()
	{
		LiveHeap heap;
		add(heap, "nativemem/heap-first.jfr");
		LiveHeapStats before = heap.stats();
		std::string profileBefore = profileOf(heap);
		// A complete chunk (the second recording, with frees and mallocs) and
		// then garbage: the good chunk must not be applied either.
		TemporaryDirectory directory;
		std::string broken = directory.file("second-then-garbage.jfr");
		writeFile(broken, readFile(dataFile("nativemem/heap-second.jfr")) + readFile(dataFile("garbage.jfr")));
		for (const std::string& path : {broken, dataFile("truncated.jfr")})
		{
			try
			{
				heap.add(Input::open(path));
				CPPUNIT_FAIL("no JfrError for " + path);
			}
			catch (JfrError& e)
			{
				CPPUNIT_ASSERT_EQUAL_MESSAGE(e.message(), path, e.input());
			}
			CPPUNIT_ASSERT_EQUAL(describe(before), describe(heap.stats()));
			CPPUNIT_ASSERT(profileBefore == profileOf(heap));
		}
		add(heap, "nativemem/heap-second.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3000000 + 1500000 + 32 + 517), heap.stats().liveBytes);
	}

	void testRecordingWithoutNativeMemoryOnlyCounts()
	{
		LiveHeap heap;
		add(heap, "nativemem/heap-first.jfr");
		LiveHeapStats before = heap.stats();
		add(heap, "cpu-wall.jfr");
		LiveHeapStats after = heap.stats();
		CPPUNIT_ASSERT_EQUAL(before.recordings + 1, after.recordings);
		after.recordings = before.recordings;
		CPPUNIT_ASSERT_EQUAL(describe(before), describe(after));
	}

	// freeonly.jfr: 1000 frees of blocks allocated before the recording
	// started, no malloc (README): no live allocation, no allocation
	// profile to upload (async-profiler records every free).
	void testFreesWithoutMallocsAreNoAllocationProfile()
	{
		LiveHeap heap;
		add(heap, "nativemem/freeonly.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), heap.stats().liveAllocations);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1000), heap.stats().unmatchedFrees);
		for (const auto& profile : convertEachEvent(Input::open(dataFile("nativemem/freeonly.jfr"))))
			CPPUNIT_ASSERT_MESSAGE(kindName(profile.kind), profile.kind != PprofWriter::Kind::Alloc);
		bool alloc = false;
		for (const auto& profile : convertEachEvent(Input::open(dataFile("nativemem.jfr"))))
			alloc = alloc || (profile.kind == PprofWriter::Kind::Alloc && profile.samples == 1313);
		CPPUNIT_ASSERT(alloc);
	}

	void testClearForgetsEverything()
	{
		LiveHeap heap;
		add(heap, "nativemem.jfr");
		heap.clear();
		CPPUNIT_ASSERT_EQUAL(describe(LiveHeapStats()), describe(heap.stats()));
		add(heap, "nativemem/heap-second.jfr");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1500000 + 16 + 517), heap.stats().liveBytes);
	}

	void testProfileIsGzippedAndDeclaresGoHeapSampleTypes()
	{
		LiveHeap heap;
		add(heap, "nativemem/heap-first.jfr");
		add(heap, "nativemem/heap-second.jfr");
		std::ostringstream gzipped;
		heap.writePprof(gzipped);
		std::string bytes = gzipped.str();
		CPPUNIT_ASSERT(bytes.size() > 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b);
		std::istringstream in(bytes);
		Poco::InflatingInputStream inflater(in, Poco::InflatingStreamBuf::STREAM_GZIP);
		std::string plain;
		Poco::StreamCopier::copyToString(inflater, plain);
		CPPUNIT_ASSERT(plain == profileOf(heap));
		for (const char* text :
			{"alloc_objects", "alloc_space", "inuse_objects", "inuse_space", "leak_in_first", "leak_in_second", "malloc_hook"})
			CPPUNIT_ASSERT_MESSAGE(text, plain.find(text) != std::string::npos);
	}

	void testWritePprofWhileAddingSeesWholeRecordings()
	{
		// A reader thread takes stats and profiles while recordings are added:
		// every snapshot is one between two add()s.
		LiveHeap heap;
		std::set<std::uint64_t> allowed = {0, 258048};
		std::atomic<bool> done(false);
		std::vector<std::uint64_t> seen;
		std::thread reader([&]() {
			while (!done)
			{
				profileOf(heap);
				seen.push_back(heap.stats().liveBytes);
			}
		});
		for (int i = 0; i < 5; ++i)
		{
			heap.clear();
			add(heap, "nativemem.jfr");
		}
		done = true;
		reader.join();
		for (std::uint64_t liveBytes : seen) CPPUNIT_ASSERT_MESSAGE(std::to_string(liveBytes), allowed.count(liveBytes) == 1);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(258048), heap.stats().liveBytes);
	}

	void testGooglePprofReadsTheHeapWithExactTotals()
	{
		std::string pprof = googlePprof();
		if (pprof.empty()) return;
		LiveHeap heap;
		add(heap, "nativemem/heap-first.jfr");
		add(heap, "nativemem/heap-second.jfr");
		TemporaryDirectory directory;
		std::string profile = writeProfile(heap, directory);
		auto top = [&](const std::string& index) {
			std::vector<std::string> arguments = {"-top", "-sample_index=" + index, profile};
			if (index.find("_space") != std::string::npos) arguments.insert(arguments.begin(), "-unit=B"); // bytes, not 4.29MB
			return run(pprof, arguments, directory.path());
		};
		std::string inuse = top("inuse_space");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(inuse, std::string("4500549B"), totalOf(inuse));
		CPPUNIT_ASSERT_MESSAGE(inuse, inuse.find("Type: inuse_space") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(inuse, inuse.find("leak_in_first") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(inuse, inuse.find("freed_in_second") == std::string::npos);
		std::string allocated = top("alloc_space");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(allocated, std::string("9001066B"), totalOf(allocated));
		CPPUNIT_ASSERT_EQUAL(std::string("5"), totalOf(top("inuse_objects")));
		CPPUNIT_ASSERT_EQUAL(std::string("8"), totalOf(top("alloc_objects")));
		// Without -sample_index, pprof takes the default sample type: inuse_space.
		std::string byDefault = run(pprof, {"-top", "-unit=B", profile}, directory.path());
		CPPUNIT_ASSERT_MESSAGE(byDefault, byDefault.find("Type: inuse_space") != std::string::npos);
	}

	void testGooglePprofSeesTheSamplingPeriod()
	{
		std::string pprof = googlePprof();
		if (pprof.empty()) return;
		LiveHeap heap;
		add(heap, "nativemem.jfr");
		TemporaryDirectory directory;
		std::string profile = writeProfile(heap, directory);
		// As Go's: space/bytes, the sampling interval (nativemem=64k).
		std::string raw = run(pprof, {"-raw", profile}, directory.path());
		CPPUNIT_ASSERT_MESSAGE(raw, raw.find("PeriodType: space bytes") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(raw, raw.find("Period: 65536") != std::string::npos);
		std::string top = run(pprof, {"-top", "-unit=B", "-sample_index=inuse_space", profile}, directory.path());
		CPPUNIT_ASSERT_EQUAL_MESSAGE(top, std::string("258048B"), totalOf(top));
	}

private:
	// The pprof binary build-pprof.sh builds into the build tree (once), or
	// empty after printing SKIPPED when it cannot be built here (no Go).
	static std::string googlePprof()
	{
		std::string pprof = ASPROF_TEST_PPROF;
		if (!Poco::File(pprof).exists()) Poco::Process::launch("bash", {ASPROF_TEST_BUILD_PPROF, pprof}).wait();
		if (Poco::File(pprof).exists()) return pprof;
		std::cout << "SKIPPED: Google pprof not available (tests/jfr/build-pprof.sh)" << std::endl;
		return std::string();
	}

	static std::string writeProfile(const LiveHeap& heap, const TemporaryDirectory& directory)
	{
		std::string profile = directory.file("heap.pb.gz");
		std::ofstream out(profile, std::ios::binary);
		heap.writePprof(out);
		out.close();
		CPPUNIT_ASSERT_MESSAGE("cannot write " + profile, out.good());
		return profile;
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(LiveHeapTest);
