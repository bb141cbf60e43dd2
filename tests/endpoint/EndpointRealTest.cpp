// The pull endpoint with the real async-profiler (ASPROF_LIB): a C program
// that leaks in one function, allocates and frees in another and burns CPU in
// a third runs under the agent; its /debug/pprof/heap and profile?seconds=2
// are read with Google pprof while the continuous recordings keep flowing.
#include "EndpointSupport.h"
#include "TestSupport.h"
#include "Poco/File.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/NumberParser.h"
#include "Poco/Process.h"
#include "Poco/String.h"
#include <cppunit/extensions/HelperMacros.h>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>

using asprof::test::HttpAnswer;
using asprof::test::httpGet;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;

namespace {

std::uint16_t freePort()
{
	Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1:0"));
	std::uint16_t port = socket.address().port();
	socket.close();
	return port;
}

// pprof -top -cum: function name -> cum%.
std::map<std::string, double> cumulativeShares(const std::string& top)
{
	std::map<std::string, double> shares;
	std::istringstream lines(top);
	std::string line;
	bool table = false;
	while (std::getline(lines, line))
	{
		if (line.find("flat%") != std::string::npos && line.find("cum%") != std::string::npos)
		{
			table = true;
			continue;
		}
		if (!table) continue;
		std::istringstream fields(line);
		std::string flat, flatShare, sum, cum, cumShare, name;
		if (!(fields >> flat >> flatShare >> sum >> cum >> cumShare)) continue;
		std::getline(fields, name);
		name = name.substr(name.find_first_not_of(' '));
		if (!cumShare.empty() && cumShare.back() == '%') cumShare.pop_back();
		double share = 0;
		if (Poco::NumberParser::tryParseFloat(cumShare, share)) shares[name] = std::max(shares[name], share);
	}
	return shares;
}

double shareOf(const std::map<std::string, double>& shares, const std::string& function)
{
	double share = 0;
	for (const auto& entry : shares)
	{
		if (entry.first.find(function) != std::string::npos) share = std::max(share, entry.second);
	}
	return share;
}

Poco::JSON::Object::Ptr statusOf(const std::string& address)
{
	HttpAnswer answer = httpGet(address, "/status");
	return Poco::JSON::Parser().parse(answer.body).extract<Poco::JSON::Object::Ptr>();
}

} // namespace

class EndpointRealTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EndpointRealTest);
	CPPUNIT_TEST(testLeakingProgramHeapAndCpuWindowWithTheRealProfiler);
	CPPUNIT_TEST_SUITE_END();

public:
	void testLeakingProgramHeapAndCpuWindowWithTheRealProfiler()
	{
		const char* library = std::getenv("ASPROF_LIB");
		if (!library || !*library)
		{
			std::cout << "SKIPPED: testLeakingProgramHeapAndCpuWindowWithTheRealProfiler: ASPROF_LIB not set" << std::endl;
			return;
		}
		std::string pprof = asprof::test::pprofBinary();
		if (pprof.empty())
		{
			std::cout << "SKIPPED: testLeakingProgramHeapAndCpuWindowWithTheRealProfiler: Google pprof not available" << std::endl;
			return;
		}
		TemporaryDirectory dir;
		std::string address = "127.0.0.1:" + std::to_string(freePort());
		asprof::test::writeFile(dir.file("agent.ini"),
			std::string("[agent]\nlibrary = ") + library +
				"\n"
				"pluginDir = " ASPROF_TEST_PLUGIN_DIR
				"\nreportingInterval = 1s\nreporter = main\nmetadata = onprem\nstatusLogInterval = 0\n"
				"[metadata.onprem]\ntype = onprem\nlibrary = " ASPROF_BUILD_PLUGIN_DIR "/libasprof-metadata-onprem.so\n"
				"[profiler]\ncpuInterval = 5ms\nwallInterval = 0\ncstack = fp\nnativeMem = 32k\n"
				"[endpoint]\nlisten = " +
				address +
				"\n"
				"[reporter.main]\ntype = capture\ndirectory = " +
				dir.file("profiles") + "\n");
		Poco::ProcessHandle program = Poco::Process::launch(ASPROF_LEAKY_PROGRAM, {dir.file("agent.ini"), dir.file("stop"), "120"});
		struct Stopper
		{
			std::string file;
			Poco::ProcessHandle& program;
			~Stopper()
			{
				asprof::test::writeFile(file, "stop");
				if (Poco::Process::isRunning(program)) program.wait();
			}
		} stopper{dir.file("stop"), program};

		CPPUNIT_ASSERT(waitUntil(
			[&]() {
				try
				{
					return statusOf(address)->getObject("heap")->getValue<unsigned>("recordings") >= 3;
				}
				catch (Poco::Exception&)
				{
					return false;
				}
			},
			Poco::Timespan(60, 0)));

		HttpAnswer heap = httpGet(address, "/debug/pprof/heap");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(heap.body, 200, heap.status);
		std::string inuse = asprof::test::pprofTop(pprof, heap.body, "inuse_space");
		auto inuseShares = cumulativeShares(inuse);
		double leaking = shareOf(inuseShares, "leakingFunction");
		double churning = shareOf(inuseShares, "churningFunction");
		CPPUNIT_ASSERT_MESSAGE(inuse, leaking >= 90.0);
		CPPUNIT_ASSERT_MESSAGE(inuse, churning <= 2.0);
		// Allocated since start: the churn (8x the leak's bytes) dominates.
		std::string allocated = asprof::test::pprofTop(pprof, heap.body, "alloc_space");
		CPPUNIT_ASSERT_MESSAGE(
			allocated, shareOf(cumulativeShares(allocated), "churningFunction") > shareOf(cumulativeShares(allocated), "leakingFunction"));

		std::size_t filesBefore = asprof::test::listFiles(dir.file("profiles")).size();
		HttpAnswer cpu = httpGet(address, "/debug/pprof/profile?seconds=2");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(cpu.body, 200, cpu.status);
		asprof::test::PprofRaw raw = asprof::test::pprofRaw(pprof, cpu.body);
		CPPUNIT_ASSERT_EQUAL(std::string("samples/count cpu/nanoseconds"), raw.sampleTypes);
		double seconds = 0;
		std::string duration = raw.durationLine.substr(raw.durationLine.find(':') + 1);
		CPPUNIT_ASSERT_MESSAGE(
			raw.durationLine, Poco::NumberParser::tryParseFloat(Poco::trim(duration).substr(0, Poco::trim(duration).size() - 1), seconds));
		CPPUNIT_ASSERT_MESSAGE(raw.durationLine, seconds >= 1.8 && seconds <= 6.0);
		std::string top = asprof::test::pprofTop(pprof, cpu.body, "cpu");
		CPPUNIT_ASSERT_MESSAGE(top, shareOf(cumulativeShares(top), "hotFunction") >= 50.0);
		// The continuous recordings kept flowing: files of 1s recordings and
		// the window's own, none lost.
		CPPUNIT_ASSERT(waitUntil([&]() { return asprof::test::listFiles(dir.file("profiles")).size() >= filesBefore + 3; }));
		Poco::JSON::Object::Ptr status = statusOf(address);
		CPPUNIT_ASSERT_EQUAL(0u, status->getValue<unsigned>("recordingsLost"));
		CPPUNIT_ASSERT_EQUAL(2u, status->getValue<unsigned>("requestedRotations"));
		CPPUNIT_ASSERT_EQUAL(0u, status->getObject("heap")->getValue<unsigned>("failed"));

		asprof::test::writeFile(dir.file("stop"), "stop");
		CPPUNIT_ASSERT_EQUAL(0, program.wait());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(EndpointRealTest);
