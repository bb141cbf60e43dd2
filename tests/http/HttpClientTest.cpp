//
// HttpClientTest.cpp
//
// The shared HTTP client over plain HTTP: bytes on the wire, keep-alive and
// reconnection, timeouts and refused connections, and how responses and
// transport errors become ReportResults.
//

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "asprof/plugins/ErrorClassification.h"
#include "asprof/plugins/HttpClient.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/DateTimeFormat.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/Message.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/Net/SocketAddress.h"
#include <atomic>

using asprof::plugins::classifyException;
using asprof::plugins::classifyResponse;
using asprof::plugins::HttpClient;
using asprof::plugins::HttpOptions;
using asprof::plugins::HttpRequest;
using asprof::plugins::HttpResponse;
using asprof::plugins::parseRetryAfter;
using asprof::sdk::ReportResult;
using asprof::test::BackgroundCall;
using asprof::test::DirectTestFixture;
using asprof::test::HostileServer;
using asprof::test::LoopbackServer;
using asprof::test::SignalStorm;
using asprof::test::waitUntil;

namespace {

HttpRequest makeRequest(const std::string& method, const std::string& url, const std::string& body = "")
{
	HttpRequest request;
	request.method = method;
	request.uri = Poco::URI(url);
	request.body = body;
	return request;
}

HttpResponse makeResponse(int status, const std::string& reason, const std::string& body = "", const std::string& retryAfter = "")
{
	HttpResponse response;
	response.status = status;
	response.reason = reason;
	response.body = body;
	if (!retryAfter.empty()) response.headers.emplace_back("Retry-After", retryAfter);
	return response;
}

// A port nothing listens on: bound once by us, then released.
Poco::UInt16 closedPort()
{
	Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
	const Poco::UInt16 port = socket.address().port();
	socket.close();
	return port;
}

// Sends one GET to a hostile server from a thread of its own that a signal interrupts
// every 150 ms, and says how it ended; a call still running after 10 s fails the test
// (the server goes first, which ends the call, so the thread can be joined).
void assertCutAtDeadline(const HostileServer::Options& hostile, const Poco::Timespan& timeout)
{
	HttpOptions options;
	options.timeout = timeout;
	HttpClient client(options);
	std::unique_ptr<BackgroundCall> call; // destroyed (joined) after the server
	auto server = std::make_unique<HostileServer>(hostile);
	const std::string url = server->url("/never");
	call = std::make_unique<BackgroundCall>([&] { client.send(makeRequest("GET", url)); });
	bool finished = false;
	int signals = 0;
	{
		SignalStorm storm(call->thread(), Poco::Timespan(0, 150000));
		finished = call->finishedWithin(Poco::Timespan(10, 0));
		signals = storm.signalsSent();
	}
	server.reset();
	CPPUNIT_ASSERT(signals > 0);
	CPPUNIT_ASSERT(call->finishedWithin(Poco::Timespan(20, 0)));
	CPPUNIT_ASSERT_MESSAGE("still waiting 10 s after a " + std::to_string(timeout.totalMilliseconds()) + " ms timeout", finished);
	CPPUNIT_ASSERT_MESSAGE(call->error(), call->timedOut());
	CPPUNIT_ASSERT_MESSAGE(
		std::to_string(call->elapsed().totalMilliseconds()) + " ms", call->elapsed() < timeout + Poco::Timespan(0, 700000));
}

} // namespace

class HttpClientTest: public DirectTestFixture
{
	CPPUNIT_TEST_SUITE(HttpClientTest);
	CPPUNIT_TEST(testRoundTripPutsMethodHeadersAndBodyOnTheWire);
	CPPUNIT_TEST(testContentLengthOnlyForMethodsWithABody);
	CPPUNIT_TEST(testTwoRequestsShareOneKeptAliveConnection);
	CPPUNIT_TEST(testReconnectsOnceAfterTheServerClosedAnIdleConnection);
	CPPUNIT_TEST(testTimeoutThrowsRetryAndIsNeverResent);
	CPPUNIT_TEST(testConnectionRefusedIsRetry);
	CPPUNIT_TEST(testUnsupportedSchemeIsFail);
	CPPUNIT_TEST(testSuccessStatusesAreOk);
	CPPUNIT_TEST(testTransientStatusesAreRetryWithRetryAfter);
	CPPUNIT_TEST(testPermanentStatusesAreFailWithTheFirst200BytesOfTheBody);
	CPPUNIT_TEST(testParseRetryAfterSecondsAndHttpDates);
	CPPUNIT_TEST(testTimeoutIsADeadlineThatSignalsDoNotRestart);
	CPPUNIT_TEST(testDrippedAnswerIsCutAtTheTotalDeadline);
	CPPUNIT_TEST(testChunkedFloodStopsAtTheBodyCap);
	CPPUNIT_TEST(testBodyOverTheCapFailsWithoutBeingDelivered);
	CPPUNIT_TEST(testBodyAtTheCapIsAccepted);
	CPPUNIT_TEST(testControlCharactersInHeaderValuesAreRefused);
	CPPUNIT_TEST(testStreamedBodyArrivesWholeAndIsWrittenAgainOnAReconnect);
	CPPUNIT_TEST(testStreamedBodyOfTheWrongLengthIsNeverDelivered);
	CPPUNIT_TEST_SUITE_END();

public:
	void testRoundTripPutsMethodHeadersAndBodyOnTheWire()
	{
		LoopbackServer server([](const LoopbackServer::Request&, LoopbackServer::Response& response) {
			response.status = 201;
			response.headers.emplace_back("X-Answer", "42");
			response.body = "created";
		});
		HttpClient client{HttpOptions()};
		const std::string body("zip\0bytes\xff\n", 11);
		HttpRequest request = makeRequest("PUT", server.url("/upload/a%20b?part=1&x=y"), body);
		request.headers = {{"Content-Type", "application/zip"}, {"X-Custom", "one"}, {"X-Custom", "two"}};

		const HttpResponse response = client.send(request);

		CPPUNIT_ASSERT_EQUAL(201, response.status);
		CPPUNIT_ASSERT_EQUAL(std::string("Created"), response.reason);
		CPPUNIT_ASSERT_EQUAL(std::string("42"), response.header("x-answer"));
		CPPUNIT_ASSERT_EQUAL(std::string("created"), response.body);
		const auto requests = server.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), requests.size());
		const LoopbackServer::Request& wire = requests[0];
		CPPUNIT_ASSERT_EQUAL(std::string("PUT"), wire.method);
		CPPUNIT_ASSERT_EQUAL(std::string("/upload/a%20b?part=1&x=y"), wire.uri);
		CPPUNIT_ASSERT_EQUAL(std::string("HTTP/1.1"), wire.version);
		CPPUNIT_ASSERT_EQUAL(body, wire.body);
		CPPUNIT_ASSERT_EQUAL(std::string("application/zip"), wire.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string("11"), wire.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL("127.0.0.1:" + std::to_string(server.port()), wire.header("Host"));
		std::vector<std::string> custom;
		for (const auto& field : wire.headers)
			if (field.first == "X-Custom") custom.push_back(field.second);
		CPPUNIT_ASSERT(custom == std::vector<std::string>({"one", "two"}));
	}

	void testContentLengthOnlyForMethodsWithABody()
	{
		LoopbackServer server;
		HttpClient client{HttpOptions()};
		client.send(makeRequest("GET", server.url("/status")));
		client.send(makeRequest("PUT", server.url("/empty")));
		HttpRequest withHost = makeRequest("GET", server.url("/"));
		withHost.headers.emplace_back("Host", "bucket.example:1234");
		client.send(withHost);

		const auto requests = server.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), requests.size());
		CPPUNIT_ASSERT_EQUAL(std::string(), requests[0].header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(std::string("0"), requests[1].header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(std::string("bucket.example:1234"), requests[2].header("Host"));
	}

	void testTwoRequestsShareOneKeptAliveConnection()
	{
		LoopbackServer server;
		HttpClient client{HttpOptions()};
		CPPUNIT_ASSERT_EQUAL(200, client.send(makeRequest("PUT", server.url("/one"), "1")).status);
		CPPUNIT_ASSERT_EQUAL(200, client.send(makeRequest("PUT", server.url("/two"), "2")).status);

		const auto requests = server.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), requests.size());
		CPPUNIT_ASSERT_EQUAL(requests[0].clientAddress, requests[1].clientAddress);
		CPPUNIT_ASSERT_EQUAL(1, server.totalConnections());
	}

	void testReconnectsOnceAfterTheServerClosedAnIdleConnection()
	{
		LoopbackServer::Options options;
		options.keepAliveTimeout = Poco::Timespan(0, 100000);
		LoopbackServer server(LoopbackServer::Handler(), options);
		HttpClient client{HttpOptions()};
		CPPUNIT_ASSERT_EQUAL(200, client.send(makeRequest("PUT", server.url("/one"), "1")).status);
		CPPUNIT_ASSERT(waitUntil([&] { return server.currentConnections() == 0; }));

		asprof::test::LogCapture log("asprof.http", Poco::Message::PRIO_DEBUG);
		CPPUNIT_ASSERT_EQUAL(200, client.send(makeRequest("PUT", server.url("/two"), "2")).status);

		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("reconnecting"));
		const auto requests = server.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), requests.size());
		CPPUNIT_ASSERT_EQUAL(std::string("2"), requests[1].body);
		CPPUNIT_ASSERT(requests[0].clientAddress != requests[1].clientAddress);
		CPPUNIT_ASSERT_EQUAL(2, server.totalConnections());
	}

	void testTimeoutThrowsRetryAndIsNeverResent()
	{
		std::atomic<bool> released(false);
		LoopbackServer server([&](const LoopbackServer::Request& request, LoopbackServer::Response&) {
			if (request.uri == "/slow") waitUntil([&] { return released.load(); }, Poco::Timespan(30, 0));
		});
		HttpOptions options;
		options.timeout = Poco::Timespan(0, 300000);
		HttpClient client(options);
		HttpRequest request = makeRequest("PUT", server.url("/slow"), "profile");
		request.headers.emplace_back("Authorization", "SECRET-TOKEN");

		std::string text;
		try
		{
			client.send(request);
			CPPUNIT_FAIL("a request the server never answers must time out");
		}
		catch (const Poco::TimeoutException& error)
		{
			const ReportResult result = classifyException(error, "upload");
			CPPUNIT_ASSERT(result.status == ReportResult::Status::Retry);
			text = result.message;
		}
		released = true;
		CPPUNIT_ASSERT_EQUAL(0u, static_cast<unsigned>(text.rfind("upload: ", 0)));
		CPPUNIT_ASSERT(text.find("SECRET") == std::string::npos && text.find("profile") == std::string::npos);

		// The same client goes on with a fresh connection; the timed-out request came once.
		CPPUNIT_ASSERT_EQUAL(200, client.send(makeRequest("GET", server.url("/fast"))).status);
		const auto requests = server.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), requests.size());
		CPPUNIT_ASSERT_EQUAL(std::string("/fast"), requests[1].uri);
	}

	void testConnectionRefusedIsRetry()
	{
		HttpClient client{HttpOptions()};
		HttpRequest request = makeRequest("PUT", "http://127.0.0.1:" + std::to_string(closedPort()) + "/x", "body");
		request.headers.emplace_back("Authorization", "SECRET-TOKEN");
		try
		{
			client.send(request);
			CPPUNIT_FAIL("nothing listens there");
		}
		catch (const Poco::Net::ConnectionRefusedException& error)
		{
			const ReportResult result = classifyException(error, "upload");
			CPPUNIT_ASSERT(result.status == ReportResult::Status::Retry);
			CPPUNIT_ASSERT(result.message.find("SECRET") == std::string::npos);
		}
	}

	void testUnsupportedSchemeIsFail()
	{
		HttpClient client{HttpOptions()};
		try
		{
			client.send(makeRequest("GET", "ftp://127.0.0.1/x"));
			CPPUNIT_FAIL("ftp is not HTTP");
		}
		catch (const Poco::InvalidArgumentException& error)
		{
			CPPUNIT_ASSERT(classifyException(error, "upload").status == ReportResult::Status::Fail);
		}
	}

	void testSuccessStatusesAreOk()
	{
		CPPUNIT_ASSERT(classifyResponse(makeResponse(200, "OK", "fine"), "put").isOk());
		CPPUNIT_ASSERT(classifyResponse(makeResponse(204, "No Content"), "put").isOk());
		CPPUNIT_ASSERT(classifyResponse(makeResponse(200, "OK"), "put").message.empty());
	}

	void testTransientStatusesAreRetryWithRetryAfter()
	{
		for (int status : {408, 429, 500, 503})
		{
			const ReportResult result = classifyResponse(makeResponse(status, "Busy", "later", "120"), "put");
			CPPUNIT_ASSERT(result.status == ReportResult::Status::Retry);
			CPPUNIT_ASSERT_EQUAL("put: HTTP " + std::to_string(status) + " Busy: later", result.message);
			CPPUNIT_ASSERT(result.retryAfter == Poco::Timespan(120, 0));
		}
		Poco::Timestamp inAnHour;
		inAnHour += Poco::Timespan(3600, 0);
		const std::string date = Poco::DateTimeFormatter::format(inAnHour, Poco::DateTimeFormat::HTTP_FORMAT);
		const ReportResult dated = classifyResponse(makeResponse(503, "Slow Down", "", date), "put");
		CPPUNIT_ASSERT(dated.status == ReportResult::Status::Retry && dated.retryAfter);
		CPPUNIT_ASSERT(dated.retryAfter->totalSeconds() > 3500 && dated.retryAfter->totalSeconds() <= 3600);
		CPPUNIT_ASSERT(!classifyResponse(makeResponse(500, "Internal Server Error"), "put").retryAfter);
		CPPUNIT_ASSERT_EQUAL(std::string("put: HTTP 500 Internal Server Error"),
			classifyResponse(makeResponse(500, "Internal Server Error"), "put").message);
	}

	void testPermanentStatusesAreFailWithTheFirst200BytesOfTheBody()
	{
		const std::string body = std::string(200, 'a') + std::string(100, 'b');
		for (int status : {400, 403, 404, 413, 422, 301})
		{
			const ReportResult result = classifyResponse(makeResponse(status, "Nope", body, "10"), "put");
			CPPUNIT_ASSERT(result.status == ReportResult::Status::Fail);
			CPPUNIT_ASSERT_EQUAL("put: HTTP " + std::to_string(status) + " Nope: " + std::string(200, 'a'), result.message);
			CPPUNIT_ASSERT(!result.retryAfter);
		}
		const ReportResult xml = classifyResponse(makeResponse(403, "Forbidden", "<Error>\n<Code>AccessDenied</Code>\r\n</Error>"), "put");
		CPPUNIT_ASSERT_EQUAL(std::string("put: HTTP 403 Forbidden: <Error> <Code>AccessDenied</Code>  </Error>"), xml.message);
	}

	void testParseRetryAfterSecondsAndHttpDates()
	{
		const Poco::Timestamp now = Poco::DateTime(2015, 10, 21, 7, 27, 30).timestamp();
		CPPUNIT_ASSERT(parseRetryAfter("120", now) == Poco::Timespan(120, 0));
		CPPUNIT_ASSERT(parseRetryAfter(" 0 ", now) == Poco::Timespan(0, 0));
		CPPUNIT_ASSERT(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now) == Poco::Timespan(30, 0));
		CPPUNIT_ASSERT(parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now) == Poco::Timespan(0, 0));
		CPPUNIT_ASSERT(!parseRetryAfter("", now));
		CPPUNIT_ASSERT(!parseRetryAfter("-5", now));
		CPPUNIT_ASSERT(!parseRetryAfter("1.5", now));
		CPPUNIT_ASSERT(!parseRetryAfter("soon", now));
		CPPUNIT_ASSERT(!parseRetryAfter("99999999999999999999999", now));
	}

	void testTimeoutIsADeadlineThatSignalsDoNotRestart()
	{
		// Accepts and never answers; SIGUSR1 (no SA_RESTART) every 150 ms, as wall-clock
		// sampling does: a receive restarted with the full timeout would never end.
		HostileServer::Options hang;
		hang.behaviour = HostileServer::Behaviour::Hang;
		assertCutAtDeadline(hang, Poco::Timespan(1, 0));
	}

	void testDrippedAnswerIsCutAtTheTotalDeadline()
	{
		// One byte every 100 ms: each read gets its byte long before a per-read timeout.
		HostileServer::Options drip;
		drip.behaviour = HostileServer::Behaviour::Drip;
		drip.answer = "HTTP/1.1 200 OK\r\n";
		drip.dripInterval = Poco::Timespan(0, 100000);
		assertCutAtDeadline(drip, Poco::Timespan(1, 0));
	}

	void testChunkedFloodStopsAtTheBodyCap()
	{
		HostileServer::Options flood;
		flood.behaviour = HostileServer::Behaviour::Flood;
		flood.answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
		HttpOptions options;
		options.timeout = Poco::Timespan(30, 0);
		HttpClient client(options);
		std::unique_ptr<BackgroundCall> call; // destroyed (joined) after the server
		auto server = std::make_unique<HostileServer>(flood);
		const std::string url = server->url("/flood");
		call = std::make_unique<BackgroundCall>([&] { client.send(makeRequest("GET", url)); });
		const bool finished = call->finishedWithin(Poco::Timespan(10, 0));
		const Poco::UInt64 sent = server->bytesSent();
		server.reset();
		CPPUNIT_ASSERT(call->finishedWithin(Poco::Timespan(20, 0)));
		CPPUNIT_ASSERT_MESSAGE("an endless chunked body is still being read", finished);
		CPPUNIT_ASSERT_MESSAGE(call->error(), call->error().find("body larger than 65536 bytes") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(sent), sent < 16u * 1024 * 1024); // stopped, not read whole
	}

	void testBodyOverTheCapFailsWithoutBeingDelivered()
	{
		LoopbackServer server(
			[](const LoopbackServer::Request&, LoopbackServer::Response& response) { response.body = std::string(1000, 'b'); });
		HttpOptions options;
		options.maxBodyBytes = 999;
		HttpClient client(options);
		try
		{
			client.send(makeRequest("GET", server.url("/big")));
			CPPUNIT_FAIL("a body over the cap must not be returned");
		}
		catch (const Poco::Net::MessageException& error)
		{
			CPPUNIT_ASSERT_MESSAGE(error.displayText(), error.displayText().find("body larger than 999 bytes") != std::string::npos);
			CPPUNIT_ASSERT(classifyException(error, "get").status == ReportResult::Status::Retry);
		}
	}

	void testBodyAtTheCapIsAccepted()
	{
		LoopbackServer server(
			[](const LoopbackServer::Request&, LoopbackServer::Response& response) { response.body = std::string(1000, 'b'); });
		HttpOptions options;
		options.maxBodyBytes = 1000;
		HttpClient client(options);
		CPPUNIT_ASSERT_EQUAL(std::string(1000, 'b'), client.send(makeRequest("GET", server.url("/exact"))).body);
		CPPUNIT_ASSERT_EQUAL(std::size_t(64 * 1024), HttpOptions().maxBodyBytes);
	}

	void testControlCharactersInHeaderValuesAreRefused()
	{
		LoopbackServer server;
		HttpClient client{HttpOptions()};
		for (const std::string& value : {std::string("tok\r\nX-Injected: yes"), std::string("a\nb"), std::string("a\0b", 3),
				 std::string("a\x01"), std::string("a\x7f"), std::string("a\tb")})
		{
			HttpRequest request = makeRequest("PUT", server.url("/upload"), "x");
			request.headers = {{"X-Amz-Security-Token", value}};
			try
			{
				client.send(request);
				CPPUNIT_FAIL("a header value with a control character must be refused");
			}
			catch (const Poco::InvalidArgumentException& error)
			{
				CPPUNIT_ASSERT_MESSAGE(error.displayText(), error.displayText().find("X-Amz-Security-Token") != std::string::npos);
				CPPUNIT_ASSERT(error.displayText().find("tok") == std::string::npos); // never the value: it may be a secret
				CPPUNIT_ASSERT(classifyException(error, "put").status == ReportResult::Status::Fail);
			}
		}
		HttpRequest badName = makeRequest("GET", server.url("/"));
		badName.headers = {{"X-A\r\nX-B", "v"}};
		CPPUNIT_ASSERT_THROW(client.send(badName), Poco::InvalidArgumentException);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
		HttpRequest fine = makeRequest("GET", server.url("/"));
		fine.headers = {{"X-Fine", "printable \xc3\xa9 UTF-8 and spaces"}};
		CPPUNIT_ASSERT_EQUAL(200, client.send(fine).status);
	}

	// writeBody streams the body with Content-Length = bodyLength; a request resent on a
	// new connection (the server closed the idle one) calls it again.
	void testStreamedBodyArrivesWholeAndIsWrittenAgainOnAReconnect()
	{
		LoopbackServer::Options options;
		options.keepAliveTimeout = Poco::Timespan(0, 100000);
		LoopbackServer server(LoopbackServer::Handler(), options);
		HttpClient client{HttpOptions()};
		std::string body(3 * 1024 * 1024 + 17, '\0');
		for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 7919) >> 5);
		int writes = 0;
		HttpRequest request = makeRequest("PUT", server.url("/streamed"));
		request.bodyLength = body.size();
		request.writeBody = [&](std::ostream& out) {
			++writes;
			for (std::size_t at = 0; at < body.size(); at += 65536)
				out.write(body.data() + at, static_cast<std::streamsize>(std::min<std::size_t>(65536, body.size() - at)));
		};
		CPPUNIT_ASSERT_EQUAL(200, client.send(request).status);
		CPPUNIT_ASSERT(waitUntil([&] { return server.currentConnections() == 0; }));
		CPPUNIT_ASSERT_EQUAL(200, client.send(request).status); // on the closed connection first
		CPPUNIT_ASSERT_EQUAL(3, writes);
		const auto requests = server.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), requests.size());
		for (const auto& received : requests)
		{
			CPPUNIT_ASSERT_EQUAL(std::to_string(body.size()), received.header("Content-Length"));
			CPPUNIT_ASSERT(received.body == body);
		}
	}

	// A writer that gives fewer or more bytes than announced fails the send
	// (permanently: Fail) and the connection is dropped: the server never gets a
	// complete request from it (what reached it is shorter than its Content-Length,
	// which an HTTP server discards).
	void testStreamedBodyOfTheWrongLengthIsNeverDelivered()
	{
		LoopbackServer server;
		HttpClient client{HttpOptions()};
		for (std::uint64_t announced : {std::uint64_t(100), std::uint64_t(10)})
		{
			HttpRequest request = makeRequest("PUT", server.url("/wrong"));
			request.bodyLength = announced;
			request.writeBody = [](std::ostream& out) { out << std::string(50, 'x'); };
			try
			{
				client.send(request);
				CPPUNIT_FAIL("a body of 50 bytes announced as " + std::to_string(announced) + " was sent");
			}
			catch (const Poco::DataFormatException& error)
			{
				const std::string expected = announced > 50 ? "had 50 bytes, not the 100 announced" : "runs past the 10 bytes announced";
				CPPUNIT_ASSERT_MESSAGE(error.displayText(), error.message().find(expected) != std::string::npos);
				CPPUNIT_ASSERT(
					asprof::plugins::classifyException(std::current_exception(), "put").status == asprof::sdk::ReportResult::Status::Fail);
			}
		}
		CPPUNIT_ASSERT_EQUAL(200, client.send(makeRequest("PUT", server.url("/right"), "fine")).status);
		const auto requests = server.requests();
		bool right = false;
		for (const auto& received : requests)
		{
			if (received.uri == "/right") right = received.body == "fine";
			if (received.uri != "/wrong") continue;
			CPPUNIT_ASSERT_MESSAGE(
				received.header("Content-Length"), received.body.size() < std::stoull(received.header("Content-Length")));
		}
		CPPUNIT_ASSERT(right);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpClientTest);
