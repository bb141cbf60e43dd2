//
// HttpReporterTlsTest.cpp
//
// The http reporter over TLS against a loopback HTTPS server whose
// certificates come from a CA made at test time: trust from caFile, refusal
// through the system store, mutual TLS with and without a client certificate;
// and the proxy from the environment.
//

#include "HttpReporterTestSupport.h"
#include "TestSupport.h"
#include "cppunit/extensions/HelperMacros.h"

using asprof::sdk::ReportResult;
using asprof::test::DirectTestFixture;
using asprof::test::LoopbackServer;
using asprof::test::makeProfile;
using asprof::test::startHttpReporter;
using asprof::test::TestCertificates;
using Status = ReportResult::Status;

namespace {

LoopbackServer::Options tls(const LoopbackServer::Tls& settings)
{
	LoopbackServer::Options options;
	options.tls = settings;
	return options;
}

} // namespace

class HttpReporterTlsTest: public DirectTestFixture
{
	CPPUNIT_TEST_SUITE(HttpReporterTlsTest);
	CPPUNIT_TEST(testCaFileTrustsTheServer);
	CPPUNIT_TEST(testSystemStoreRefusesAnUnknownCaAndSendsNothing);
	CPPUNIT_TEST(testMutualTlsWithoutClientCertificateIsRejected);
	CPPUNIT_TEST(testMutualTlsWithClientCertificateIsAccepted);
	CPPUNIT_TEST(testHttpProxyFromTheEnvironmentIsUsed);
	CPPUNIT_TEST_SUITE_END();

public:
	void testCaFileTrustsTheServer()
	{
		const TestCertificates* pki = asprof::test::testCertificates("http-reporter-tests");
		if (!pki) return;
		LoopbackServer server(LoopbackServer::Handler(), tls(pki->serverTls()));
		CPPUNIT_ASSERT_EQUAL(std::string("https://"), server.url().substr(0, 8));
		auto reporter =
			startHttpReporter({{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}, {"caFile", pki->caFile()}});
		const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.isOk());
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr", 2)).isOk());
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), server.requestCount());
		CPPUNIT_ASSERT_EQUAL(1, server.totalConnections()); // one handshake, kept alive
		auto parts = asprof::test::multipartParts(server.requests()[0].header("Content-Type"), server.requests()[0].body);
		CPPUNIT_ASSERT(asprof::test::gunzip(parts.at(0).body) == asprof::test::testJfr());
	}

	void testSystemStoreRefusesAnUnknownCaAndSendsNothing()
	{
		const TestCertificates* pki = asprof::test::testCertificates("http-reporter-tests");
		if (!pki) return;
		LoopbackServer server(LoopbackServer::Handler(), tls(pki->serverTls()));
		auto reporter = startHttpReporter({{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}});
		const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.status == Status::Fail);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("certificate") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), result.message.find("http POST " + server.url("/ingest") + ": "));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
	}

	void testMutualTlsWithoutClientCertificateIsRejected()
	{
		const TestCertificates* pki = asprof::test::testCertificates("http-reporter-tests");
		if (!pki) return;
		LoopbackServer server(LoopbackServer::Handler(), tls(pki->serverTls(true)));
		auto reporter =
			startHttpReporter({{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}, {"caFile", pki->caFile()}});
		const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		// TLS 1.2 shows the server's alert (Fail); TLS 1.3 may only show a reset (Retry).
		CPPUNIT_ASSERT_MESSAGE(result.message, !result.isOk());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
	}

	void testMutualTlsWithClientCertificateIsAccepted()
	{
		const TestCertificates* pki = asprof::test::testCertificates("http-reporter-tests");
		if (!pki) return;
		LoopbackServer server(LoopbackServer::Handler(), tls(pki->serverTls(true)));
		auto reporter = startHttpReporter({{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"},
			{"caFile", pki->caFile()}, {"clientCert", pki->certificateFile("client")}, {"clientKey", pki->keyFile("client")}});
		const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.isOk());
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), server.requestCount());
	}

	void testHttpProxyFromTheEnvironmentIsUsed()
	{
		LoopbackServer proxy; // answers 200 itself: enough to see the request went through it
		asprof::test::ScopedEnv httpProxy("HTTP_PROXY", proxy.url(""));
		asprof::test::ScopedEnv noProxy("NO_PROXY", "elsewhere.example");
		auto reporter = startHttpReporter({{"url", "http://pyroscope.invalid:4040"}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}});
		const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.isOk());
		const LoopbackServer::Request request = proxy.requests().at(0);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), request.uri.find("http://pyroscope.invalid:4040/ingest?name=checkout"));
		CPPUNIT_ASSERT_EQUAL(std::string("pyroscope.invalid:4040"), request.header("Host"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpReporterTlsTest);
