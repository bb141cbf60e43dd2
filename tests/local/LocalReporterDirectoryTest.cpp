//
// LocalReporterDirectoryTest.cpp
//
// The local reporter's memory of its directory (ProfileDirectory): names and
// retention stay right across restarts, with thousands of files, when
// someone else deletes files or writes into the same directory, while the
// directory is listed once at start (and with retention once every maxFiles
// reports), never once per report.
//

#include "LocalReporterTestSupport.h"
#include "TestSupport.h"
#include "asprof/sdk/ProfileArchive.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/File.h"
#include "Poco/Zip/ZipArchive.h"
#include <ctime>
#include <map>
#include <sstream>

using asprof::plugins::LocalReporter;
using asprof::plugins::ProfileName;
using asprof::sdk::Profile;
using asprof::sdk::ProfileArchive;
using asprof::sdk::ReportResult;
using asprof::test::dataFile;
using asprof::test::listFiles;
using asprof::test::makeProfile;
using asprof::test::readFile;
using asprof::test::TemporaryDirectory;
using asprof::test::writeFile;
using namespace asprof::test::local;

namespace {

std::string nameAt(std::time_t seconds, int suffix = 0)
{
	return ProfileName::make(LocalReporter::baseName(Poco::Timestamp::fromEpochTime(seconds)), suffix, "jfr").fileName;
}

// count files of one second each, the oldest first, as an earlier run left them.
void fillDirectory(const std::string& directory, std::time_t firstSecond, int count)
{
	for (int i = 0; i < count; ++i) writeFile(directory + "/" + nameAt(firstSecond + i), "left by an earlier run");
}

// The profile files, oldest first (as retention orders them).
std::vector<std::string> profilesInOrder(const std::string& directory)
{
	std::vector<ProfileName> names;
	for (const auto& file : listFiles(directory))
		if (auto name = ProfileName::parse(file)) names.push_back(*name);
	std::sort(names.begin(), names.end());
	std::vector<std::string> files;
	for (const auto& name : names) files.push_back(name.fileName);
	return files;
}

} // namespace

class LocalReporterDirectoryTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(LocalReporterDirectoryTest);
	CPPUNIT_TEST(testSuffixesContinueAcrossRestart);
	CPPUNIT_TEST(testRestartAfterRetentionStillNamesAboveTheDeletedOnes);
	CPPUNIT_TEST(testOlderSecondWithRetentionGetsSuffixAboveItsNames);
	CPPUNIT_TEST(testOlderSecondWithoutRetentionNeverOverwrites);
	CPPUNIT_TEST(testThousandsOfFilesAreListedOnceNotPerReport);
	CPPUNIT_TEST(testRetentionTrimsThousandsOfFilesLeftByAnEarlierRun);
	CPPUNIT_TEST(testRetentionListsTheDirectoryOnceEveryMaxFilesReports);
	CPPUNIT_TEST(testRetentionForgetsFilesSomeoneElseDeleted);
	CPPUNIT_TEST(testRetentionCountsAnotherWritersFilesAtTheNextListing);
	CPPUNIT_TEST(testTwoReportersInOneDirectoryNeverOverwriteEachOther);
	CPPUNIT_TEST(testProfileNameOrderAndParsing);
	CPPUNIT_TEST(testCompressionLevelIsHonouredForZip);
	CPPUNIT_TEST(testBadCompressionLevelNamesTheKey);
	CPPUNIT_TEST_SUITE_END();

public:
	void testSuffixesContinueAcrossRestart()
	{
		TemporaryDirectory directory;
		{
			auto first = startReporter({{"directory", directory.path()}});
			assertReported(*first, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 1));
			assertReported(*first, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 2));
		}
		auto second = startReporter({{"directory", directory.path()}});
		assertReported(*second, profileEndingAt(PROFILE_END, "truncated.jfr", 3));
		CPPUNIT_ASSERT_EQUAL(
			PROFILE_NAME + ".jfr " + PROFILE_NAME + "-1.jfr " + PROFILE_NAME + "-2.jfr", join(profilesInOrder(directory.path())));
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + "-2.jfr")) == readFile(dataFile("truncated.jfr")));
	}

	void testRestartAfterRetentionStillNamesAboveTheDeletedOnes()
	{
		// "Z" and "Z-1" deleted by retention; after a restart the next profile of
		// that second must not take the free name "Z" (it would sort as the oldest).
		TemporaryDirectory directory;
		{
			auto first = startReporter({{"directory", directory.path()}, {"maxFiles", "2"}});
			for (std::uint64_t seq = 1; seq <= 4; ++seq) assertReported(*first, profileEndingAt(PROFILE_END, "cpu-wall.jfr", seq));
		}
		CPPUNIT_ASSERT_EQUAL(PROFILE_NAME + "-2.jfr " + PROFILE_NAME + "-3.jfr", join(profilesInOrder(directory.path())));
		auto second = startReporter({{"directory", directory.path()}, {"maxFiles", "2"}});
		assertReported(*second, profileEndingAt(PROFILE_END, "truncated.jfr", 5));
		CPPUNIT_ASSERT_EQUAL(PROFILE_NAME + "-3.jfr " + PROFILE_NAME + "-4.jfr", join(profilesInOrder(directory.path())));
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + "-4.jfr")) == readFile(dataFile("truncated.jfr")));
	}

	void testOlderSecondWithRetentionGetsSuffixAboveItsNames()
	{
		// The clock stepped back (or a spool replays an old profile): its second's
		// names are known from the record, the new one sorts after them.
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}, {"maxFiles", "10"}});
		assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 1));
		assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 2));
		assertReported(*reporter, profileEndingAt(PROFILE_END + 60, "cpu-wall.jfr", 3));
		assertReported(*reporter, profileEndingAt(PROFILE_END, "truncated.jfr", 4));
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + "-2.jfr")) == readFile(dataFile("truncated.jfr")));
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), listFiles(directory.path()).size());
	}

	void testOlderSecondWithoutRetentionNeverOverwrites()
	{
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}});
		assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 1));
		assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 2));
		assertReported(*reporter, profileEndingAt(PROFILE_END + 60, "cpu-wall.jfr", 3));
		assertReported(*reporter, profileEndingAt(PROFILE_END, "truncated.jfr", 4));
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), listFiles(directory.path()).size());
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + ".jfr")) == readFile(dataFile("cpu-wall.jfr")));
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + "-1.jfr")) == readFile(dataFile("cpu-wall.jfr")));
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + "-2.jfr")) == readFile(dataFile("truncated.jfr")));
	}

	void testThousandsOfFilesAreListedOnceNotPerReport()
	{
		// 3000 files from an earlier run, then 1000 profiles, 5 to a second and
		// some in the newest second left behind: one listing, at start.
		TemporaryDirectory directory;
		const std::time_t earlier = PROFILE_END - 3000;
		fillDirectory(directory.path(), earlier, 3000);
		writeFile(directory.file(nameAt(PROFILE_END - 1, 7)), "the newest file before the restart");
		auto reporter = startReporter({{"directory", directory.path()}});
		assertReported(*reporter, profileEndingAt(PROFILE_END - 1, "truncated.jfr", 1));
		for (int i = 0; i < 999; ++i) assertReported(*reporter, profileEndingAt(PROFILE_END + i / 5, "cpu-wall.jfr", 2 + i));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), reporter->directoryScans());
		CPPUNIT_ASSERT_EQUAL(std::size_t(3000 + 1 + 1000), listFiles(directory.path()).size());
		CPPUNIT_ASSERT(readFile(directory.file(nameAt(PROFILE_END - 1, 8))) == readFile(dataFile("truncated.jfr")));
		CPPUNIT_ASSERT_EQUAL(std::string("the newest file before the restart"), readFile(directory.file(nameAt(PROFILE_END - 1, 7))));
		const std::time_t last = PROFILE_END + 998 / 5;
		for (int suffix = 0; suffix < 4; ++suffix) CPPUNIT_ASSERT(Poco::File(directory.file(nameAt(last, suffix))).exists());
	}

	void testRetentionTrimsThousandsOfFilesLeftByAnEarlierRun()
	{
		TemporaryDirectory directory;
		writeFile(directory.file("notes.txt"), "keep me");
		fillDirectory(directory.path(), PROFILE_END - 5000, 5000);
		auto reporter = startReporter({{"directory", directory.path()}, {"maxFiles", "100"}});
		assertReported(*reporter, profileEndingAt(PROFILE_END, "truncated.jfr", 1));
		std::vector<std::string> kept = profilesInOrder(directory.path());
		CPPUNIT_ASSERT_EQUAL(std::size_t(100), kept.size());
		CPPUNIT_ASSERT_EQUAL(nameAt(PROFILE_END - 99), kept.front());
		CPPUNIT_ASSERT_EQUAL(PROFILE_NAME + ".jfr", kept.back());
		CPPUNIT_ASSERT_EQUAL(std::string("keep me"), readFile(directory.file("notes.txt")));
		for (int i = 1; i <= 250; ++i) assertReported(*reporter, profileEndingAt(PROFILE_END + i, "cpu-wall.jfr", 1 + i));
		kept = profilesInOrder(directory.path());
		CPPUNIT_ASSERT_EQUAL(std::size_t(100), kept.size());
		CPPUNIT_ASSERT_EQUAL(nameAt(PROFILE_END + 151), kept.front());
		CPPUNIT_ASSERT_EQUAL(nameAt(PROFILE_END + 250), kept.back());
	}

	void testRetentionListsTheDirectoryOnceEveryMaxFilesReports()
	{
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}, {"maxFiles", "50"}});
		for (int i = 0; i < 500; ++i) assertReported(*reporter, profileEndingAt(PROFILE_END + i, "cpu-wall.jfr", 1 + i));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1 + 500 / 50), reporter->directoryScans());
		CPPUNIT_ASSERT_EQUAL(std::size_t(50), listFiles(directory.path()).size());
	}

	void testRetentionForgetsFilesSomeoneElseDeleted()
	{
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}, {"maxFiles", "3"}});
		for (int i = 0; i < 3; ++i) assertReported(*reporter, profileEndingAt(PROFILE_END + i, "cpu-wall.jfr", 1 + i));
		Poco::File(directory.file(nameAt(PROFILE_END))).remove();
		Poco::File(directory.file(nameAt(PROFILE_END + 2))).remove(); // the newest, too
		assertReported(*reporter, profileEndingAt(PROFILE_END + 2, "truncated.jfr", 4));
		// Never the name of the deleted newest file: it still sorts last.
		CPPUNIT_ASSERT_EQUAL(nameAt(PROFILE_END + 1) + " " + nameAt(PROFILE_END + 2, 1), join(profilesInOrder(directory.path())));
		for (int i = 3; i < 10; ++i) assertReported(*reporter, profileEndingAt(PROFILE_END + i, "cpu-wall.jfr", 2 + i));
		CPPUNIT_ASSERT_EQUAL(nameAt(PROFILE_END + 7) + " " + nameAt(PROFILE_END + 8) + " " + nameAt(PROFILE_END + 9),
			join(profilesInOrder(directory.path())));
	}

	void testRetentionCountsAnotherWritersFilesAtTheNextListing()
	{
		TemporaryDirectory directory;
		const std::size_t maxFiles = 5;
		auto reporter = startReporter({{"directory", directory.path()}, {"maxFiles", std::to_string(maxFiles)}});
		assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 1));
		// Another process writes older and newer profiles into the same directory.
		fillDirectory(directory.path(), PROFILE_END - 100, 10);
		fillDirectory(directory.path(), PROFILE_END + 1000, 10);
		for (std::size_t i = 1; i < maxFiles; ++i) assertReported(*reporter, profileEndingAt(PROFILE_END + i, "cpu-wall.jfr", 1 + i));
		// maxFiles reports since start: listed again, the excess deleted, oldest first.
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), reporter->directoryScans());
		std::vector<std::string> kept = profilesInOrder(directory.path());
		CPPUNIT_ASSERT_EQUAL(maxFiles, kept.size());
		CPPUNIT_ASSERT_EQUAL(nameAt(PROFILE_END + 1005), kept.front());
		CPPUNIT_ASSERT_EQUAL(nameAt(PROFILE_END + 1009), kept.back());
	}

	void testTwoReportersInOneDirectoryNeverOverwriteEachOther()
	{
		// Each knows only its own names once started: link() finds the others'.
		TemporaryDirectory directory;
		auto first = startReporter({{"directory", directory.path()}});
		auto second = startReporter({{"directory", directory.path()}});
		for (int i = 0; i < 20; ++i)
		{
			assertReported(*first, profileEndingAt(PROFILE_END + i / 4, "cpu-wall.jfr", 1 + i));
			assertReported(*second, profileEndingAt(PROFILE_END + i / 4, "truncated.jfr", 1 + i));
		}
		std::vector<std::string> files = listFiles(directory.path());
		CPPUNIT_ASSERT_EQUAL(std::size_t(40), files.size());
		std::size_t fromSecond = 0;
		for (const auto& file : files) fromSecond += readFile(directory.file(file)) == readFile(dataFile("truncated.jfr")) ? 1 : 0;
		CPPUNIT_ASSERT_EQUAL(std::size_t(20), fromSecond);
	}

	void testProfileNameOrderAndParsing()
	{
		auto nine = ProfileName::parse(PROFILE_NAME + "-9.jfr");
		auto ten = ProfileName::parse(PROFILE_NAME + "-10.zip");
		auto plain = ProfileName::parse(PROFILE_NAME + ".jfr");
		CPPUNIT_ASSERT(nine && ten && plain);
		CPPUNIT_ASSERT(*plain < *nine && *nine < *ten);
		CPPUNIT_ASSERT_EQUAL(10, ten->suffix);
		CPPUNIT_ASSERT_EQUAL(PROFILE_NAME, ten->base);
		CPPUNIT_ASSERT_EQUAL(PROFILE_NAME + "-10.zip", ProfileName::make(PROFILE_NAME, 10, "zip").fileName);
		CPPUNIT_ASSERT(ProfileName::parse(PROFILE_NAME + "-999999999.jfr"));
		// Ten digits: not a name the reporter writes (nor an int it could count on from).
		CPPUNIT_ASSERT(!ProfileName::parse(PROFILE_NAME + "-9999999999.jfr"));
		CPPUNIT_ASSERT(!LocalReporter::isProfileFileName(PROFILE_NAME + "-9999999999.jfr"));
	}

	void testCompressionLevelIsHonouredForZip()
	{
		const std::map<std::string, ProfileArchive::CompressionLevel> levels = {{"", ProfileArchive::CL_FAST},
			{"fast", ProfileArchive::CL_FAST}, {"normal", ProfileArchive::CL_NORMAL}, {"best", ProfileArchive::CL_BEST}};
		for (const auto& level : levels)
		{
			TemporaryDirectory directory;
			Settings settings = {{"directory", directory.path()}, {"format", "zip"}};
			if (!level.first.empty()) settings["compressionLevel"] = level.first;
			auto reporter = startReporter(settings);
			CPPUNIT_ASSERT_EQUAL(static_cast<int>(level.second), static_cast<int>(reporter->options().compressionLevel));
			Profile profile = makeProfile("fanout.jfr");
			assertReported(*reporter, profile);
			const std::string zip = readFile(directory.file(PROFILE_NAME + ".zip"));
			CPPUNIT_ASSERT_MESSAGE(level.first, zip == ProfileArchive::toString(profile, level.second));
			std::istringstream in(zip);
			Poco::Zip::ZipArchive archive(in);
			CPPUNIT_ASSERT(archive.findHeader(ProfileArchive::JFR_ENTRY) != archive.headerEnd());
		}
	}

	void testBadCompressionLevelNamesTheKey()
	{
		LocalReporter reporter;
		auto context = asprof::test::makeSectionContext("reporter.local", {{"compressionLevel", "9"}}, "test-agent.ini");
		const std::string message = asprof::test::errorOf([&] { reporter.configure(*context); });
		for (const char* part : {"[reporter.local] compressionLevel", "fast | normal | best"})
			CPPUNIT_ASSERT_MESSAGE(std::string(part) + " missing from: " + message, message.find(part) != std::string::npos);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(LocalReporterDirectoryTest);
