//
// HttpReporterAuthTest.cpp
//
// Authentication on the wire: a bearer token, a token file that rotates
// (rewritten in place, replaced by a rename, missing, empty), Basic from keys
// and from the URL's userinfo; secrets never in results or logs.
//

#include "HttpReporterTestSupport.h"
#include "TestSupport.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Base64Encoder.h"
#include "Poco/File.h"
#include "Poco/Message.h"
#include <sstream>
#include <sys/stat.h>

using asprof::sdk::ReportResult;
using asprof::test::DirectTestFixture;
using asprof::test::LogCapture;
using asprof::test::LoopbackServer;
using asprof::test::makeProfile;
using asprof::test::startHttpReporter;
using asprof::test::TemporaryDirectory;
using asprof::test::writeFile;
using Status = ReportResult::Status;

namespace {

std::string basic(const std::string& credentials)
{
	std::ostringstream out;
	Poco::Base64Encoder encoder(out);
	encoder << credentials;
	encoder.close();
	return "Basic " + out.str();
}

// Everything the reporter and the HTTP client log, at every level, while it exists.
struct AllLogs
{
	LogCapture reporter{"asprof.reporter.http", Poco::Message::PRIO_TRACE};
	LogCapture client{"asprof.http", Poco::Message::PRIO_TRACE};
	std::string text() const
	{
		return reporter.text() + client.text();
	}
};

} // namespace

class HttpReporterAuthTest: public DirectTestFixture
{
	CPPUNIT_TEST_SUITE(HttpReporterAuthTest);
	CPPUNIT_TEST(testBearerTokenIsSentAndNeverShown);
	CPPUNIT_TEST(testBearerTokenFileIsReadAgainWhenItChanges);
	CPPUNIT_TEST(testMissingOrEmptyTokenFileIsRetryNamingTheFile);
	CPPUNIT_TEST(testBasicAuthFromKeys);
	CPPUNIT_TEST(testBasicAuthFromUrlUserInfoIsMovedOutOfTheUrl);
	CPPUNIT_TEST(testTokenFileThatIsADeviceOrFifoIsRefusedWithoutReadingIt);
	CPPUNIT_TEST_SUITE_END();

public:
	void testBearerTokenIsSentAndNeverShown()
	{
		AllLogs logs;
		LoopbackServer server(asprof::test::answer(401, "token rejected"));
		auto reporter = startHttpReporter(
			{{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}, {"bearerToken", "glc_s3cr3t-T0ken"}});
		const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Fail);
		CPPUNIT_ASSERT_EQUAL(std::string("Bearer glc_s3cr3t-T0ken"), server.requests().at(0).header("Authorization"));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("HTTP 401") != std::string::npos);
		CPPUNIT_ASSERT(result.message.find("s3cr3t") == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(logs.text(), logs.text().find("s3cr3t") == std::string::npos);
	}

	void testBearerTokenFileIsReadAgainWhenItChanges()
	{
		AllLogs logs;
		TemporaryDirectory dir;
		const std::string tokenFile = dir.file("token");
		writeFile(tokenFile, "token-one\n");
		LoopbackServer server;
		auto reporter = startHttpReporter(
			{{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}, {"bearerTokenFile", tokenFile}});
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr", 1)).isOk());
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr", 2)).isOk());

		writeFile(tokenFile, "token-two\n"); // in place at once: same size, maybe the same mtime tick
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr", 3)).isOk());

		writeFile(tokenFile, "token-three-is-longer\r\n"); // rewritten in place
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr", 4)).isOk());

		writeFile(dir.file("token.new"), "token-4-same-length-4"); // replaced by a rename, as Kubernetes does
		Poco::File(dir.file("token.new")).renameTo(tokenFile);
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr", 5)).isOk());

		const std::vector<std::string> expected = {
			"Bearer token-one", "Bearer token-one", "Bearer token-two", "Bearer token-three-is-longer", "Bearer token-4-same-length-4"};
		auto requests = server.requests();
		CPPUNIT_ASSERT_EQUAL(expected.size(), requests.size());
		for (std::size_t i = 0; i < expected.size(); ++i) CPPUNIT_ASSERT_EQUAL(expected[i], requests[i].header("Authorization"));
		CPPUNIT_ASSERT_MESSAGE(logs.text(), logs.text().find("token-") == std::string::npos);
	}

	void testMissingOrEmptyTokenFileIsRetryNamingTheFile()
	{
		AllLogs logs;
		TemporaryDirectory dir;
		const std::string tokenFile = dir.file("token");
		LoopbackServer server;
		auto reporter = startHttpReporter(
			{{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}, {"bearerTokenFile", tokenFile}});
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), logs.reporter.count("not there yet")); // said once at configure

		ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Retry);
		CPPUNIT_ASSERT_MESSAGE(
			result.message, result.message.find("bearerTokenFile " + tokenFile + " cannot be read (not there yet?)") != std::string::npos);

		writeFile(tokenFile, " \n");
		result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Retry);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("bearerTokenFile " + tokenFile + " is empty") != std::string::npos);

		writeFile(tokenFile, "two\nlines\n");
		result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Retry);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("control characters") != std::string::npos);
		CPPUNIT_ASSERT(result.message.find("lines") == std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount()); // never sent without a token

		writeFile(tokenFile, "finally\n");
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr")).isOk());
		CPPUNIT_ASSERT_EQUAL(std::string("Bearer finally"), server.requests().at(0).header("Authorization"));

		Poco::File(tokenFile).remove(); // removed again: the old token is not used
		result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Retry);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), server.requestCount());
	}

	void testBasicAuthFromKeys()
	{
		LoopbackServer server(asprof::test::answer(403, "nope"));
		auto reporter = startHttpReporter({{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"},
			{"basicAuthUser", "123456"}, {"basicAuthPassword", "glc_p@ss:word"}});
		const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Fail);
		CPPUNIT_ASSERT_EQUAL(basic("123456:glc_p@ss:word"), server.requests().at(0).header("Authorization"));
		CPPUNIT_ASSERT(result.message.find("glc_p@ss") == std::string::npos);
	}

	void testBasicAuthFromUrlUserInfoIsMovedOutOfTheUrl()
	{
		AllLogs logs;
		LoopbackServer server(asprof::test::answer(500, "down"));
		const std::string url = "http://bob:s%40cret%3Aword@" + LoopbackServer::hostAndPort(server.url()) + "/pyro";
		auto reporter = startHttpReporter({{"url", url}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}});
		const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Retry);
		const LoopbackServer::Request request = server.requests().at(0);
		CPPUNIT_ASSERT_EQUAL(basic("bob:s@cret:word"), request.header("Authorization"));
		CPPUNIT_ASSERT_EQUAL(LoopbackServer::hostAndPort(server.url()), request.header("Host"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), request.uri.find("/pyro/ingest?"));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.message, std::size_t(0),
			result.message.find("http POST " + server.url("/pyro/ingest") + ": HTTP 500 Internal Server Error: down"));
		for (const std::string& text : {result.message, logs.text()})
		{
			CPPUNIT_ASSERT_MESSAGE(text, text.find("cret") == std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(text, text.find("bob") == std::string::npos);
		}
	}

	void testTokenFileThatIsADeviceOrFifoIsRefusedWithoutReadingIt()
	{
		// /dev/zero says size 0 and never ends; a FIFO blocks open() until a writer comes.
		TemporaryDirectory dir;
		const std::string fifo = dir.file("token.fifo");
		CPPUNIT_ASSERT_EQUAL(0, ::mkfifo(fifo.c_str(), 0600));
		LoopbackServer server;
		for (const std::string& tokenFile : {std::string("/dev/zero"), fifo})
		{
			auto reporter = startHttpReporter(
				{{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}, {"bearerTokenFile", tokenFile}});
			const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
			CPPUNIT_ASSERT(result.status != Status::Ok);
			CPPUNIT_ASSERT_MESSAGE(
				result.message, result.message.find("bearerTokenFile " + tokenFile + " is not a regular file") != std::string::npos);
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpReporterAuthTest);
