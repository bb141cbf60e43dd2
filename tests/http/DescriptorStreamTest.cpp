//
// DescriptorStreamTest.cpp
//
// The streams the reporters write bodies and files through: a memory file
// gives back what was written (a zip patched in place included), and a
// failed write reaches the caller with its errno, never as a cut file.
//

#include "TestSupport.h"
#include "asprof/plugins/DescriptorStream.h"
#include "asprof/plugins/ErrorClassification.h"
#include "asprof/sdk/ProfileArchive.h"
#include "cppunit/extensions/HelperMacros.h"
#include <cerrno>
#include <fcntl.h>
#include <iostream>
#include <sstream>
#include <unistd.h>

using asprof::plugins::DescriptorOutputStream;
using asprof::plugins::MemoryFile;
using Status = asprof::sdk::ReportResult::Status;

class DescriptorStreamTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(DescriptorStreamTest);
	CPPUNIT_TEST(testMemoryFileGivesBackWhatWasWrittenAnyNumberOfTimes);
	CPPUNIT_TEST(testZipInAMemoryFileEqualsTheZipInAString);
	CPPUNIT_TEST(testFullDiskThrowsWithItsErrnoAtClose);
	CPPUNIT_TEST_SUITE_END();

public:
	void testMemoryFileGivesBackWhatWasWrittenAnyNumberOfTimes()
	{
		MemoryFile file("test body");
		std::string data(200 * 1024 + 3, '\0');
		for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
		file.out() << data;
		file.out().seekp(5);
		file.out() << "XY"; // patched in place, as a zip's local header
		file.out().seekp(0, std::ios::end);
		file.out() << "tail";
		data.replace(5, 2, "XY");
		data += "tail";
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(data.size()), file.finish());
		for (int round = 0; round < 2; ++round)
		{
			std::ostringstream out;
			file.copyTo(out);
			CPPUNIT_ASSERT(out.str() == data);
		}
	}

	void testZipInAMemoryFileEqualsTheZipInAString()
	{
		asprof::sdk::Profile profile = asprof::test::makeProfile("fanout.jfr");
		MemoryFile file("zip");
		asprof::sdk::ProfileArchive::write(profile, file.out(), asprof::sdk::ProfileArchive::CL_FAST);
		file.finish();
		std::ostringstream out;
		file.copyTo(out);
		CPPUNIT_ASSERT(out.str() == asprof::sdk::ProfileArchive::toString(profile, asprof::sdk::ProfileArchive::CL_FAST));
	}

	// /dev/full refuses every write with ENOSPC: close() says so, with the errno,
	// and the classification is the disk-full one (Retry).
	void testFullDiskThrowsWithItsErrnoAtClose()
	{
		const int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
		{
			std::cout << "\nSKIPPED: plugin-common-tests: no /dev/full" << std::endl;
			return;
		}
		{
			DescriptorOutputStream out(fd, "/dev/full");
			out << std::string(100 * 1024, 'x');
			CPPUNIT_ASSERT(!out.good());
			try
			{
				out.close();
				CPPUNIT_FAIL("close() did not throw");
			}
			catch (const Poco::FileException& error)
			{
				CPPUNIT_ASSERT_EQUAL(ENOSPC, error.code());
				CPPUNIT_ASSERT_MESSAGE(error.displayText(), error.message().find("/dev/full: write failed") != std::string::npos);
				CPPUNIT_ASSERT(asprof::plugins::classifyException(std::current_exception(), "write").status == Status::Retry);
			}
		}
		{
			// A small write stays in the buffer: close() writes it and fails then.
			DescriptorOutputStream out(fd, "/dev/full");
			out << "small";
			CPPUNIT_ASSERT_THROW(out.close(), Poco::FileException);
		}
		::close(fd);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(DescriptorStreamTest);
