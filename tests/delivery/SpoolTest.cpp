//
// SpoolTest.cpp
//
// The spool on its own: what an entry keeps, its files and their modes,
// order, removal, cleanup and caps at open, corrupt entries, the lock.
//

#include "Spool.h"
#include "TestSupport.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include <sys/stat.h>
#include <unistd.h>

using asprof::agent::Spool;
using asprof::sdk::Profile;
using asprof::test::dataFile;
using asprof::test::listFiles;
using asprof::test::makeProfile;
using asprof::test::readFile;
using asprof::test::TemporaryDirectory;
using asprof::test::writeFile;

namespace {

const std::string JFR = "cpu-wall.jfr";
const std::uint64_t UNLIMITED_BYTES = 0;
const Poco::Timespan UNLIMITED_AGE(0);

Profile profileStartingAt(std::uint64_t seq, Poco::Timestamp start)
{
	Profile profile = makeProfile(JFR, seq);
	profile.start = start;
	profile.end = start + Poco::Timespan(30, 0);
	return profile;
}

int modeOf(const std::string& path)
{
	struct stat info;
	CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 0, ::stat(path.c_str(), &info));
	return static_cast<int>(info.st_mode & 07777);
}

std::uint64_t entryBytesOnDisk(const std::string& directory)
{
	std::uint64_t bytes = 0;
	for (const auto& name : listFiles(directory)) bytes += Poco::File(directory + "/" + name).getSize();
	return bytes;
}

std::vector<std::string> entryFiles(const std::vector<std::string>& ids)
{
	std::vector<std::string> names;
	for (const auto& id : ids)
	{
		names.push_back(Spool::fileName(id, ".jfr"));
		names.push_back(Spool::fileName(id, ".json"));
	}
	return names;
}

/// What an earlier run left: seqs 1..count in a spool closed again. Returns their ids.
std::vector<std::string> leaveEntries(const std::string& spoolDir, std::uint64_t count)
{
	Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
	spool.open();
	Spool::Evicted evicted;
	std::vector<std::string> ids;
	for (std::uint64_t seq = 1; seq <= count; ++seq) ids.push_back(spool.add(makeProfile(JFR, seq), evicted));
	return ids;
}

std::string openError(Spool& spool)
{
	return asprof::test::errorOf([&]() { spool.open(); });
}

} // namespace

class SpoolTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SpoolTest);
	CPPUNIT_TEST(testLoadReturnsEveryFieldThatWasAdded);
	CPPUNIT_TEST(testEntryIsARecordingAndItsMetadata);
	CPPUNIT_TEST(testIdsSortOldestFirst);
	CPPUNIT_TEST(testRemoveDeletesTheEntry);
	CPPUNIT_TEST(testOpenIndexesWhatAnEarlierRunLeft);
	CPPUNIT_TEST(testOpenCleansLeftoverTemporaryAndOrphanRecording);
	CPPUNIT_TEST(testEntriesArePrivate);
	CPPUNIT_TEST(testBytesMatchTheFilesOnDisk);
	CPPUNIT_TEST(testAddEvictsTheOldestBeyondMaxBytes);
	CPPUNIT_TEST(testOpenEnforcesMaxBytesOldestFirst);
	CPPUNIT_TEST(testCorruptEntryIsMovedAsideOnLoad);
	CPPUNIT_TEST(testSecondSpoolOnTheDirectoryIsRefusedUntilTheFirstCloses);
	CPPUNIT_TEST_SUITE_END();

public:
	void testLoadReturnsEveryFieldThatWasAdded()
	{
		TemporaryDirectory directory;
		Profile original = makeProfile(JFR, 7);
		original.start = Poco::Timestamp(1742488884123456); // microseconds survive
		original.end = Poco::Timestamp(1742488914654321);
		original.reportingInterval = Poco::Timespan(15, 250000);
		original.pid = 31337;
		original.host.kind = "ec2";
		original.host.fields = {{"accountId", "123456789012"}, {"region", "eu-west-1"}, {"instanceId", "i-0abc"}};
		original.host.labels = {{"team", "perf"}};
		original.labels = {{"service", "check\"out, \\ \"quoted\""}, {"owner", "J\xc3\xbcrgen \xe2\x9c\x93"}, {"empty", ""}};
		original.profilerArgs = "event=cpu,interval=10000000,wall=100ms,jfr,cstack=dwarf,log=stderr";
		Spool spool(directory.file("spool"), UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		Spool::Evicted evicted;
		std::string id = spool.add(original, evicted);
		CPPUNIT_ASSERT_EQUAL(Spool::makeId(original), id);
		CPPUNIT_ASSERT_EQUAL(std::string("0001742488884123-31337-0000000007"), id);

		std::shared_ptr<Profile> loaded = spool.load(id);
		CPPUNIT_ASSERT(loaded);
		CPPUNIT_ASSERT_EQUAL(original.seq, loaded->seq);
		CPPUNIT_ASSERT_EQUAL(original.start.epochMicroseconds(), loaded->start.epochMicroseconds());
		CPPUNIT_ASSERT_EQUAL(original.end.epochMicroseconds(), loaded->end.epochMicroseconds());
		CPPUNIT_ASSERT_EQUAL(original.reportingInterval.totalMicroseconds(), loaded->reportingInterval.totalMicroseconds());
		CPPUNIT_ASSERT_EQUAL(original.pid, loaded->pid);
		CPPUNIT_ASSERT_EQUAL(original.host.kind, loaded->host.kind);
		CPPUNIT_ASSERT(original.host.fields == loaded->host.fields);
		CPPUNIT_ASSERT(original.host.labels == loaded->host.labels);
		CPPUNIT_ASSERT(original.labels == loaded->labels);
		CPPUNIT_ASSERT_EQUAL(original.profilerArgs, loaded->profilerArgs);
		CPPUNIT_ASSERT(loaded->recording);
		CPPUNIT_ASSERT(readFile(dataFile(JFR)) == loaded->recording->readAll());
		CPPUNIT_ASSERT(spool.contains(id)); // loading does not consume the entry
	}

	void testEntryIsARecordingAndItsMetadata()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		Spool::Evicted evicted;
		std::string id = spool.add(makeProfile(JFR, 1), evicted);
		// No temporary file remains; the recording is stored byte for byte.
		CPPUNIT_ASSERT(entryFiles({id}) == listFiles(spoolDir));
		CPPUNIT_ASSERT(readFile(dataFile(JFR)) == readFile(spoolDir + "/" + Spool::fileName(id, ".jfr")));
		CPPUNIT_ASSERT(readFile(spoolDir + "/" + Spool::fileName(id, ".json")).find("\"seq\":1") != std::string::npos);
		CPPUNIT_ASSERT(evicted.expired.empty() && evicted.overCap.empty());
	}

	void testIdsSortOldestFirst()
	{
		TemporaryDirectory directory;
		Spool spool(directory.file("spool"), UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		Poco::Timestamp base = Poco::Timestamp::fromEpochTime(1742488884);
		Spool::Evicted evicted;
		std::string third = spool.add(profileStartingAt(3, base + Poco::Timespan(60, 0)), evicted);
		std::string tenth = spool.add(profileStartingAt(10, base), evicted);
		std::string first = spool.add(profileStartingAt(1, base - Poco::Timespan(3600, 0)), evicted);
		std::string ninth = spool.add(profileStartingAt(9, base), evicted); // same start: seq decides, 9 before 10
		std::vector<std::string> expected = {first, ninth, tenth, third};
		CPPUNIT_ASSERT(expected == spool.ids());
		CPPUNIT_ASSERT_EQUAL(first, spool.oldest());
	}

	void testRemoveDeletesTheEntry()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		Spool::Evicted evicted;
		std::string first = spool.add(makeProfile(JFR, 1), evicted);
		std::string second = spool.add(makeProfile(JFR, 2), evicted);
		std::uint64_t bytesOfBoth = spool.bytes();
		spool.remove(first);
		CPPUNIT_ASSERT(!spool.contains(first));
		CPPUNIT_ASSERT(entryFiles({second}) == listFiles(spoolDir));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), spool.size());
		CPPUNIT_ASSERT_EQUAL(bytesOfBoth / 2, spool.bytes());
		CPPUNIT_ASSERT_EQUAL(second, spool.oldest());
		spool.remove(first); // already gone: no-op
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), spool.size());
		spool.remove(second);
		CPPUNIT_ASSERT(listFiles(spoolDir).empty());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), spool.bytes());
		CPPUNIT_ASSERT_EQUAL(std::string(), spool.oldest());
	}

	void testOpenIndexesWhatAnEarlierRunLeft()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		std::vector<std::string> ids = leaveEntries(spoolDir, 3);
		Spool reopened(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		Spool::Evicted evicted = reopened.open();
		CPPUNIT_ASSERT(evicted.expired.empty() && evicted.overCap.empty());
		CPPUNIT_ASSERT(ids == reopened.ids());
		std::shared_ptr<Profile> loaded = reopened.load(ids[1]);
		CPPUNIT_ASSERT(loaded);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), loaded->seq);
	}

	void testOpenCleansLeftoverTemporaryAndOrphanRecording()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		std::string kept = leaveEntries(spoolDir, 1).front();
		// What a crash can leave: writes cut short, and a recording whose
		// metadata was never committed.
		std::string orphan = Spool::makeId(makeProfile(JFR, 2));
		const std::string cutShort[] = {spoolDir + "/." + Spool::fileName(orphan, ".jfr") + ".00000000deadbeef.tmp",
			spoolDir + "/." + Spool::fileName(orphan, ".json") + ".0123456789abcdef.tmp"};
		writeFile(cutShort[0], "partial");
		writeFile(cutShort[1], "{\"seq\"");
		writeFile(spoolDir + "/" + Spool::fileName(orphan, ".jfr"), readFile(dataFile(JFR)));

		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		CPPUNIT_ASSERT(entryFiles({kept}) == listFiles(spoolDir));
		CPPUNIT_ASSERT(!Poco::File(cutShort[0]).exists() && !Poco::File(cutShort[1]).exists());
		CPPUNIT_ASSERT(std::vector<std::string>{kept} == spool.ids());
		CPPUNIT_ASSERT(!Poco::File(spoolDir + "/corrupt").exists()); // incomplete, not corrupt
	}

	void testEntriesArePrivate()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		Spool::Evicted evicted;
		std::string id = spool.add(makeProfile(JFR, 1), evicted);
		CPPUNIT_ASSERT_EQUAL(0700, modeOf(spoolDir));
		CPPUNIT_ASSERT_EQUAL(0600, modeOf(spoolDir + "/" + Spool::fileName(id, ".jfr")));
		CPPUNIT_ASSERT_EQUAL(0600, modeOf(spoolDir + "/" + Spool::fileName(id, ".json")));
		CPPUNIT_ASSERT_EQUAL(0600, modeOf(spoolDir + "/.lock"));
	}

	void testBytesMatchTheFilesOnDisk()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		std::uint64_t bytes = 0;
		{
			Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
			spool.open();
			Spool::Evicted evicted;
			Profile bigger = makeProfile("pollcatch.jfr", 1);
			spool.add(bigger, evicted);
			spool.add(makeProfile(JFR, 2), evicted);
			bytes = spool.bytes();
			CPPUNIT_ASSERT_EQUAL(entryBytesOnDisk(spoolDir), bytes);
			CPPUNIT_ASSERT(bytes > 111841 + 23524);
		}
		Spool reopened(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		reopened.open();
		CPPUNIT_ASSERT_EQUAL(bytes, reopened.bytes());
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), reopened.size());
	}

	void testAddEvictsTheOldestBeyondMaxBytes()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		const std::uint64_t maxBytes = 2 * (23524 + 600); // two entries
		Spool spool(spoolDir, maxBytes, UNLIMITED_AGE);
		spool.open();
		Spool::Evicted evicted;
		std::string first = spool.add(makeProfile(JFR, 1), evicted);
		std::string second = spool.add(makeProfile(JFR, 2), evicted);
		CPPUNIT_ASSERT(evicted.overCap.empty());
		std::string third = spool.add(makeProfile(JFR, 3), evicted);
		CPPUNIT_ASSERT(std::vector<std::string>{first} == evicted.overCap);
		CPPUNIT_ASSERT(evicted.expired.empty());
		CPPUNIT_ASSERT(entryFiles({second, third}) == listFiles(spoolDir));
		CPPUNIT_ASSERT(spool.bytes() <= maxBytes);
		CPPUNIT_ASSERT_EQUAL(entryBytesOnDisk(spoolDir), spool.bytes());
	}

	void testOpenEnforcesMaxBytesOldestFirst()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		std::vector<std::string> ids = leaveEntries(spoolDir, 3);
		Spool smaller(spoolDir, 2 * (23524 + 600), UNLIMITED_AGE);
		Spool::Evicted evicted = smaller.open();
		CPPUNIT_ASSERT(std::vector<std::string>{ids[0]} == evicted.overCap);
		CPPUNIT_ASSERT(entryFiles({ids[1], ids[2]}) == listFiles(spoolDir));
	}

	void testCorruptEntryIsMovedAsideOnLoad()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		Spool::Evicted evicted;
		std::string bad = spool.add(makeProfile(JFR, 1), evicted);
		std::string good = spool.add(makeProfile(JFR, 2), evicted);
		writeFile(spoolDir + "/" + Spool::fileName(bad, ".json"), "[\"not\", \"an object\"]");

		CPPUNIT_ASSERT(!spool.load(bad));
		CPPUNIT_ASSERT(!spool.contains(bad));
		CPPUNIT_ASSERT(entryFiles({bad}) == listFiles(spoolDir + "/corrupt"));
		CPPUNIT_ASSERT(entryFiles({good}) == listFiles(spoolDir));
		CPPUNIT_ASSERT_EQUAL(entryBytesOnDisk(spoolDir), spool.bytes());
		CPPUNIT_ASSERT(spool.load(good));
	}

	void testSecondSpoolOnTheDirectoryIsRefusedUntilTheFirstCloses()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		auto first = std::make_unique<Spool>(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		first->open();
		Spool second(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		std::string message = openError(second);
		CPPUNIT_ASSERT_MESSAGE(
			message, message.find(spoolDir + " is in use by another agent (pid " + std::to_string(::getpid()) + ")") != std::string::npos);
		first.reset(); // releases the lock
		Spool third(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		CPPUNIT_ASSERT_EQUAL(std::string(), openError(third));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(SpoolTest);
