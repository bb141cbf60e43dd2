// The pull endpoint with the fake async-profiler: windows cut by two
// rotations, continuous delivery unchanged, errors, the token, the live heap.
#include "EndpointSupport.h"
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/Exception.h"
#include "asprof/jfr/Input.h"
#include "asprof/jfr/LiveHeap.h"
#include "asprof/jfr/PprofConvert.h"
#include "Poco/JSON/Object.h"
#include "Poco/Message.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/JSON/Parser.h"
#include "Poco/NumberParser.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <algorithm>
#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <future>
#include <iostream>
#include <set>
#include <sstream>

using namespace asprof;
using namespace asprof::agent;
using asprof::test::endpointIni;
using asprof::test::FakeProfilerSetting;
using asprof::test::HttpAnswer;
using asprof::test::httpGet;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;

namespace {

const std::string LISTEN = "listen = 127.0.0.1:0\n";

// Sends text as is (a request no HTTP client would build) and returns the answer.
std::string rawRequest(const std::string& address, const std::string& text)
{
	Poco::Net::StreamSocket socket(Poco::Net::SocketAddress{address});
	socket.setReceiveTimeout(Poco::Timespan(30, 0));
	socket.sendBytes(text.data(), static_cast<int>(text.size()));
	std::string answer;
	char buffer[4096];
	for (int n; (n = socket.receiveBytes(buffer, sizeof(buffer))) > 0;) answer.append(buffer, static_cast<std::size_t>(n));
	return answer;
}

bool contains(const std::string& text, const std::string& part)
{
	return text.find(part) != std::string::npos;
}

// The seqs the capture reporter received: it writes <pid>-<seq>.jfr.
std::set<std::uint64_t> deliveredSeqs(const std::string& directory)
{
	std::set<std::uint64_t> seqs;
	for (const auto& name : asprof::test::listFiles(directory))
	{
		std::size_t dash = name.find('-');
		std::size_t dot = name.rfind(".jfr");
		if (dash == std::string::npos || dot == std::string::npos || dot + 4 != name.size()) continue;
		seqs.insert(Poco::NumberParser::parseUnsigned64(name.substr(dash + 1, dot - dash - 1)));
	}
	return seqs;
}

// Samples (value 0) of one copy of a recording, as the agent converts it.
std::int64_t samplesOf(const std::string& dataFile, jfr::CollectOptions::Event event)
{
	jfr::Input input = jfr::Input::open(asprof::test::dataFile(dataFile));
	jfr::CollectOptions options;
	options.event = event;
	return jfr::convertToPprof({&input}, options).samples;
}

std::pair<std::uint64_t, std::uint64_t> recordingRange(const HttpAnswer& answer)
{
	std::string range = answer.header("X-Asprof-Recordings");
	std::size_t dash = range.find('-');
	CPPUNIT_ASSERT_MESSAGE("X-Asprof-Recordings: " + range, dash != std::string::npos);
	return {Poco::NumberParser::parseUnsigned64(range.substr(0, dash)), Poco::NumberParser::parseUnsigned64(range.substr(dash + 1))};
}

std::string skipWithoutPprof(const char* test)
{
	std::string pprof = asprof::test::pprofBinary();
	if (pprof.empty()) std::cout << "SKIPPED: " << test << ": Google pprof not available (tests/jfr/build-pprof.sh)" << std::endl;
	return pprof;
}

} // namespace

class EndpointTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EndpointTest);
	CPPUNIT_TEST(testWindowRotatesAtItsStartAndEndAndAnswersTheRecordingBetween);
	CPPUNIT_TEST(testWindowLongerThanTheIntervalConvertsItsRecordingsTogetherWithoutAGap);
	CPPUNIT_TEST(testWallWindowAnswersWallSamples);
	CPPUNIT_TEST(testSecondsAboveTheMaximumOrNotANumberIs400);
	CPPUNIT_TEST(testConcurrentWindowIs429WhileOneIsOpen);
	CPPUNIT_TEST(testMissingOrWrongTokenIs401CountedAndNeverLogged);
	CPPUNIT_TEST(testTokenFileIsReadAtStart);
	CPPUNIT_TEST(testRemoteListenRefusedWithoutAllowRemote);
	CPPUNIT_TEST(testHeapIs404WithoutNativeMem);
	CPPUNIT_TEST(testMalformedTargetsAre400AndTheHostLives);
	CPPUNIT_TEST(testSocketsAreNotInheritedByExec);
	CPPUNIT_TEST(testWindowOverMoreRecordingsThanKeptIsRefused);
	CPPUNIT_TEST(testHeapServedFromNativeMemRecordings);
	CPPUNIT_TEST(testUnreadableRecordingIsCountedLoggedOnceAndDeliveryGoesOn);
	CPPUNIT_TEST(testHeapCapEvictsAndLogsOnce);
	CPPUNIT_TEST(testStatusIsJsonAndIndexListsTheProfiles);
	CPPUNIT_TEST(testStopCutsAnOpenWindowShort);
	CPPUNIT_TEST(testBusyPortFailsTheStartNamingTheAddress);
	CPPUNIT_TEST(testShippedAgentIniDocumentsTheEndpointOff);
	CPPUNIT_TEST_SUITE_END();

public:
	void testWindowRotatesAtItsStartAndEndAndAnswersTheRecordingBetween()
	{
		std::string pprof = skipWithoutPprof("testWindowRotatesAtItsStartAndEndAndAnswersTheRecordingBetween");
		TemporaryDirectory dir;
		FakeProfilerSetting log("ASPROF_FAKE_LOG", dir.file("fake.log"));
		// A 1h interval: the only rotations are the window's.
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path()), "test.ini"));
		agent.start();
		HttpAnswer answer = httpGet(agent.status().endpointAddress, "/debug/pprof/profile?seconds=1");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
		CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), answer.contentType);
		AgentStatus status = agent.status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), status.requestedRotations);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), status.rotations);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), status.endpointWindows);
		// Recording 1 ran before the window, 2 is the window, 3 runs on.
		auto range = recordingRange(answer);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), range.first);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), range.second);
		std::size_t starts = 0;
		std::size_t stops = 0;
		for (const auto& line : asprof::test::readLines(dir.file("fake.log")))
		{
			starts += contains(line, " start,") ? 1 : 0;
			stops += contains(line, " stop-done") ? 1 : 0;
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), starts);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), stops);
		CPPUNIT_ASSERT(waitUntil([&]() { return deliveredSeqs(dir.path()).size() == 2; }));
		CPPUNIT_ASSERT(agent.stop());
		CPPUNIT_ASSERT((deliveredSeqs(dir.path()) == std::set<std::uint64_t>{1, 2, 3}));
		if (pprof.empty()) return;
		asprof::test::PprofRaw raw = asprof::test::pprofRaw(pprof, answer.body);
		CPPUNIT_ASSERT_EQUAL(std::string("samples/count cpu/nanoseconds"), raw.sampleTypes);
		std::int64_t expected = samplesOf("cpu-wall.jfr", jfr::CollectOptions::Event::Cpu);
		CPPUNIT_ASSERT(expected > 0);
		CPPUNIT_ASSERT_EQUAL(expected, static_cast<std::int64_t>(raw.totals.at(0)));
	}

	void testWindowLongerThanTheIntervalConvertsItsRecordingsTogetherWithoutAGap()
	{
		std::string pprof = skipWithoutPprof("testWindowLongerThanTheIntervalConvertsItsRecordingsTogetherWithoutAGap");
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path(), "200ms"), "test.ini"));
		agent.start();
		HttpAnswer answer = httpGet(agent.status().endpointAddress, "/debug/pprof/profile?seconds=1");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
		auto range = recordingRange(answer);
		std::uint64_t recordings = range.second - range.first + 1;
		CPPUNIT_ASSERT_MESSAGE("recordings " + answer.header("X-Asprof-Recordings"), recordings >= 3);
		CPPUNIT_ASSERT(agent.stop());
		AgentStatus status = agent.status();
		// Every recording reached the reporter once, in order, none lost.
		std::set<std::uint64_t> seqs = deliveredSeqs(dir.path());
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(status.recordings), seqs.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), *seqs.begin());
		CPPUNIT_ASSERT_EQUAL(static_cast<std::uint64_t>(seqs.size()), *seqs.rbegin());
		CPPUNIT_ASSERT(seqs.count(range.first) == 1 && seqs.count(range.second) == 1);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.recordingsLost);
		CPPUNIT_ASSERT_EQUAL(status.rotations, status.recordings);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), status.requestedRotations);
		asprof::test::assertEveryProfileAccounted(status);
		if (pprof.empty()) return;
		asprof::test::PprofRaw raw = asprof::test::pprofRaw(pprof, answer.body);
		std::int64_t perRecording = samplesOf("cpu-wall.jfr", jfr::CollectOptions::Event::Cpu);
		CPPUNIT_ASSERT_EQUAL(perRecording * static_cast<std::int64_t>(recordings), static_cast<std::int64_t>(raw.totals.at(0)));
	}

	void testWallWindowAnswersWallSamples()
	{
		std::string pprof = skipWithoutPprof("testWallWindowAnswersWallSamples");
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path()), "test.ini"));
		agent.start();
		HttpAnswer answer = httpGet(agent.status().endpointAddress, "/debug/pprof/wall?seconds=1");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(answer.body, 200, answer.status);
		agent.stop();
		if (pprof.empty()) return;
		asprof::test::PprofRaw raw = asprof::test::pprofRaw(pprof, answer.body);
		CPPUNIT_ASSERT_EQUAL(std::string("samples/count wall/nanoseconds"), raw.sampleTypes);
		CPPUNIT_ASSERT_EQUAL(samplesOf("cpu-wall.jfr", jfr::CollectOptions::Event::Wall), static_cast<std::int64_t>(raw.totals.at(0)));
	}

	void testSecondsAboveTheMaximumOrNotANumberIs400()
	{
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN + "maxSeconds = 2\n", "", dir.path()), "test.ini"));
		agent.start();
		std::string address = agent.status().endpointAddress;
		HttpAnswer tooLong = httpGet(address, "/debug/pprof/profile?seconds=3");
		CPPUNIT_ASSERT_EQUAL(400, tooLong.status);
		CPPUNIT_ASSERT(contains(tooLong.contentType, "text/plain"));
		CPPUNIT_ASSERT_MESSAGE(tooLong.body, contains(tooLong.body, "maxSeconds") && contains(tooLong.body, "2"));
		HttpAnswer notANumber = httpGet(address, "/debug/pprof/profile?seconds=abc");
		CPPUNIT_ASSERT_EQUAL(400, notANumber.status);
		CPPUNIT_ASSERT_EQUAL(400, httpGet(address, "/debug/pprof/wall?seconds=0").status);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), agent.status().requestedRotations);
		agent.stop();
	}

	void testConcurrentWindowIs429WhileOneIsOpen()
	{
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path()), "test.ini"));
		agent.start();
		std::string address = agent.status().endpointAddress;
		// Open until the agent stops: the requests below surely meet it.
		auto first = std::async(std::launch::async, [&]() { return httpGet(address, "/debug/pprof/profile?seconds=60"); });
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().requestedRotations == 1; }));
		HttpAnswer second = httpGet(address, "/debug/pprof/profile?seconds=1");
		HttpAnswer wall = httpGet(address, "/debug/pprof/wall?seconds=1");
		CPPUNIT_ASSERT_EQUAL(429, second.status);
		CPPUNIT_ASSERT_EQUAL(429, wall.status);
		CPPUNIT_ASSERT(contains(second.contentType, "text/plain"));
		CPPUNIT_ASSERT(contains(second.body, "another profile window"));
		CPPUNIT_ASSERT(!second.header("Retry-After").empty());
		// Other paths are served meanwhile.
		CPPUNIT_ASSERT_EQUAL(200, httpGet(address, "/status").status);
		AgentStatus status = agent.status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), status.endpointWindowsRefused);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), status.requestedRotations); // the refused ones never rotated
		CPPUNIT_ASSERT(agent.stop());
		first.wait();
		// Then a window is served again (a new run of the agent).
		agent.start();
		HttpAnswer after = httpGet(agent.status().endpointAddress, "/debug/pprof/profile?seconds=1");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(after.body, 200, after.status);
		agent.stop();
	}

	void testMissingOrWrongTokenIs401CountedAndNeverLogged()
	{
		const std::string token = "tok-9f8e7d6c5b4a";
		asprof::test::LogCapture logs("asprof.agent", Poco::Message::PRIO_TRACE);
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN + "token = " + token + "\n", "", dir.path()), "test.ini"));
		agent.start();
		std::string address = agent.status().endpointAddress;
		HttpAnswer missing = httpGet(address, "/status");
		HttpAnswer wrong = httpGet(address, "/debug/pprof/profile?seconds=1", "Bearer tok-9f8e7d6c5b4b");
		HttpAnswer right = httpGet(address, "/status", "Bearer " + token);
		CPPUNIT_ASSERT_EQUAL(401, missing.status);
		CPPUNIT_ASSERT_EQUAL(401, wrong.status);
		CPPUNIT_ASSERT(contains(missing.contentType, "text/plain"));
		CPPUNIT_ASSERT(contains(missing.header("WWW-Authenticate"), "Bearer"));
		CPPUNIT_ASSERT_EQUAL(200, right.status);
		AgentStatus status = agent.status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), status.endpointUnauthorized);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.requestedRotations);
		agent.stop();
		CPPUNIT_ASSERT(!contains(logs.text(), token));
		CPPUNIT_ASSERT(!contains(missing.body + wrong.body + right.body, token));
	}

	void testTokenFileIsReadAtStart()
	{
		TemporaryDirectory dir;
		asprof::test::writeFile(dir.file("token"), "from-a-file\n");
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN + "tokenFile = " + dir.file("token") + "\n", "", dir.path()), "test.ini"));
		agent.start();
		std::string address = agent.status().endpointAddress;
		CPPUNIT_ASSERT_EQUAL(401, httpGet(address, "/status").status);
		CPPUNIT_ASSERT_EQUAL(200, httpGet(address, "/status", "Bearer from-a-file").status);
		agent.stop();
		Agent missing(AgentConfig::fromIni(endpointIni(LISTEN + "tokenFile = " + dir.file("none") + "\n", "", dir.path()), "test.ini"));
		std::string error = asprof::test::errorOf([&]() { missing.start(); });
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "tokenFile") && contains(error, dir.file("none")));
		CPPUNIT_ASSERT(!missing.isRunning());
	}

	void testRemoteListenRefusedWithoutAllowRemote()
	{
		TemporaryDirectory dir;
		std::string error =
			asprof::test::errorOf([&]() { AgentConfig::fromIni(endpointIni("listen = 0.0.0.0:6060", "", dir.path()), "test.ini"); });
		CPPUNIT_ASSERT_MESSAGE(
			error, contains(error, "test.ini") && contains(error, "[endpoint] listen") && contains(error, "allowRemote"));
		error = asprof::test::errorOf([&]() { AgentConfig::fromIni(endpointIni("listen = 10.1.2.3:6060", "", dir.path()), "test.ini"); });
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "allowRemote"));
		error =
			asprof::test::errorOf([&]() { AgentConfig::fromIni(endpointIni("listen = example.com:6060", "", dir.path()), "test.ini"); });
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "not resolved"));
		error = asprof::test::errorOf([&]() { AgentConfig::fromIni(endpointIni("listen = 127.0.0.1", "", dir.path()), "test.ini"); });
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "port"));
		AgentConfig remote = AgentConfig::fromIni(endpointIni("listen = 0.0.0.0:6060\nallowRemote = yes", "", dir.path()), "test.ini");
		CPPUNIT_ASSERT(remote.endpoint.allowRemote);
		AgentConfig loopback = AgentConfig::fromIni(endpointIni("listen = [::1]:6060", "", dir.path()), "test.ini");
		CPPUNIT_ASSERT_EQUAL(std::string("[::1]:6060"), loopback.endpoint.listen);
		CPPUNIT_ASSERT(AgentConfig::defaults().endpoint.listen.empty());
		error =
			asprof::test::errorOf([&]() { AgentConfig::fromIni(endpointIni("token = a\ntokenFile = /x", "", dir.path()), "test.ini"); });
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "not both"));
		error = asprof::test::errorOf([&]() { AgentConfig::fromIni(endpointIni("lisen = 127.0.0.1:1", "", dir.path()), "test.ini"); });
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "lisen"));
	}

	void testHeapIs404WithoutNativeMem()
	{
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path()), "test.ini"));
		agent.start();
		std::string address = agent.status().endpointAddress;
		HttpAnswer heap = httpGet(address, "/debug/pprof/heap");
		CPPUNIT_ASSERT_EQUAL(404, heap.status);
		CPPUNIT_ASSERT(contains(heap.contentType, "text/plain"));
		CPPUNIT_ASSERT_MESSAGE(heap.body, contains(heap.body, "nativeMem"));
		CPPUNIT_ASSERT_EQUAL(404, httpGet(address, "/debug/pprof/allocs").status);
		CPPUNIT_ASSERT_EQUAL(404, httpGet(address, "/debug/pprof/allocs?seconds=1").status);
		CPPUNIT_ASSERT_EQUAL(404, httpGet(address, "/debug/pprof/nothing").status);
		agent.stop();
	}

	// A bad percent escape in the path or the fragment, an absolute target
	// with a broken host, too many query fields: 400 with a reason, never an
	// exception out of the handler (which would terminate the host).
	void testMalformedTargetsAre400AndTheHostLives()
	{
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path()), "test.ini"));
		agent.start();
		std::string address = agent.status().endpointAddress;
		std::string manyFields = "/debug/pprof/profile?seconds=1";
		for (int i = 0; i < 150; ++i) manyFields += "&f" + std::to_string(i) + "=1";
		for (const std::string& target : std::vector<std::string>{
				 "/%zz", "/debug/pprof/%", "/x%1", "/debug/pprof/profile?seconds=1#%zz", "http://evil/%zz", "http://[::1", manyFields})
		{
			std::string answer = rawRequest(address, "GET " + target + " HTTP/1.0\r\n\r\n");
			CPPUNIT_ASSERT_MESSAGE(target + " -> " + answer, answer.compare(0, 24, "HTTP/1.0 400 Bad Request") == 0);
		}
		HttpAnswer status = httpGet(address, "/status");
		CPPUNIT_ASSERT_EQUAL(200, status.status);
		CPPUNIT_ASSERT_MESSAGE(rawRequest(address, "GET /nothing HTTP/1.0\r\n\r\n"),
			rawRequest(address, "GET /nothing HTTP/1.0\r\n\r\n").compare(0, 22, "HTTP/1.0 404 Not Found") == 0);
		agent.stop();
	}

	// The listening socket (and each accepted one) is close-on-exec: a
	// program the host execs must not hold the port.
	void testSocketsAreNotInheritedByExec()
	{
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path()), "test.ini"));
		agent.start();
		Poco::Net::SocketAddress address(agent.status().endpointAddress);
		int listening = 0;
		std::vector<std::string> names;
		if (DIR* fds = ::opendir("/proc/self/fd"))
		{
			while (dirent* entry = ::readdir(fds)) names.push_back(entry->d_name);
			::closedir(fds);
		}
		for (const auto& name : names)
		{
			if (name[0] < '0' || name[0] > '9') continue;
			int fd = std::atoi(name.c_str());
			sockaddr_storage bound;
			socklen_t length = sizeof(bound);
			if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) continue;
			if (bound.ss_family != AF_INET || ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port) != address.port()) continue;
			++listening;
			CPPUNIT_ASSERT_MESSAGE("fd " + name + " is inherited by exec", (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
		}
		CPPUNIT_ASSERT_EQUAL(1, listening);
		agent.stop();
	}

	// Every recording of a window holds a descriptor until the answer: at
	// most RecordingTap's 64, else 503 with the reason (not the host's last
	// descriptors).
	void testWindowOverMoreRecordingsThanKeptIsRefused()
	{
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path(), "100ms"), "test.ini"));
		agent.start();
		HttpAnswer window = httpGet(agent.status().endpointAddress, "/debug/pprof/profile?seconds=8");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(window.body, 503, window.status);
		CPPUNIT_ASSERT_MESSAGE(window.body, contains(window.body, "more than 64 recordings"));
		agent.stop();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), agent.status().recordingsLost);
	}

	void testHeapServedFromNativeMemRecordings()
	{
		std::string pprof = skipWithoutPprof("testHeapServedFromNativeMemRecordings");
		TemporaryDirectory dir;
		FakeProfilerSetting jfr("ASPROF_FAKE_JFR", asprof::test::dataFile("nativemem.jfr"));
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "nativeMem = 512k", dir.path()), "test.ini"));
		agent.start();
		std::string address = agent.status().endpointAddress;
		// The window's two rotations finish two native-memory recordings.
		CPPUNIT_ASSERT_EQUAL(200, httpGet(address, "/debug/pprof/allocs?seconds=1").status);
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().heapRecordings == 2; }));
		HttpAnswer heap = httpGet(address, "/debug/pprof/heap");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(heap.body, 200, heap.status);
		AgentStatus status = agent.status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.heapFailed);
		CPPUNIT_ASSERT(status.heapLiveAllocations > 0);
		agent.stop();
		// The same two recordings through a LiveHeap of our own.
		jfr::LiveHeap expected;
		for (int i = 0; i < 2; ++i) expected.add(jfr::Input::open(asprof::test::dataFile("nativemem.jfr")));
		CPPUNIT_ASSERT_EQUAL(expected.stats().liveAllocations, status.heapLiveAllocations);
		CPPUNIT_ASSERT_EQUAL(expected.stats().liveBytes, status.heapLiveBytes);
		if (pprof.empty()) return;
		std::ostringstream expectedProfile;
		expected.writePprof(expectedProfile);
		asprof::test::PprofRaw got = asprof::test::pprofRaw(pprof, heap.body);
		asprof::test::PprofRaw want = asprof::test::pprofRaw(pprof, expectedProfile.str());
		CPPUNIT_ASSERT_EQUAL(
			std::string("alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes[dflt]"), got.sampleTypes);
		CPPUNIT_ASSERT(want.totals == got.totals);
		CPPUNIT_ASSERT(got.totals.at(3) > 0);
		CPPUNIT_ASSERT_EQUAL(static_cast<long double>(status.heapLiveBytes), got.totals.at(3));
	}

	void testUnreadableRecordingIsCountedLoggedOnceAndDeliveryGoesOn()
	{
		asprof::test::LogCapture logs("asprof.agent", Poco::Message::PRIO_ERROR);
		TemporaryDirectory dir;
		// Whole chunks by their headers (so delivered), but a metadata event
		// no reader can parse.
		std::string broken = asprof::test::readFile(asprof::test::dataFile("nativemem.jfr"));
		std::size_t metadata = 0;
		for (std::size_t i = 24; i < 32; ++i) metadata = (metadata << 8) | static_cast<unsigned char>(broken[i]);
		CPPUNIT_ASSERT(metadata + 64 < broken.size());
		std::fill(
			broken.begin() + static_cast<std::ptrdiff_t>(metadata), broken.begin() + static_cast<std::ptrdiff_t>(metadata + 64), '\xff');
		TemporaryDirectory scratch;
		asprof::test::writeFile(scratch.file("broken.jfr"), broken);
		FakeProfilerSetting jfr("ASPROF_FAKE_JFR", scratch.file("broken.jfr"));
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "nativeMem = 512k", dir.path(), "100ms"), "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().heapFailed >= 3; }));
		CPPUNIT_ASSERT(agent.stop());
		AgentStatus status = agent.status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.heapRecordings);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs.count("live heap: cannot read"));
		// Delivery did not notice: every recording reached the reporter.
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(status.recordings), deliveredSeqs(dir.path()).size());
		CPPUNIT_ASSERT_EQUAL(status.recordings, status.heapFailed + status.heapDropped);
	}

	void testHeapCapEvictsAndLogsOnce()
	{
		jfr::LiveHeap uncapped;
		uncapped.add(jfr::Input::open(asprof::test::dataFile("nativemem.jfr")));
		std::uint64_t cap = uncapped.stats().liveAllocations / 2;
		CPPUNIT_ASSERT_MESSAGE("nativemem.jfr must hold live allocations for this test", cap > 0);
		asprof::test::LogCapture logs("asprof.agent", Poco::Message::PRIO_WARNING);
		TemporaryDirectory dir;
		FakeProfilerSetting jfr("ASPROF_FAKE_JFR", asprof::test::dataFile("nativemem.jfr"));
		Agent agent(AgentConfig::fromIni(
			endpointIni(LISTEN + "heapMaxAllocations = " + std::to_string(cap) + "\n", "nativeMem = 512k", dir.path(), "100ms"),
			"test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().heapRecordings >= 3; }));
		AgentStatus status = agent.status();
		CPPUNIT_ASSERT(status.heapLiveAllocations <= cap);
		CPPUNIT_ASSERT(status.heapEvicted > 0);
		agent.stop();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs.count("heapMaxAllocations"));
	}

	void testStatusIsJsonAndIndexListsTheProfiles()
	{
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path()), "test.ini"));
		agent.start();
		std::string address = agent.status().endpointAddress;
		HttpAnswer status = httpGet(address, "/status");
		CPPUNIT_ASSERT_EQUAL(200, status.status);
		CPPUNIT_ASSERT_EQUAL(std::string("application/json"), status.contentType);
		Poco::JSON::Object::Ptr json = Poco::JSON::Parser().parse(status.body).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT(json->getValue<bool>("running"));
		CPPUNIT_ASSERT_EQUAL(address, json->getObject("endpoint")->getValue<std::string>("address"));
		CPPUNIT_ASSERT_EQUAL(1u, json->getObject("endpoint")->getValue<unsigned>("requests"));
		CPPUNIT_ASSERT_EQUAL(std::string("main"), json->getArray("lanes")->getObject(0)->getValue<std::string>("name"));
		HttpAnswer index = httpGet(address, "/debug/pprof/");
		CPPUNIT_ASSERT_EQUAL(200, index.status);
		CPPUNIT_ASSERT(contains(index.contentType, "text/html"));
		CPPUNIT_ASSERT(contains(index.body, "profile?seconds=") && contains(index.body, "heap") && contains(index.body, "allocs"));
		agent.stop();
	}

	void testStopCutsAnOpenWindowShort()
	{
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path()), "test.ini"));
		agent.start();
		std::string address = agent.status().endpointAddress;
		auto window = std::async(std::launch::async, [&]() { return httpGet(address, "/debug/pprof/profile?seconds=50"); });
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().requestedRotations == 1; }));
		CPPUNIT_ASSERT(agent.stop());
		CPPUNIT_ASSERT(window.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
		HttpAnswer answer;
		try
		{
			answer = window.get();
		}
		catch (Poco::Exception&)
		{
			answer.status = -1; // the connection was aborted: also cut short
		}
		CPPUNIT_ASSERT(answer.status == 503 || answer.status == -1);
		// Every recording, the window's included, was delivered.
		CPPUNIT_ASSERT((deliveredSeqs(dir.path()) == std::set<std::uint64_t>{1, 2}));
	}

	void testBusyPortFailsTheStartNamingTheAddress()
	{
		TemporaryDirectory dir;
		Agent first(AgentConfig::fromIni(endpointIni(LISTEN, "", dir.path()), "test.ini"));
		first.start();
		std::string address = first.status().endpointAddress;
		first.stop();
		// A plain socket holds the port now.
		Poco::Net::ServerSocket holder;
		holder.bind(Poco::Net::SocketAddress(address), true, false);
		holder.listen(1);
		Agent second(AgentConfig::fromIni(endpointIni("listen = " + address, "", dir.path()), "test.ini"));
		std::string error = asprof::test::errorOf([&]() { second.start(); });
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "[endpoint] listen = " + address));
		CPPUNIT_ASSERT(!second.isRunning());
	}

	void testShippedAgentIniDocumentsTheEndpointOff()
	{
		AgentConfig shipped = AgentConfig::load(ASPROF_TEST_DATA_DIR "/../../etc/agent.ini");
		AgentConfig defaults = AgentConfig::defaults();
		CPPUNIT_ASSERT(shipped.endpoint.listen.empty());
		CPPUNIT_ASSERT_EQUAL(defaults.endpoint.maxSeconds, shipped.endpoint.maxSeconds);
		CPPUNIT_ASSERT_EQUAL(defaults.endpoint.threads, shipped.endpoint.threads);
		CPPUNIT_ASSERT_EQUAL(defaults.endpoint.requestTimeout.totalMilliseconds(), shipped.endpoint.requestTimeout.totalMilliseconds());
		CPPUNIT_ASSERT_EQUAL(defaults.endpoint.heapMaxAllocations, shipped.endpoint.heapMaxAllocations);
		CPPUNIT_ASSERT_EQUAL(std::size_t(jfr::LiveHeap::DEFAULT_MAX_ALLOCATIONS), defaults.endpoint.heapMaxAllocations);
		CPPUNIT_ASSERT(!shipped.endpoint.allowRemote);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(EndpointTest);
