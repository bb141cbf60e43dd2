//
// FileRecordingTest.cpp
//
// The anonymous recording file async-profiler writes through /proc/self/fd/N.
//

#include "TestSupport.h"
#include "FileRecording.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/Exception.h"
#include "Poco/FileStream.h"
#include <fcntl.h>
#include <functional>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using Recording = asprof::agent::FileRecording;
using asprof::test::dataFile;
using asprof::test::readFile;
using asprof::test::TemporaryDirectory;

namespace {

// Every entry, hidden ones included (TestSupport's listFiles skips them).
std::size_t countEntries(const std::string& directory)
{
	std::size_t count = 0;
	for (Poco::DirectoryIterator it(directory), end; it != end; ++it) ++count;
	return count;
}

// Writes through the name async-profiler is given, as async-profiler does.
void writeThroughPath(const Recording& recording, const std::string& content)
{
	Poco::FileOutputStream out(recording.path());
	out << content;
	out.close();
}

// Runs action, which must throw Poco::FileException, and returns its text.
std::string fileError(const std::function<void()>& action)
{
	try
	{
		action();
	}
	catch (Poco::FileException& e)
	{
		return e.displayText();
	}
	CPPUNIT_FAIL("no Poco::FileException was thrown");
	return std::string();
}

} // namespace

class FileRecordingTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(FileRecordingTest);
	CPPUNIT_TEST(testCreateLeavesNoNameInDirectory);
	CPPUNIT_TEST(testFileIsOwnerReadWriteOnly);
	CPPUNIT_TEST(testPathIsProcSelfFd);
	CPPUNIT_TEST(testContentWrittenThroughPathIsReadBack);
	CPPUNIT_TEST(testNewRecordingIsEmpty);
	CPPUNIT_TEST(testFromFileCopiesContent);
	CPPUNIT_TEST(testConcurrentReadersGetSameBytes);
	CPPUNIT_TEST(testDestructorClosesDescriptor);
	CPPUNIT_TEST(testLeakKeepsDescriptorOpen);
	CPPUNIT_TEST(testCreateInMissingDirectoryThrowsNamingIt);
	CPPUNIT_TEST(testFromMissingFileThrows);
	CPPUNIT_TEST_SUITE_END();

public:
	void testCreateLeavesNoNameInDirectory()
	{
		TemporaryDirectory directory;
		auto recording = Recording::create(directory.path());
		writeThroughPath(*recording, "some jfr bytes");
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), countEntries(directory.path()));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(14), recording->size());
	}

	void testFileIsOwnerReadWriteOnly()
	{
		TemporaryDirectory directory;
		auto recording = Recording::create(directory.path());
		struct stat st;
		CPPUNIT_ASSERT_EQUAL(0, ::fstat(recording->fd(), &st));
		CPPUNIT_ASSERT(S_ISREG(st.st_mode));
		CPPUNIT_ASSERT_EQUAL(static_cast<unsigned>(0600), static_cast<unsigned>(st.st_mode & 07777));
	}

	void testPathIsProcSelfFd()
	{
		TemporaryDirectory directory;
		auto recording = Recording::create(directory.path());
		CPPUNIT_ASSERT(recording->fd() >= 0);
		CPPUNIT_ASSERT_EQUAL("/proc/self/fd/" + std::to_string(recording->fd()), recording->path());
	}

	void testContentWrittenThroughPathIsReadBack()
	{
		TemporaryDirectory directory;
		auto recording = Recording::create(directory.path());
		std::string jfr = readFile(dataFile("cpu-wall.jfr"));
		writeThroughPath(*recording, jfr);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(23524), recording->size());
		CPPUNIT_ASSERT(recording->readAll() == jfr);
		std::ostringstream copy;
		recording->copyTo(copy);
		CPPUNIT_ASSERT(copy.str() == jfr);
	}

	void testNewRecordingIsEmpty()
	{
		auto recording = Recording::create("");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), recording->size());
		CPPUNIT_ASSERT(recording->readAll().empty());
		std::ostringstream copy;
		recording->copyTo(copy);
		CPPUNIT_ASSERT(copy.str().empty());
	}

	void testFromFileCopiesContent()
	{
		auto recording = Recording::fromFile(dataFile("truncated.jfr"));
		std::string expected = readFile(dataFile("truncated.jfr"));
		CPPUNIT_ASSERT_EQUAL(static_cast<std::uint64_t>(expected.size()), recording->size());
		CPPUNIT_ASSERT(recording->readAll() == expected);
	}

	void testConcurrentReadersGetSameBytes()
	{
		auto recording = Recording::fromFile(dataFile("cpu-wall.jfr"));
		const std::string expected = readFile(dataFile("cpu-wall.jfr"));
		const int rounds = 200;
		int mismatches[2] = {0, 0};
		auto reader = [&](int index) {
			for (int i = 0; i < rounds; ++i)
			{
				if (recording->readAll() != expected) ++mismatches[index];
				std::ostringstream copy;
				recording->copyTo(copy);
				if (copy.str() != expected) ++mismatches[index];
			}
		};
		std::thread first(reader, 0);
		std::thread second(reader, 1);
		first.join();
		second.join();
		CPPUNIT_ASSERT_EQUAL(0, mismatches[0]);
		CPPUNIT_ASSERT_EQUAL(0, mismatches[1]);
	}

	void testDestructorClosesDescriptor()
	{
		int fd = -1;
		{
			auto recording = Recording::create("");
			fd = recording->fd();
			CPPUNIT_ASSERT(::fcntl(fd, F_GETFD) != -1);
		}
		CPPUNIT_ASSERT_EQUAL(-1, ::fcntl(fd, F_GETFD));
		CPPUNIT_ASSERT_EQUAL(EBADF, errno);
	}

	void testLeakKeepsDescriptorOpen()
	{
		int fd = -1;
		{
			auto recording = Recording::fromFile(dataFile("cpu-wall.jfr"));
			fd = recording->fd();
			recording->leak();
			CPPUNIT_ASSERT_EQUAL(-1, recording->fd());
		}
		CPPUNIT_ASSERT(::fcntl(fd, F_GETFD) != -1);
		// Still the same file: async-profiler could keep writing to it.
		struct stat st;
		CPPUNIT_ASSERT_EQUAL(0, ::fstat(fd, &st));
		CPPUNIT_ASSERT_EQUAL(static_cast<off_t>(23524), st.st_size);
		CPPUNIT_ASSERT_EQUAL(0, ::close(fd));
	}

	void testCreateInMissingDirectoryThrowsNamingIt()
	{
		TemporaryDirectory parent;
		std::string missing = parent.file("does-not-exist");
		std::string message = fileError([&]() { Recording::create(missing); });
		CPPUNIT_ASSERT_MESSAGE(message, message.find(missing) != std::string::npos);
	}

	void testFromMissingFileThrows()
	{
		TemporaryDirectory directory;
		std::string missing = directory.file("missing.jfr");
		std::string message = fileError([&]() { Recording::fromFile(missing); });
		CPPUNIT_ASSERT_MESSAGE(message, message.find(missing) != std::string::npos);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(FileRecordingTest);
