// asprof-demo as a user runs it: a process that stops cleanly on SIGTERM or
// after --duration, flushing the last profile, with the fake async-profiler.
#include "TestSupport.h"
#include "Poco/File.h"
#include "Poco/Pipe.h"
#include "Poco/PipeStream.h"
#include "Poco/Process.h"
#include "Poco/StreamCopier.h"
#include <cppunit/extensions/HelperMacros.h>
#include <csignal>

using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;

namespace {

std::string demoIni(const TemporaryDirectory& dir)
{
	return "[agent]\nlibrary = " ASPROF_FAKE_PROFILER "\nreportingInterval = 200ms\nmetadata = onprem\n"
		   "[reporter.local]\ntype = local\ndirectory = " +
		dir.file("profiles") + "\n";
}

std::vector<std::string> profiles(const TemporaryDirectory& dir)
{
	return Poco::File(dir.file("profiles")).exists() ? asprof::test::listFiles(dir.file("profiles")) : std::vector<std::string>();
}

} // namespace

class DemoTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(DemoTest);
	CPPUNIT_TEST(testSigtermStopsCleanlyAndFlushesTheLastProfile);
	CPPUNIT_TEST(testDurationStopsTheDemo);
	CPPUNIT_TEST(testBadConfigExitsWithTheError);
	CPPUNIT_TEST(testHelpAndVersionNeverProfile);
	CPPUNIT_TEST_SUITE_END();

public:
	void testSigtermStopsCleanlyAndFlushesTheLastProfile()
	{
		TemporaryDirectory dir;
		asprof::test::writeFile(dir.file("agent.ini"), demoIni(dir));
		Poco::Pipe output;
		Poco::ProcessHandle demo =
			Poco::Process::launch(ASPROF_DEMO, {"--asprof-config=" + dir.file("agent.ini")}, dir.path(), nullptr, &output, nullptr);
		CPPUNIT_ASSERT(waitUntil([&]() { return profiles(dir).size() >= 2; }));
		std::size_t before = profiles(dir).size();
		::kill(static_cast<pid_t>(demo.id()), SIGTERM);
		Poco::PipeInputStream in(output);
		std::string text;
		Poco::StreamCopier::copyToString(in, text);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(text, 0, demo.wait());
		std::vector<std::string> after = profiles(dir);
		CPPUNIT_ASSERT(after.size() > before); // the final flush wrote the last recording
		CPPUNIT_ASSERT_MESSAGE(
			text, text.find(std::to_string(after.size()) + " profiles delivered, 0 failed, 0 dropped") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(text, text.find("profiles are in " + dir.file("profiles")) != std::string::npos);
		for (const auto& name : after) CPPUNIT_ASSERT_MESSAGE(text, text.find("  " + name + "  23524 bytes") != std::string::npos);
	}

	void testDurationStopsTheDemo()
	{
		TemporaryDirectory dir;
		asprof::test::writeFile(dir.file("agent.ini"), demoIni(dir));
		Poco::Pipe output;
		Poco::ProcessHandle demo = Poco::Process::launch(
			ASPROF_DEMO, {"--asprof-config=" + dir.file("agent.ini"), "--duration=1"}, dir.path(), nullptr, &output, nullptr);
		Poco::PipeInputStream in(output);
		std::string text;
		Poco::StreamCopier::copyToString(in, text);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(text, 0, demo.wait());
		CPPUNIT_ASSERT(profiles(dir).size() >= 2);
	}

	void testBadConfigExitsWithTheError()
	{
		TemporaryDirectory dir;
		asprof::test::writeFile(dir.file("agent.ini"), "[agent]\nreportingInterval = 5\n");
		Poco::Pipe errors;
		Poco::ProcessHandle demo =
			Poco::Process::launch(ASPROF_DEMO, {"--asprof-config=" + dir.file("agent.ini")}, dir.path(), nullptr, nullptr, &errors);
		Poco::PipeInputStream in(errors);
		std::string text;
		Poco::StreamCopier::copyToString(in, text);
		CPPUNIT_ASSERT(demo.wait() != 0);
		CPPUNIT_ASSERT_MESSAGE(
			text, text.find(dir.file("agent.ini") + ": [agent] reportingInterval = 5: expected a duration") != std::string::npos);
	}

	// --help and --version print and exit: no agent starts (no library search,
	// no metadata probe, no ./profiles written).
	void testHelpAndVersionNeverProfile()
	{
		for (const std::string option : {"--help", "--version"})
		{
			TemporaryDirectory dir;
			Poco::Pipe output;
			Poco::Pipe errors;
			Poco::ProcessHandle demo = Poco::Process::launch(ASPROF_DEMO, {option}, dir.path(), nullptr, &output, &errors);
			std::string out;
			std::string err;
			Poco::PipeInputStream outStream(output);
			Poco::StreamCopier::copyToString(outStream, out);
			Poco::PipeInputStream errStream(errors);
			Poco::StreamCopier::copyToString(errStream, err);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(option + ": " + err, 0, demo.wait());
			CPPUNIT_ASSERT_MESSAGE(option + ": " + out, out.find(option == "--help" ? "--duration" : "asprof-demo ") != std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(option + " wrote to stderr: " + err, err.empty());
			CPPUNIT_ASSERT_MESSAGE(option + " created ./profiles", !Poco::File(dir.file("profiles")).exists());
		}
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(DemoTest);
