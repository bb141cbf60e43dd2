//
// LocalReporterTest.cpp
//
// The local reporter: file names, content on disk, never overwriting,
// retention and its error results.
//

#include "LocalReporterTestSupport.h"
#include "TestSupport.h"
#include "asprof/sdk/ProfileArchive.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Util/MapConfiguration.h"
#include "Poco/Zip/ZipArchive.h"
#include <ctime>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using asprof::agent::SectionContext;
using asprof::plugins::LocalReporter;
using asprof::sdk::Profile;
using asprof::sdk::ReportResult;
using asprof::test::dataFile;
using asprof::test::listFiles;
using asprof::test::makeProfile;
using asprof::test::readFile;
using asprof::test::TemporaryDirectory;
using asprof::test::writeFile;
using namespace asprof::test::local;

namespace {

// The message of the InvalidArgumentException that configure() must throw.
std::string configureError(const Settings& settings)
{
	LocalReporter reporter;
	auto context = makeContext(settings);
	try
	{
		reporter.configure(*context);
	}
	catch (Poco::InvalidArgumentException& e)
	{
		return e.message();
	}
	CPPUNIT_FAIL("configure() accepted a bad setting");
	return std::string();
}

// Every entry, hidden ones included (listFiles() skips names starting with '.').
std::vector<std::string> listAllEntries(const std::string& directory)
{
	std::vector<std::string> names;
	for (Poco::DirectoryIterator it(directory), end; it != end; ++it) names.push_back(it.name());
	std::sort(names.begin(), names.end());
	return names;
}

mode_t modeOf(const std::string& path)
{
	struct stat status;
	CPPUNIT_ASSERT_EQUAL_MESSAGE(path, 0, ::stat(path.c_str(), &status));
	return status.st_mode;
}

} // namespace

class LocalReporterTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(LocalReporterTest);
	CPPUNIT_TEST(testBaseNameIsUtcRustAgentFormat);
	CPPUNIT_TEST(testJfrFileIsByteIdenticalToRecording);
	CPPUNIT_TEST(testFileIsNamedFromProfileEnd);
	CPPUNIT_TEST(testSameSecondGetsSuffixAndFirstFileIsKept);
	CPPUNIT_TEST(testExistingFileIsNeverOverwritten);
	CPPUNIT_TEST(testZipFormatWritesProfileArchive);
	CPPUNIT_TEST(testMaxFilesKeepsNewestIncludingSuffixes);
	CPPUNIT_TEST(testRetentionOrdersSuffixesNumerically);
	CPPUNIT_TEST(testRetentionKeepsProfileJustWritten);
	CPPUNIT_TEST(testRetentionLeavesOtherFilesAlone);
	CPPUNIT_TEST(testNoHiddenTemporaryFilesRemain);
	CPPUNIT_TEST(testFilesFollowTheUmask);
	CPPUNIT_TEST(testPlantedTemporaryNamesAreNeverFollowed);
	CPPUNIT_TEST(testStartCreatesMissingDirectory);
	CPPUNIT_TEST(testDirectoryDeletedWhileRunningIsCreatedAgain);
	CPPUNIT_TEST(testDirectoryThatCannotBeCreatedAgainFailsWithoutRetry);
	CPPUNIT_TEST(testConfigureReadsEveryDocumentedKey);
	CPPUNIT_TEST(testBadFormatNamesSectionAndKey);
	CPPUNIT_TEST(testNegativeMaxFilesIsRejected);
	CPPUNIT_TEST(testDirectoryThatIsAFileFailsWithoutRetry);
	CPPUNIT_TEST(testIsProfileFileNameAcceptsWrittenNames);
	CPPUNIT_TEST(testIsProfileFileNameRejectsOtherNames);
	CPPUNIT_TEST_SUITE_END();

public:
	void testBaseNameIsUtcRustAgentFormat()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("2025-03-20T16-41-54Z"), LocalReporter::baseName(Poco::Timestamp::fromEpochTime(PROFILE_END)));
		// Whole seconds, truncated; fields zero-padded.
		CPPUNIT_ASSERT_EQUAL(
			std::string("2025-03-20T16-41-54Z"), LocalReporter::baseName(Poco::Timestamp::fromEpochTime(PROFILE_END) + 999999));
		CPPUNIT_ASSERT_EQUAL(std::string("2025-01-02T03-04-05Z"), LocalReporter::baseName(Poco::Timestamp::fromEpochTime(1735787045)));
		{
			asprof::test::ScopedEnv timezone("TZ", "Asia/Tokyo");
			::tzset();
			CPPUNIT_ASSERT_EQUAL(std::string("2025-01-02T03-04-05Z"), LocalReporter::baseName(Poco::Timestamp::fromEpochTime(1735787045)));
		}
		::tzset();
	}

	void testJfrFileIsByteIdenticalToRecording()
	{
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}});
		assertReported(*reporter, makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string(PROFILE_NAME + ".jfr"), join(listFiles(directory.path())));
		std::string written = readFile(directory.file(PROFILE_NAME + ".jfr"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(23524), written.size());
		CPPUNIT_ASSERT(written == readFile(dataFile("cpu-wall.jfr")));
	}

	void testFileIsNamedFromProfileEnd()
	{
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}});
		Profile profile = makeProfile("cpu-wall.jfr");
		profile.start = Poco::Timestamp::fromEpochTime(1735787045);
		profile.end = Poco::Timestamp::fromEpochTime(1735787045 + 3600) + 1000;
		assertReported(*reporter, profile);
		CPPUNIT_ASSERT_EQUAL(std::string("2025-01-02T04-04-05Z.jfr"), join(listFiles(directory.path())));
	}

	void testSameSecondGetsSuffixAndFirstFileIsKept()
	{
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}});
		assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 1));
		assertReported(*reporter, profileEndingAt(PROFILE_END, "truncated.jfr", 2));
		CPPUNIT_ASSERT_EQUAL(PROFILE_NAME + "-1.jfr " + PROFILE_NAME + ".jfr", join(listFiles(directory.path())));
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + ".jfr")) == readFile(dataFile("cpu-wall.jfr")));
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + "-1.jfr")) == readFile(dataFile("truncated.jfr")));
	}

	void testExistingFileIsNeverOverwritten()
	{
		TemporaryDirectory directory;
		writeFile(directory.file(PROFILE_NAME + ".jfr"), "written by someone else");
		auto reporter = startReporter({{"directory", directory.path()}});
		assertReported(*reporter, makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string("written by someone else"), readFile(directory.file(PROFILE_NAME + ".jfr")));
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + "-1.jfr")) == readFile(dataFile("cpu-wall.jfr")));
	}

	void testZipFormatWritesProfileArchive()
	{
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}, {"format", "zip"}});
		Profile profile = makeProfile("cpu-wall.jfr");
		assertReported(*reporter, profile);
		CPPUNIT_ASSERT_EQUAL(std::string(PROFILE_NAME + ".zip"), join(listFiles(directory.path())));
		std::string zip = readFile(directory.file(PROFILE_NAME + ".zip"));
		CPPUNIT_ASSERT(zip == asprof::sdk::ProfileArchive::toString(profile, asprof::sdk::ProfileArchive::CL_FAST)); // the default
		std::istringstream in(zip);
		Poco::Zip::ZipArchive archive(in);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), static_cast<std::size_t>(std::distance(archive.headerBegin(), archive.headerEnd())));
		CPPUNIT_ASSERT(archive.findHeader(asprof::sdk::ProfileArchive::JFR_ENTRY) != archive.headerEnd());
		CPPUNIT_ASSERT(archive.findHeader(asprof::sdk::ProfileArchive::METADATA_ENTRY) != archive.headerEnd());
	}

	void testMaxFilesKeepsNewestIncludingSuffixes()
	{
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}, {"maxFiles", "3"}});
		// Four profiles in one second ("Z", "Z-1", "Z-2", "Z-3"), then one a second later.
		for (std::uint64_t seq = 1; seq <= 4; ++seq) assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", seq));
		assertReported(*reporter, profileEndingAt(PROFILE_END + 1, "cpu-wall.jfr", 5));
		CPPUNIT_ASSERT_EQUAL(
			PROFILE_NAME + "-2.jfr " + PROFILE_NAME + "-3.jfr 2025-03-20T16-41-55Z.jfr", join(listFiles(directory.path())));
	}

	void testRetentionOrdersSuffixesNumerically()
	{
		TemporaryDirectory directory;
		// "Z", "Z-1" ... "Z-10" without retention, then "Z-11" with maxFiles = 2:
		// -10 and -11 are the newest, though "-9" sorts after them as text.
		auto unlimited = startReporter({{"directory", directory.path()}});
		for (std::uint64_t seq = 1; seq <= 11; ++seq) assertReported(*unlimited, profileEndingAt(PROFILE_END, "cpu-wall.jfr", seq));
		auto limited = startReporter({{"directory", directory.path()}, {"maxFiles", "2"}});
		assertReported(*limited, profileEndingAt(PROFILE_END, "truncated.jfr", 12));
		CPPUNIT_ASSERT_EQUAL(PROFILE_NAME + "-10.jfr " + PROFILE_NAME + "-11.jfr", join(listFiles(directory.path())));
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + "-11.jfr")) == readFile(dataFile("truncated.jfr")));
	}

	void testRetentionKeepsProfileJustWritten()
	{
		// After retention deleted "Z.jfr", the next profile of that second must
		// not reuse the free name "Z.jfr" (it would sort as the oldest and be
		// deleted at once although report() returned Ok).
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}, {"maxFiles", "2"}});
		for (std::uint64_t seq = 1; seq <= 3; ++seq) assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", seq));
		assertReported(*reporter, profileEndingAt(PROFILE_END, "truncated.jfr", 4));
		std::vector<std::string> names = listFiles(directory.path());
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), names.size());
		bool newestKept = false;
		for (const auto& name : names) newestKept = newestKept || readFile(directory.file(name)) == readFile(dataFile("truncated.jfr"));
		CPPUNIT_ASSERT_MESSAGE("the last profile reported Ok is not on disk; left: " + join(names), newestKept);
		CPPUNIT_ASSERT_EQUAL(PROFILE_NAME + "-2.jfr " + PROFILE_NAME + "-3.jfr", join(names));
	}

	void testRetentionLeavesOtherFilesAlone()
	{
		TemporaryDirectory directory;
		writeFile(directory.file("notes.txt"), "keep me");
		writeFile(directory.file("2020-01-01T00-00-00Z.json"), "keep me too");
		auto reporter = startReporter({{"directory", directory.path()}, {"maxFiles", "1"}});
		assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 1));
		assertReported(*reporter, profileEndingAt(PROFILE_END + 60, "cpu-wall.jfr", 2));
		CPPUNIT_ASSERT_EQUAL(
			std::string("2020-01-01T00-00-00Z.json 2025-03-20T16-42-54Z.jfr notes.txt"), join(listFiles(directory.path())));
	}

	void testNoHiddenTemporaryFilesRemain()
	{
		TemporaryDirectory directory;
		auto reporter = startReporter({{"directory", directory.path()}});
		assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 1));
		assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 2));
		assertReported(*reporter, profileEndingAt(PROFILE_END + 1, "cpu-wall.jfr", 3));
		CPPUNIT_ASSERT_EQUAL(
			PROFILE_NAME + "-1.jfr " + PROFILE_NAME + ".jfr 2025-03-20T16-41-55Z.jfr", join(listAllEntries(directory.path())));
	}

	void testFilesFollowTheUmask()
	{
		// 0666 less the umask, as any file the host creates (never forced to 0644).
		const std::vector<std::pair<mode_t, mode_t>> cases = {{077, 0600}, {027, 0640}, {022, 0644}, {002, 0664}};
		for (const auto& umaskAndMode : cases)
		{
			TemporaryDirectory directory;
			auto reporter = startReporter({{"directory", directory.path()}, {"format", "jfr"}});
			mode_t previous = ::umask(umaskAndMode.first);
			ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
			::umask(previous);
			CPPUNIT_ASSERT(result.isOk());
			CPPUNIT_ASSERT_EQUAL(
				static_cast<int>(umaskAndMode.second), static_cast<int>(modeOf(directory.file(PROFILE_NAME + ".jfr")) & 07777));
		}
	}

	void testPlantedTemporaryNamesAreNeverFollowed()
	{
		// Whatever hidden names are planted as links beforehand, no write goes through them.
		TemporaryDirectory directory;
		TemporaryDirectory elsewhere;
		auto reporter = startReporter({{"directory", directory.path()}});
		const std::string victim = elsewhere.file("victim");
		writeFile(victim, "victim");
		for (const std::string& name : {"." + PROFILE_NAME + ".XXXXXX", "." + PROFILE_NAME + ".tmp", "." + PROFILE_NAME + ".jfr"})
			CPPUNIT_ASSERT_EQUAL(0, ::symlink(victim.c_str(), directory.file(name).c_str()));
		assertReported(*reporter, makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string("victim"), readFile(victim));
		CPPUNIT_ASSERT(readFile(directory.file(PROFILE_NAME + ".jfr")) == readFile(dataFile("cpu-wall.jfr")));
	}

	void testStartCreatesMissingDirectory()
	{
		TemporaryDirectory parent;
		std::string nested = parent.file("a/b/profiles");
		auto reporter = startReporter({{"directory", nested}});
		CPPUNIT_ASSERT(Poco::File(nested).isDirectory());
		CPPUNIT_ASSERT_EQUAL(nested, reporter->options().directory);
		assertReported(*reporter, makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(readFile(nested + "/" + PROFILE_NAME + ".jfr") == readFile(dataFile("cpu-wall.jfr")));
	}

	void testDirectoryDeletedWhileRunningIsCreatedAgain()
	{
		TemporaryDirectory parent;
		const std::string nested = parent.file("a/b/profiles");
		auto reporter = startReporter({{"directory", nested}});
		const mode_t modeAtStart = modeOf(nested);
		assertReported(*reporter, profileEndingAt(PROFILE_END, "cpu-wall.jfr", 1));

		Poco::File(parent.file("a")).remove(true); // the directory and its parents, first profile included
		assertReported(*reporter, profileEndingAt(PROFILE_END + 60, "truncated.jfr", 2));
		CPPUNIT_ASSERT_EQUAL(std::string("2025-03-20T16-42-54Z.jfr"), join(listAllEntries(nested)));
		CPPUNIT_ASSERT(readFile(nested + "/2025-03-20T16-42-54Z.jfr") == readFile(dataFile("truncated.jfr")));
		CPPUNIT_ASSERT_EQUAL(modeAtStart, modeOf(nested));
		CPPUNIT_ASSERT_EQUAL(modeOf(parent.file("a")), modeOf(nested)); // parents too, as at start

		// And again: not a one-off.
		Poco::File(nested).remove(true);
		assertReported(*reporter, profileEndingAt(PROFILE_END + 120, "cpu-wall.jfr", 3));
		CPPUNIT_ASSERT_EQUAL(std::string("2025-03-20T16-43-54Z.jfr"), join(listAllEntries(nested)));
	}

	void testDirectoryThatCannotBeCreatedAgainFailsWithoutRetry()
	{
		// Deleted, and a dangling symbolic link left in its place: writing into it is ENOENT
		// before and after the reporter tries to make it again (mkdir finds the link there).
		TemporaryDirectory parent;
		const std::string nested = parent.file("profiles");
		auto reporter = startReporter({{"directory", nested}});
		Poco::File(nested).remove(true);
		CPPUNIT_ASSERT_EQUAL(0, ::symlink(parent.file("nowhere/profiles").c_str(), nested.c_str()));
		ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.message, std::string("fail"), std::string(asprof::sdk::toString(result.status)));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find(nested) != std::string::npos);
		CPPUNIT_ASSERT(!Poco::File(parent.file("nowhere")).exists());
	}

	void testConfigureReadsEveryDocumentedKey()
	{
		TemporaryDirectory directory;
		LocalReporter reporter;
		auto context = makeContext({{"directory", directory.path()}, {"format", "zip"}, {"maxFiles", "7"}, {"compressionLevel", "best"}});
		reporter.configure(*context);
		context->checkUnknownKeys();
		CPPUNIT_ASSERT_EQUAL(directory.path(), reporter.options().directory);
		CPPUNIT_ASSERT_EQUAL(std::string("zip"), reporter.options().format);
		CPPUNIT_ASSERT_EQUAL(std::size_t(7), reporter.options().maxFiles);
		CPPUNIT_ASSERT(reporter.options().compressionLevel == asprof::sdk::ProfileArchive::CL_BEST);
	}

	void testBadFormatNamesSectionAndKey()
	{
		std::string message = configureError({{"format", "tar"}});
		for (const char* part : {"test-agent.ini", "[reporter.local] format", "tar", "jfr | zip"})
		{
			CPPUNIT_ASSERT_MESSAGE(std::string(part) + " missing from: " + message, message.find(part) != std::string::npos);
		}
	}

	void testNegativeMaxFilesIsRejected()
	{
		std::string message = configureError({{"maxFiles", "-1"}});
		CPPUNIT_ASSERT_MESSAGE(message, message.find("[reporter.local] maxFiles = -1") != std::string::npos);
	}

	void testDirectoryThatIsAFileFailsWithoutRetry()
	{
		TemporaryDirectory parent;
		std::string notADirectory = parent.file("profiles");
		writeFile(notADirectory, "a regular file");
		auto reporter = std::make_unique<LocalReporter>();
		auto context = makeContext({{"directory", notADirectory}});
		reporter->configure(*context);
		try
		{
			reporter->start();
		}
		catch (Poco::Exception&)
		{
			// Refusing at start is fine too; report() must still not retry.
		}
		ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string("fail"), std::string(asprof::sdk::toString(result.status)));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find(notADirectory) != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("a regular file"), readFile(notADirectory));
	}

	void testIsProfileFileNameAcceptsWrittenNames()
	{
		for (const char* name :
			{"2025-03-20T16-41-54Z.jfr", "2025-03-20T16-41-54Z.zip", "2025-03-20T16-41-54Z-1.jfr", "2025-03-20T16-41-54Z-12.zip"})
		{
			CPPUNIT_ASSERT_MESSAGE(name, LocalReporter::isProfileFileName(name));
		}
	}

	void testIsProfileFileNameRejectsOtherNames()
	{
		for (const char* name : {"", "notes.txt", "2025-03-20T16-41-54Z.json", "2025-03-20T16-41-54Z.jfr.tmp",
				 ".2025-03-20T16-41-54Z-4242-1.tmp", "2025-03-20T16-41-54.jfr", "2025-03-20T16:41:54Z.jfr", "2025-03-20T16-41-54Z-.jfr",
				 "2025-03-20T16-41-54Z-1a.jfr", "x2025-03-20T16-41-54Z.jfr", "25-03-20T16-41-54Z.jfr"})
		{
			CPPUNIT_ASSERT_MESSAGE(name, !LocalReporter::isProfileFileName(name));
		}
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(LocalReporterTest);
