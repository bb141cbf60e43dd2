//
// HttpReporterResultTest.cpp
//
// What the server's answers become: Retry with Retry-After (seconds and HTTP
// dates), Fail with the status and the start of the body; through a delivery
// lane a 413 is sent exactly once and a 503 is retried until delivered; and an
// agent with the fake profiler feeding a loopback server that plays Pyroscope.
//

#include "DeliveryLane.h"
#include "HttpReporterTestSupport.h"
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/DateTimeFormat.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/Net/ServerSocket.h"
#include <atomic>

using asprof::agent::DeliveryLane;
using asprof::agent::LaneSettings;
using asprof::sdk::ReportResult;
using asprof::test::answer;
using asprof::test::DirectTestFixture;
using asprof::test::LoopbackServer;
using asprof::test::makeProfile;
using asprof::test::queryParameter;
using asprof::test::startHttpReporter;
using asprof::test::waitUntil;
using Status = ReportResult::Status;

namespace {

ReportResult reportTo(LoopbackServer& server)
{
	return startHttpReporter({{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}})
		->report(makeProfile("cpu-wall.jfr"));
}

std::unique_ptr<DeliveryLane> startLane(LoopbackServer& server)
{
	LaneSettings settings;
	settings.retryInitialBackoff = Poco::Timespan(5 * Poco::Timespan::MILLISECONDS);
	settings.retryMaxBackoff = Poco::Timespan(20 * Poco::Timespan::MILLISECONDS);
	auto lane = std::make_unique<DeliveryLane>(
		"http", startHttpReporter({{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}}), settings, nullptr);
	lane->start();
	return lane;
}

} // namespace

class HttpReporterResultTest: public DirectTestFixture
{
	CPPUNIT_TEST_SUITE(HttpReporterResultTest);
	CPPUNIT_TEST(testRetryAfterSecondsIsPassedOn);
	CPPUNIT_TEST(testRetryAfterHttpDateIsPassedOn);
	CPPUNIT_TEST(testTransientStatusesAreRetry);
	CPPUNIT_TEST(testPermanentStatusesFailWithTheStatusAndTheFirst200Bytes);
	CPPUNIT_TEST(testConnectionRefusedIsRetry);
	CPPUNIT_TEST(testLaneSendsA413ExactlyOnce);
	CPPUNIT_TEST(testLaneRetriesA503UntilDelivered);
	CPPUNIT_TEST(testAgentFeedsPyroscopeEveryInterval);
	CPPUNIT_TEST_SUITE_END();

public:
	void testRetryAfterSecondsIsPassedOn()
	{
		LoopbackServer server(answer(503, "busy", {{"Retry-After", "7"}}));
		const ReportResult result = reportTo(server);
		CPPUNIT_ASSERT(result.status == Status::Retry);
		CPPUNIT_ASSERT(result.retryAfter && *result.retryAfter == Poco::Timespan(7, 0));
	}

	void testRetryAfterHttpDateIsPassedOn()
	{
		const Poco::Timestamp then = Poco::Timestamp() + Poco::Timespan(120, 0).totalMicroseconds();
		LoopbackServer server(
			answer(429, "slow down", {{"Retry-After", Poco::DateTimeFormatter::format(then, Poco::DateTimeFormat::HTTP_FORMAT)}}));
		const ReportResult result = reportTo(server);
		CPPUNIT_ASSERT(result.status == Status::Retry);
		CPPUNIT_ASSERT(result.retryAfter);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(result.retryAfter->totalSeconds()),
			*result.retryAfter > Poco::Timespan(100, 0) && *result.retryAfter <= Poco::Timespan(121, 0));
	}

	void testTransientStatusesAreRetry()
	{
		for (int status : {408, 429, 500, 502, 503, 504})
		{
			LoopbackServer server(answer(status, "transient"));
			const ReportResult result = reportTo(server);
			CPPUNIT_ASSERT_MESSAGE(result.message, result.status == Status::Retry);
			CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("HTTP " + std::to_string(status)) != std::string::npos);
			CPPUNIT_ASSERT(!result.retryAfter);
		}
	}

	void testPermanentStatusesFailWithTheStatusAndTheFirst200Bytes()
	{
		const std::string body = std::string(200, 'a') + std::string(300, 'b');
		for (int status : {413, 422, 400, 401, 404})
		{
			LoopbackServer server(answer(status, body));
			const ReportResult result = reportTo(server);
			CPPUNIT_ASSERT_MESSAGE(result.message, result.status == Status::Fail);
			const std::string start = "http POST " + server.url("/ingest") + ": HTTP " + std::to_string(status) + " ";
			CPPUNIT_ASSERT_EQUAL_MESSAGE(result.message, std::size_t(0), result.message.find(start));
			CPPUNIT_ASSERT_MESSAGE(result.message, result.message.size() > 200);
			CPPUNIT_ASSERT_EQUAL(": " + std::string(200, 'a'), result.message.substr(result.message.size() - 202));
			CPPUNIT_ASSERT(result.message.find("bb") == std::string::npos);    // not one byte past the 200th
			CPPUNIT_ASSERT(result.message.find("name=") == std::string::npos); // never the query
		}
	}

	void testConnectionRefusedIsRetry()
	{
		Poco::UInt16 port = 0;
		{
			Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
			port = socket.address().port();
		}
		auto reporter =
			startHttpReporter({{"url", "http://127.0.0.1:" + std::to_string(port)}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}});
		const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.status == Status::Retry);
	}

	void testLaneSendsA413ExactlyOnce()
	{
		LoopbackServer server(answer(413, "request body too large"));
		auto lane = startLane(server);
		lane->enqueue(std::make_shared<const asprof::sdk::Profile>(makeProfile("cpu-wall.jfr")));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().failed == 1; }));
		CPPUNIT_ASSERT(lane->stop(Poco::Timespan(5, 0)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), server.requestCount());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), lane->status().retried);
		CPPUNIT_ASSERT_MESSAGE(lane->status().lastError, lane->status().lastError.find("HTTP 413") != std::string::npos);
	}

	void testLaneRetriesA503UntilDelivered()
	{
		auto answered = std::make_shared<std::atomic<int>>(0);
		LoopbackServer server([answered](const LoopbackServer::Request&, LoopbackServer::Response& response) {
			if (answered->fetch_add(1) < 2) response.status = 503;
		});
		auto lane = startLane(server);
		lane->enqueue(std::make_shared<const asprof::sdk::Profile>(makeProfile("cpu-wall.jfr")));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 1; }));
		CPPUNIT_ASSERT(lane->stop(Poco::Timespan(5, 0)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), server.requestCount());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), lane->status().retried);
		auto requests = server.requests();
		CPPUNIT_ASSERT(requests[0].uri == requests[2].uri); // the same profile each time
	}

	void testAgentFeedsPyroscopeEveryInterval()
	{
		LoopbackServer pyroscope;
		asprof::agent::Agent agent(asprof::agent::AgentConfig::fromIni(
			asprof::test::fakeProfilerIni("[profiler]\ncpuInterval = 10ms\n"
										  "[reporter.main]\ntype = http\nlibrary = " ASPROF_BUILD_PLUGIN_DIR "/libasprof-reporter-http.so\n"
										  "url = " +
					pyroscope.url("") +
					"\nformat = pyroscope-jfr\nappName = demo-app\ntenant = team-a\nheaders.X-Team = blue\nretryInitialBackoff = 10ms\n",
				"labels = service=demo, env=ci"),
			"test.ini"));
		agent.start();
		CPPUNIT_ASSERT(waitUntil([&]() { return agent.status().lanes.at(0).delivered >= 3; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(10, 0)));

		const auto lane = agent.status().lanes.at(0);
		auto requests = pyroscope.requests();
		CPPUNIT_ASSERT(requests.size() >= 3);
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(lane.delivered), requests.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), lane.failed + lane.retried);
		const std::time_t now = Poco::Timestamp().epochTime();
		for (const auto& request : requests)
		{
			CPPUNIT_ASSERT_EQUAL(std::string("POST"), request.method);
			CPPUNIT_ASSERT_EQUAL(std::string("/ingest"), request.uri.substr(0, request.uri.find('?')));
			CPPUNIT_ASSERT_EQUAL(std::string("demo-app{service=demo,env=ci,rack=r7,hostname=test-host}"),
				queryParameter(request.uri, "name")); // rack=r7: [metadata.onprem] labels
			const long from = std::stol(queryParameter(request.uri, "from"));
			const long until = std::stol(queryParameter(request.uri, "until"));
			CPPUNIT_ASSERT(from <= until && until <= now && now - from < 60);
			CPPUNIT_ASSERT_EQUAL(std::string("jfr"), queryParameter(request.uri, "format"));
			CPPUNIT_ASSERT_EQUAL(std::string("asprof-agent"), queryParameter(request.uri, "spyName"));
			CPPUNIT_ASSERT_EQUAL(std::string("100"), queryParameter(request.uri, "sampleRate"));
			CPPUNIT_ASSERT_EQUAL(std::string("team-a"), request.header("X-Scope-OrgID"));
			CPPUNIT_ASSERT_EQUAL(std::string("blue"), request.header("X-Team"));
			auto parts = asprof::test::multipartParts(request.header("Content-Type"), request.body);
			CPPUNIT_ASSERT(asprof::test::gunzip(parts.at(0).body) == asprof::test::testJfr());
		}
		CPPUNIT_ASSERT_EQUAL(1, pyroscope.totalConnections()); // kept alive across intervals
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpReporterResultTest);
