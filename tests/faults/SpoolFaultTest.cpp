//
// SpoolFaultTest.cpp
//
// Fault injection: see tests/faults/README.md.
//
// A spool directory pre-seeded as a hostile user would: foreign files the
// spool must leave alone, lax modes and foreign owners, symlinks, FIFOs and
// planted temporary names, entries that are not JFR or carry absurd times.
// The tests run as root, so the "hostile user" is simulated with explicit
// modes and owners (uid 65534) rather than with access rights.
//

#include "Spool.h"
#include "TestSupport.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Message.h"
#include <atomic>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utime.h>

using asprof::agent::Spool;
using asprof::sdk::Profile;
using asprof::test::dataFile;
using asprof::test::listFiles;
using asprof::test::LogCapture;
using asprof::test::makeProfile;
using asprof::test::readFile;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;
using asprof::test::writeFile;

namespace {

const std::string JFR = "cpu-wall.jfr";
const std::uint64_t UNLIMITED_BYTES = 0;
const Poco::Timespan UNLIMITED_AGE(0);
const Poco::Timespan DEADLINE(10, 0);
const std::string VICTIM_CONTENT = "the victim's own data\n";

// The spool's on-disk names (docs/delivery.md): asprof-spool-<id>.jfr|.json.
std::string entryName(const std::string& id, const std::string& extension)
{
	return "asprof-spool-" + id + extension;
}

std::string entryPath(const std::string& spoolDir, const std::string& id, const std::string& extension)
{
	return spoolDir + "/" + entryName(id, extension);
}

// A private spool directory as an administrator would prepare it.
std::string privateDirectory(const TemporaryDirectory& parent, const std::string& name = "spool")
{
	std::string path = parent.file(name);
	Poco::File(path).createDirectories();
	::chmod(path.c_str(), 0700);
	return path;
}

std::string entryJson(std::int64_t startUs, std::int64_t endUs, std::int64_t createdUs)
{
	return "{\"seq\":1,\"startUs\":" + std::to_string(startUs) + ",\"endUs\":" + std::to_string(endUs) +
		",\"createdUs\":" + std::to_string(createdUs) +
		",\"reportingIntervalUs\":30000000,\"pid\":4242,\"hostKind\":\"onprem\",\"hostFields\":[],\"hostLabels\":[],"
		"\"labels\":[],\"profilerArgs\":\"jfr\"}";
}

std::int64_t nowUs()
{
	return Poco::Timestamp().epochMicroseconds();
}

// A complete, valid entry planted by hand (what a crash, or an attacker, leaves).
std::string plantEntry(const std::string& spoolDir, std::uint64_t seq, std::int64_t createdUs = nowUs())
{
	Profile profile = makeProfile(JFR, seq);
	std::string id = Spool::makeId(profile);
	writeFile(entryPath(spoolDir, id, ".jfr"), readFile(dataFile(JFR)));
	writeFile(entryPath(spoolDir, id, ".json"), entryJson(profile.start.epochMicroseconds(), profile.end.epochMicroseconds(), createdUs));
	return id;
}

std::string plantVictim(const TemporaryDirectory& parent, const std::string& name = "victim")
{
	std::string victim = parent.file(name);
	writeFile(victim, VICTIM_CONTENT);
	::chmod(victim.c_str(), 0600);
	return victim;
}

std::string openError(Spool& spool)
{
	return asprof::test::errorOf([&]() { spool.open(); });
}

bool isQuarantined(const std::string& spoolDir, const std::string& id)
{
	return Poco::File(spoolDir + "/corrupt").exists() && Poco::File(spoolDir + "/corrupt/" + entryName(id, ".json")).exists();
}

// Runs action on a thread; true if it finished before the deadline. When it
// did not, unblock() is called (so the thread can end) before joining.
bool finishesInTime(const std::function<void()>& action, const std::function<void()>& unblock)
{
	auto done = std::make_shared<std::atomic<bool>>(false);
	std::thread worker([action, done]() {
		action();
		*done = true;
	});
	bool inTime = waitUntil([&]() { return done->load(); }, DEADLINE);
	if (!inTime) unblock();
	worker.join();
	return inTime;
}

// Opening a FIFO for writing without blocking releases a reader blocked in open().
void releaseFifoReader(const std::string& fifo)
{
	int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) ::close(fd);
}

} // namespace

class SpoolFaultTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SpoolFaultTest);
	CPPUNIT_TEST(testOpenLeavesForeignFilesAloneAndSaysSo);
	CPPUNIT_TEST(testOpenRemovesOnlyItsOwnLeftovers);
	CPPUNIT_TEST(testQuarantineNeverTrimsForeignFilesInCorrupt);
	CPPUNIT_TEST(testWorldWritableDirectoryIsRefused);
	CPPUNIT_TEST(testGroupWritableDirectoryIsRefused);
	CPPUNIT_TEST(testDirectoryOwnedByAnotherUserIsRefused);
	CPPUNIT_TEST(testPlantedLockSymlinkIsRefusedAndItsTargetUntouched);
	CPPUNIT_TEST(testSymlinkedRecordingIsNeverLoaded);
	CPPUNIT_TEST(testSymlinkedMetadataIsNeverLoaded);
	CPPUNIT_TEST(testFifoRecordingDoesNotBlockAndIsQuarantined);
	CPPUNIT_TEST(testFifoMetadataDoesNotBlockOpenOrLoad);
	CPPUNIT_TEST(testRecordingWithoutJfrMagicIsQuarantined);
	CPPUNIT_TEST(testPlantedTemporaryAndEntrySymlinksNeverRedirectWrites);
	CPPUNIT_TEST(testSymlinkedCorruptDirectoryIsNeverWrittenTo);
	CPPUNIT_TEST(testEntriesWithAbsurdTimesAreQuarantined);
	CPPUNIT_TEST(testAgeComesFromTheEntryNotTheFileTime);
	CPPUNIT_TEST_SUITE_END();

public:
	void testOpenLeavesForeignFilesAloneAndSaysSo()
	{
		// spoolDir pointed at the local reporter's directory, which also holds
		// an unrelated heap dump and someone's temporary files.
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		const std::vector<std::string> foreign = {"2025-03-20T16-41-54Z.jfr", "2025-03-20T16-41-54Z-1.jfr", "app-heap.jfr",
			"0001742488884123-4242-0000000001.jfr", "notes.tmp", "report.json.tmp", "upload.jfr.tmp", "x.json"};
		for (const auto& name : foreign) writeFile(spoolDir + "/" + name, "foreign " + name);

		LogCapture log("asprof.spool", Poco::Message::PRIO_INFORMATION);
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		for (const auto& name : foreign)
		{
			CPPUNIT_ASSERT_MESSAGE(name, Poco::File(spoolDir + "/" + name).exists());
			CPPUNIT_ASSERT_EQUAL("foreign " + name, readFile(spoolDir + "/" + name));
		}
		CPPUNIT_ASSERT(spool.ids().empty());
		CPPUNIT_ASSERT(!Poco::File(spoolDir + "/corrupt").exists());
		CPPUNIT_ASSERT_MESSAGE(log.text(), log.count("leaving alone 8 files it did not write") == 1);
		CPPUNIT_ASSERT_MESSAGE(log.text(), log.count("app-heap.jfr") == 1);

		// Adding and removing entries still touches only the spool's own files.
		Spool::Evicted evicted;
		std::string id = spool.add(makeProfile(JFR, 1), evicted);
		spool.remove(id);
		CPPUNIT_ASSERT_EQUAL(foreign.size(), listFiles(spoolDir).size());
	}

	void testOpenRemovesOnlyItsOwnLeftovers()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		std::string kept = plantEntry(spoolDir, 1);
		std::string orphan = Spool::makeId(makeProfile(JFR, 2));
		writeFile(entryPath(spoolDir, orphan, ".jfr"), readFile(dataFile(JFR)));                     // crash between the two renames
		writeFile(spoolDir + "/.asprof-spool-" + orphan + ".json.0123456789abcdef.tmp", "{\"seq\""); // a write cut short
		writeFile(spoolDir + "/app-heap.jfr", "heap");

		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		std::vector<std::string> expected = {"app-heap.jfr", entryName(kept, ".jfr"), entryName(kept, ".json")};
		CPPUNIT_ASSERT(expected == listFiles(spoolDir));
		CPPUNIT_ASSERT(!Poco::File(spoolDir + "/.asprof-spool-" + orphan + ".json.0123456789abcdef.tmp").exists());
		CPPUNIT_ASSERT(std::vector<std::string>{kept} == spool.ids());
	}

	void testQuarantineNeverTrimsForeignFilesInCorrupt()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		Poco::File(spoolDir + "/corrupt").createDirectories();
		::chmod((spoolDir + "/corrupt").c_str(), 0700);
		const int foreignCount = 40;
		for (int i = 0; i < foreignCount; ++i) writeFile(spoolDir + "/corrupt/evidence-" + std::to_string(i) + ".txt", "keep");
		std::string bad = plantEntry(spoolDir, 1);
		writeFile(entryPath(spoolDir, bad, ".json"), "not json");

		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		CPPUNIT_ASSERT(!spool.load(bad));
		CPPUNIT_ASSERT(isQuarantined(spoolDir, bad));
		CPPUNIT_ASSERT_EQUAL(std::size_t(foreignCount + 2), listFiles(spoolDir + "/corrupt").size());
	}

	void testWorldWritableDirectoryIsRefused()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		::chmod(spoolDir.c_str(), 0777);
		std::string planted = plantEntry(spoolDir, 1);
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		std::string message = openError(spool);
		CPPUNIT_ASSERT_MESSAGE(
			message, message.find("spool directory " + spoolDir + " is writable by group or others (mode 0777)") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(message, message.find("chmod 700") != std::string::npos);
		CPPUNIT_ASSERT(spool.ids().empty());                                       // nothing planted there is indexed
		CPPUNIT_ASSERT(Poco::File(entryPath(spoolDir, planted, ".jfr")).exists()); // nor touched
	}

	void testGroupWritableDirectoryIsRefused()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		::chmod(spoolDir.c_str(), 0770);
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		std::string message = openError(spool);
		CPPUNIT_ASSERT_MESSAGE(message, message.find("is writable by group or others (mode 0770)") != std::string::npos);
	}

	void testDirectoryOwnedByAnotherUserIsRefused()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		CPPUNIT_ASSERT_EQUAL(0, ::chown(spoolDir.c_str(), 65534, 65534));
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		std::string message = openError(spool);
		CPPUNIT_ASSERT_MESSAGE(message,
			message.find("spool directory " + spoolDir + " is owned by uid 65534, not by this process's user (uid " +
				std::to_string(::geteuid()) + ")") != std::string::npos);
		CPPUNIT_ASSERT(!Poco::File(spoolDir + "/.lock").exists());
	}

	void testPlantedLockSymlinkIsRefusedAndItsTargetUntouched()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		std::string victim = plantVictim(parent);
		CPPUNIT_ASSERT_EQUAL(0, ::symlink(victim.c_str(), (spoolDir + "/.lock").c_str()));
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		std::string message = openError(spool);
		CPPUNIT_ASSERT_MESSAGE(message, message.find(spoolDir + "/.lock") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(VICTIM_CONTENT, readFile(victim));
	}

	void testSymlinkedRecordingIsNeverLoaded()
	{
		// A root-only file that even looks like a recording must never be read through a planted link.
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		std::string secret = parent.file("secret.jfr");
		writeFile(secret, readFile(dataFile(JFR)));
		::chmod(secret.c_str(), 0400);
		std::string id = plantEntry(spoolDir, 1);
		::unlink(entryPath(spoolDir, id, ".jfr").c_str());
		CPPUNIT_ASSERT_EQUAL(0, ::symlink(secret.c_str(), entryPath(spoolDir, id, ".jfr").c_str()));

		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		CPPUNIT_ASSERT(!spool.load(id));
		CPPUNIT_ASSERT(!spool.contains(id));
		CPPUNIT_ASSERT(isQuarantined(spoolDir, id));
		CPPUNIT_ASSERT_EQUAL(readFile(dataFile(JFR)), readFile(secret));
	}

	void testSymlinkedMetadataIsNeverLoaded()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		std::string id = plantEntry(spoolDir, 1);
		std::string elsewhere = parent.file("elsewhere.json");
		writeFile(elsewhere, readFile(entryPath(spoolDir, id, ".json")));
		::unlink(entryPath(spoolDir, id, ".json").c_str());
		CPPUNIT_ASSERT_EQUAL(0, ::symlink(elsewhere.c_str(), entryPath(spoolDir, id, ".json").c_str()));

		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		CPPUNIT_ASSERT(!spool.load(id));
		CPPUNIT_ASSERT(isQuarantined(spoolDir, id));
		CPPUNIT_ASSERT(Poco::File(elsewhere).exists());
	}

	void testFifoRecordingDoesNotBlockAndIsQuarantined()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		std::string id = plantEntry(spoolDir, 1);
		std::string fifo = entryPath(spoolDir, id, ".jfr");
		::unlink(fifo.c_str());
		CPPUNIT_ASSERT_EQUAL(0, ::mkfifo(fifo.c_str(), 0600));
		std::string good = plantEntry(spoolDir, 2);

		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		std::shared_ptr<Profile> loaded = std::make_shared<Profile>();
		bool inTime = finishesInTime(
			[&]() {
				spool.open();
				loaded = spool.load(id);
			},
			[&]() { releaseFifoReader(fifo); });
		CPPUNIT_ASSERT_MESSAGE("a FIFO named like a recording blocked the spool", inTime);
		CPPUNIT_ASSERT(!loaded);
		CPPUNIT_ASSERT(isQuarantined(spoolDir, id));
		CPPUNIT_ASSERT(spool.load(good)); // the lane goes on
	}

	void testFifoMetadataDoesNotBlockOpenOrLoad()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		std::string id = plantEntry(spoolDir, 1);
		std::string fifo = entryPath(spoolDir, id, ".json");
		::unlink(fifo.c_str());
		CPPUNIT_ASSERT_EQUAL(0, ::mkfifo(fifo.c_str(), 0600));

		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		std::shared_ptr<Profile> loaded = std::make_shared<Profile>();
		bool inTime = finishesInTime(
			[&]() {
				spool.open();
				if (spool.contains(id))
					loaded = spool.load(id);
				else
					loaded.reset();
			},
			[&]() { releaseFifoReader(fifo); });
		CPPUNIT_ASSERT_MESSAGE("a FIFO named like an entry's metadata blocked the spool", inTime);
		CPPUNIT_ASSERT(!loaded);
		CPPUNIT_ASSERT(isQuarantined(spoolDir, id));
	}

	void testRecordingWithoutJfrMagicIsQuarantined()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		std::string id = plantEntry(spoolDir, 1);
		writeFile(entryPath(spoolDir, id, ".jfr"), "#!/bin/sh\necho this is not a recording\n");

		LogCapture log("asprof.spool", Poco::Message::PRIO_ERROR);
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		CPPUNIT_ASSERT(!spool.load(id));
		CPPUNIT_ASSERT(isQuarantined(spoolDir, id));
		CPPUNIT_ASSERT_MESSAGE(log.text(), log.count("not a JFR recording") == 1);
	}

	void testPlantedTemporaryAndEntrySymlinksNeverRedirectWrites()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		// Planted while the agent runs, at every name an entry's write could predictably use.
		Profile profile = makeProfile(JFR, 1);
		std::string id = Spool::makeId(profile);
		std::vector<std::string> victims;
		for (const std::string& name :
			{id + ".jfr.tmp", id + ".json.tmp", id + ".jfr", id + ".json", entryName(id, ".jfr.tmp"), entryName(id, ".json.tmp"),
				"." + entryName(id, ".jfr.tmp"), "." + entryName(id, ".json.tmp"), entryName(id, ".jfr"), entryName(id, ".json")})
		{
			victims.push_back(plantVictim(parent, "victim-" + std::to_string(victims.size())));
			CPPUNIT_ASSERT_EQUAL(0, ::symlink(victims.back().c_str(), (spoolDir + "/" + name).c_str()));
		}
		Spool::Evicted evicted;
		CPPUNIT_ASSERT_EQUAL(id, spool.add(profile, evicted));
		for (const auto& victim : victims) CPPUNIT_ASSERT_EQUAL_MESSAGE(victim, VICTIM_CONTENT, readFile(victim));
		std::shared_ptr<Profile> loaded = spool.load(id);
		CPPUNIT_ASSERT(loaded);
		CPPUNIT_ASSERT(readFile(dataFile(JFR)) == loaded->recording->readAll());
	}

	void testSymlinkedCorruptDirectoryIsNeverWrittenTo()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		std::string elsewhere = privateDirectory(parent, "elsewhere");
		CPPUNIT_ASSERT_EQUAL(0, ::symlink(elsewhere.c_str(), (spoolDir + "/corrupt").c_str()));
		std::string bad = plantEntry(spoolDir, 1);
		writeFile(entryPath(spoolDir, bad, ".json"), "not json");

		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		CPPUNIT_ASSERT(!spool.load(bad));
		CPPUNIT_ASSERT(listFiles(elsewhere).empty());
		CPPUNIT_ASSERT(!Poco::File(entryPath(spoolDir, bad, ".json")).exists()); // deleted instead
	}

	void testEntriesWithAbsurdTimesAreQuarantined()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		const std::int64_t now = nowUs();
		const std::int64_t hour = 3600LL * 1000 * 1000;
		struct Case
		{
			std::int64_t startUs, endUs, createdUs;
		};
		const std::vector<Case> cases = {
			{-31000000, -1000000, now},                  // before the epoch: "1969-12-31T23-59-59Z"
			{now - hour, now - 2 * hour, now},           // ends before it starts
			{631152000000000LL, 631152030000000LL, now}, // 1990: before 2000
			{now + 47 * hour, now + 48 * hour, now},     // two days ahead
			{now - hour, now, now + 48 * hour},          // written two days from now
			{now - hour, 9223372036854775807LL, now},    // the end of time
		};
		std::vector<std::string> ids;
		for (std::size_t i = 0; i < cases.size(); ++i)
		{
			std::string id = plantEntry(spoolDir, i + 1);
			writeFile(entryPath(spoolDir, id, ".json"), entryJson(cases[i].startUs, cases[i].endUs, cases[i].createdUs));
			ids.push_back(id);
		}
		Spool spool(spoolDir, UNLIMITED_BYTES, UNLIMITED_AGE);
		spool.open();
		for (const auto& id : ids)
		{
			CPPUNIT_ASSERT_MESSAGE(id, !spool.load(id));
			CPPUNIT_ASSERT_MESSAGE(id, isQuarantined(spoolDir, id));
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), spool.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), spool.bytes());
	}

	void testAgeComesFromTheEntryNotTheFileTime()
	{
		TemporaryDirectory parent;
		const std::string spoolDir = privateDirectory(parent);
		const std::int64_t hour = 3600LL * 1000 * 1000;
		std::string old = plantEntry(spoolDir, 1, nowUs() - 2 * hour); // file times: now
		std::string recent = plantEntry(spoolDir, 2, nowUs());
		struct utimbuf longAgo = {631152000, 631152000}; // 1990
		for (const char* extension : {".json", ".jfr"})
			CPPUNIT_ASSERT_EQUAL(0, ::utime(entryPath(spoolDir, recent, extension).c_str(), &longAgo));

		Spool spool(spoolDir, UNLIMITED_BYTES, Poco::Timespan(3600, 0));
		Spool::Evicted evicted = spool.open();
		CPPUNIT_ASSERT(std::vector<std::string>{old} == evicted.expired);
		CPPUNIT_ASSERT(std::vector<std::string>{recent} == spool.ids());
		CPPUNIT_ASSERT(!Poco::File(entryPath(spoolDir, old, ".jfr")).exists());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(SpoolFaultTest);
