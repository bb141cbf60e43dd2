// Three rotations with the real async-profiler, named by ASPROF_LIB.
// Without ASPROF_LIB the suite prints a visible SKIPPED line and passes.
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "Poco/Environment.h"
#include "Poco/File.h"
#include "Poco/Pipe.h"
#include "Poco/PipeStream.h"
#include "Poco/Process.h"
#include "Poco/StreamCopier.h"
#include <atomic>
#include <cmath>
#include <cppunit/extensions/HelperMacros.h>
#include <iostream>
#include <sstream>
#include <thread>

using namespace asprof;
using namespace asprof::agent;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;

extern "C" __attribute__((noinline)) double asprof_integration_burn(const std::atomic<bool>* stop)
{
	double sum = 0;
	for (unsigned long i = 1; !stop->load(std::memory_order_relaxed); ++i) sum += std::sqrt(static_cast<double>(i % 1009));
	return sum;
}

namespace {

std::uint64_t bigEndian(const std::string& data, std::size_t offset, int bytes)
{
	std::uint64_t value = 0;
	for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(data[offset + i]);
	return value;
}

// Walks the chunk headers: magic, version 2.x, sizes adding up to the file.
void checkChunks(const std::string& name, const std::string& data)
{
	std::size_t offset = 0;
	int chunks = 0;
	while (offset < data.size())
	{
		CPPUNIT_ASSERT_MESSAGE(name + ": header fits", offset + 68 <= data.size());
		CPPUNIT_ASSERT_MESSAGE(name + ": magic", data.compare(offset, 4, std::string("FLR\0", 4)) == 0);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(name + ": major version", std::uint64_t(2), bigEndian(data, offset + 4, 2));
		std::uint64_t size = bigEndian(data, offset + 8, 8);
		CPPUNIT_ASSERT_MESSAGE(name + ": chunk size within the file", size >= 68 && offset + size <= data.size());
		CPPUNIT_ASSERT_MESSAGE(name + ": ticks per second", bigEndian(data, offset + 56, 8) > 0);
		offset += size;
		++chunks;
	}
	CPPUNIT_ASSERT(chunks >= 1);
}

std::string jfrTool()
{
	std::string javaHome = Poco::Environment::get("JAVA_HOME", "");
	std::vector<std::string> candidates;
	if (!javaHome.empty()) candidates.push_back(javaHome + "/bin/jfr");
	candidates.push_back("/usr/bin/jfr");
	for (const auto& candidate : candidates)
	{
		if (Poco::File(candidate).exists()) return candidate;
	}
	return "";
}

std::string runJfrSummary(const std::string& tool, const std::string& file)
{
	Poco::Pipe output;
	Poco::ProcessHandle handle = Poco::Process::launch(tool, {"summary", file}, nullptr, &output, &output);
	Poco::PipeInputStream in(output);
	std::string text;
	Poco::StreamCopier::copyToString(in, text);
	CPPUNIT_ASSERT_EQUAL_MESSAGE("jfr summary " + file + ":\n" + text, 0, handle.wait());
	return text;
}

// The count column of "jdk.ExecutionSample  <count>  <size>" (jfr summary
// lists every declared event type, also those with a count of 0).
long executionSamples(const std::string& summary)
{
	std::istringstream in(summary);
	std::string line;
	while (std::getline(in, line))
	{
		std::istringstream fields(line);
		std::string name;
		long count = 0;
		if (fields >> name >> count && name == "jdk.ExecutionSample") return count;
	}
	return 0;
}

} // namespace

class RealProfilerTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RealProfilerTest);
	CPPUNIT_TEST(testThreeRotationsWithTheRealLibrary);
	CPPUNIT_TEST_SUITE_END();

public:
	void testThreeRotationsWithTheRealLibrary()
	{
		std::string library = Poco::Environment::get("ASPROF_LIB", "");
		if (library.empty())
		{
			std::cout << "SKIPPED: integration-tests: set ASPROF_LIB=/path/to/libasyncProfiler.so to run against the real async-profiler" << std::endl;
			return;
		}
		TemporaryDirectory out;
		AgentConfig config = AgentConfig::fromIni("[agent]\nlibrary = " + library + "\npluginDir = " ASPROF_BUILD_PLUGIN_DIR
			"\nreportingInterval = 1s\nreporter = local\nmetadata = onprem\n[profiler]\ncpuInterval = 10ms\nwallInterval = 100ms\n"
			"[reporter.local]\ntype = local\ndirectory = " + out.path() + "\n", "integration.ini");
		std::atomic<bool> stop{false};
		std::thread burner([&]() {
			volatile double sink = asprof_integration_burn(&stop);
			(void) sink;
		});
		Agent agent(config);
		agent.start();
		bool rotated = waitUntil([&]() { return agent.status().lanes[0].delivered >= 3; }, Poco::Timespan(30, 0));
		bool stopped = agent.stop(Poco::Timespan(10, 0));
		stop = true;
		burner.join();
		CPPUNIT_ASSERT_MESSAGE(agent.status().lastError, rotated);
		CPPUNIT_ASSERT(stopped);

		std::vector<std::string> files = asprof::test::listFiles(out.path());
		CPPUNIT_ASSERT(files.size() >= 3);
		std::string tool = jfrTool();
		if (tool.empty()) std::cout << "integration-tests: no JDK jfr tool found; checked chunk headers only" << std::endl;
		int withSamples = 0;
		for (const auto& name : files)
		{
			checkChunks(name, asprof::test::readFile(out.file(name)));
			if (tool.empty()) continue;
			if (executionSamples(runJfrSummary(tool, out.file(name))) > 0) ++withSamples;
		}
		if (!tool.empty()) CPPUNIT_ASSERT(withSamples >= 3);
		std::cout << "integration-tests: " << files.size() << " recordings from " << agent.status().library << std::endl;
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RealProfilerTest);
