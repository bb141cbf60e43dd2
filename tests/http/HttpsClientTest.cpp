//
// HttpsClientTest.cpp
//
// The shared HTTP client over TLS, against a loopback server whose certificates
// come from a CA made at test time: trust from caFile or the system store, host
// names checked even on loopback, no console prompt, mutual TLS, bad files.
//

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "asprof/plugins/ErrorClassification.h"
#include "asprof/plugins/HttpClient.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Message.h"
#include "Poco/Net/InvalidCertificateHandler.h"
#include "Poco/Net/SSLException.h"
#include "Poco/Net/SSLManager.h"
#include <atomic>
#include <iostream>

using asprof::plugins::classifyException;
using asprof::plugins::HttpClient;
using asprof::plugins::HttpOptions;
using asprof::plugins::HttpRequest;
using asprof::sdk::ReportResult;
using asprof::test::DirectTestFixture;
using asprof::test::LoopbackServer;
using asprof::test::TestCertificates;

namespace {

// One CA for the suite: made once, on first use.
const TestCertificates* certificates()
{
	static std::string why;
	static const bool available = TestCertificates::available(why);
	if (!available)
	{
		std::cout << "\nSKIPPED: http-tests TLS: " << why << std::endl;
		return nullptr;
	}
	static std::unique_ptr<TestCertificates> made;
	if (!made)
	{
		made = std::make_unique<TestCertificates>();
		made->issue("otherhost", "subjectAltName = DNS:other.example\nextendedKeyUsage = serverAuth");
	}
	return made.get();
}

LoopbackServer::Options tlsOptions(const LoopbackServer::Tls& tls)
{
	LoopbackServer::Options options;
	options.tls = tls;
	return options;
}

HttpRequest get(const std::string& url)
{
	HttpRequest request;
	request.uri = Poco::URI(url);
	return request;
}

// Stands for a host application that gave Poco's SSLManager a certificate handler that
// asks the user (ConsoleCertificateHandler): records that it was asked, and says yes.
class AcceptingHandler: public Poco::Net::InvalidCertificateHandler
{
public:
	AcceptingHandler(): InvalidCertificateHandler(false)
	{
	}

	void onInvalidCertificate(const void*, Poco::Net::VerificationErrorArgs& error) override
	{
		++asked;
		error.setIgnoreError(true);
	}

	static std::atomic<int> asked;
};

std::atomic<int> AcceptingHandler::asked(0);

// Installs an AcceptingHandler as the process's client certificate handler while it exists.
class HostCertificateHandler
{
public:
	HostCertificateHandler()
	{
		AcceptingHandler::asked = 0;
		Poco::Net::SSLManager::instance().initializeClient(nullptr, new AcceptingHandler, nullptr);
	}

	~HostCertificateHandler()
	{
		Poco::Net::SSLManager::instance().initializeClient(nullptr, nullptr, nullptr);
	}
};

// The transport failure of send(), classified; fails the test when send() succeeds.
ReportResult failureOf(HttpClient& client, const HttpRequest& request)
{
	try
	{
		client.send(request);
	}
	catch (const Poco::Exception& error)
	{
		return classifyException(error, "upload");
	}
	CPPUNIT_FAIL("the request should have failed");
	return ReportResult();
}

std::string constructorError(const HttpOptions& options)
{
	try
	{
		HttpClient client(options);
	}
	catch (const Poco::InvalidArgumentException& error)
	{
		return error.displayText();
	}
	CPPUNIT_FAIL("the constructor should have thrown");
	return std::string();
}

} // namespace

class HttpsClientTest: public DirectTestFixture
{
	CPPUNIT_TEST_SUITE(HttpsClientTest);
	CPPUNIT_TEST(testTestCaAsCaFileIsTrustedAndConnectionsAreKeptAlive);
	CPPUNIT_TEST(testSystemStoreRejectsTheTestCaWithoutAskingAnyHandler);
	CPPUNIT_TEST(testHostNameMismatchIsRejectedEvenOnLoopback);
	CPPUNIT_TEST(testVerifyTlsOffAcceptsAnyCertificateAndWarns);
	CPPUNIT_TEST(testMutualTlsNeedsTheClientCertificate);
	CPPUNIT_TEST(testCertificateFailuresAreFailOtherTlsErrorsRetry);
	CPPUNIT_TEST(testUnreadableFilesThrowNamingTheFile);
	CPPUNIT_TEST(testPlainHttpSetsUpNoTls);
	CPPUNIT_TEST(testSystemStoreIsLoadedOnceForEveryClient);
	CPPUNIT_TEST(testCaFileIsReadAtConstructionTheSystemStoreNot);
	CPPUNIT_TEST_SUITE_END();

public:
	void testTestCaAsCaFileIsTrustedAndConnectionsAreKeptAlive()
	{
		const TestCertificates* pki = certificates();
		if (!pki) return;
		LoopbackServer server(LoopbackServer::Handler(), tlsOptions(pki->serverTls()));
		HttpOptions options;
		options.caFile = pki->caFile();
		HttpClient client(options);

		CPPUNIT_ASSERT_EQUAL(std::string("ok"), client.send(get(server.url("/one"))).body);
		CPPUNIT_ASSERT_EQUAL(std::string("ok"), client.send(get(server.url("/two"))).body);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), server.requestCount());
		CPPUNIT_ASSERT_EQUAL(1, server.totalConnections());
	}

	void testSystemStoreRejectsTheTestCaWithoutAskingAnyHandler()
	{
		const TestCertificates* pki = certificates();
		if (!pki) return;
		LoopbackServer server(LoopbackServer::Handler(), tlsOptions(pki->serverTls()));
		HostCertificateHandler hostHandler;
		HttpClient client{HttpOptions()};

		const ReportResult result = failureOf(client, get(server.url("/")));

		CPPUNIT_ASSERT(result.status == ReportResult::Status::Fail);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("certificate verify failed") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(0, AcceptingHandler::asked.load());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
	}

	void testHostNameMismatchIsRejectedEvenOnLoopback()
	{
		const TestCertificates* pki = certificates();
		if (!pki) return;
		LoopbackServer server(LoopbackServer::Handler(), tlsOptions({pki->certificateFile("otherhost"), pki->keyFile("otherhost"), ""}));
		HttpOptions options;
		options.caFile = pki->caFile();
		HttpClient client(options);

		const ReportResult result = failureOf(client, get(server.url("/")));

		CPPUNIT_ASSERT(result.status == ReportResult::Status::Fail);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("127.0.0.1") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
	}

	void testVerifyTlsOffAcceptsAnyCertificateAndWarns()
	{
		const TestCertificates* pki = certificates();
		if (!pki) return;
		LoopbackServer server(LoopbackServer::Handler(), tlsOptions({pki->certificateFile("otherhost"), pki->keyFile("otherhost"), ""}));
		asprof::test::LogCapture log("asprof.http", Poco::Message::PRIO_WARNING);
		HttpOptions options;
		options.verifyTls = false;
		HttpClient client(options);

		CPPUNIT_ASSERT_EQUAL(200, client.send(get(server.url("/"))).status);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("verification is OFF"));
	}

	void testMutualTlsNeedsTheClientCertificate()
	{
		const TestCertificates* pki = certificates();
		if (!pki) return;
		LoopbackServer server(LoopbackServer::Handler(), tlsOptions(pki->serverTls(true)));
		HttpOptions options;
		options.caFile = pki->caFile();
		HttpClient anonymous(options);

		// With TLS 1.3 the server refuses after the client's handshake is done: the client
		// sees its alert, or a reset when the alert is lost to the server's closing.
		failureOf(anonymous, get(server.url("/")));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());

		options.clientCertFile = pki->certificateFile("client");
		options.clientKeyFile = pki->keyFile("client");
		HttpClient identified(options);
		CPPUNIT_ASSERT_EQUAL(200, identified.send(get(server.url("/"))).status);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), server.requestCount());
	}

	void testCertificateFailuresAreFailOtherTlsErrorsRetry()
	{
		const auto classify = [](const Poco::Exception& error) { return classifyException(error, "upload").status; };
		CPPUNIT_ASSERT(
			classify(Poco::Net::SSLException("error:0A000086:SSL routines::certificate verify failed")) == ReportResult::Status::Fail);
		CPPUNIT_ASSERT(classify(Poco::Net::SSLException("error:0A00045C:SSL routines::tlsv13 alert certificate required")) ==
			ReportResult::Status::Fail);
		CPPUNIT_ASSERT(
			classify(Poco::Net::SSLException("error:0A000418:SSL routines::tlsv1 alert unknown ca")) == ReportResult::Status::Fail);
		CPPUNIT_ASSERT(
			classify(Poco::Net::CertificateValidationException("Unacceptable certificate from host")) == ReportResult::Status::Fail);
		CPPUNIT_ASSERT(
			classify(Poco::Net::SSLException("error:0A000410:SSL routines::sslv3 alert handshake failure")) == ReportResult::Status::Retry);
		CPPUNIT_ASSERT(classify(Poco::Net::SSLConnectionUnexpectedlyClosedException()) == ReportResult::Status::Retry);
	}

	void testUnreadableFilesThrowNamingTheFile()
	{
		HttpOptions missingCa;
		missingCa.caFile = "/nonexistent/asprof/ca.pem";
		CPPUNIT_ASSERT(constructorError(missingCa).find("caFile /nonexistent/asprof/ca.pem does not exist") != std::string::npos);

		asprof::test::TemporaryDirectory directory;
		asprof::test::writeFile(directory.file("junk.pem"), "not a certificate\n");
		HttpOptions junkCa;
		junkCa.caFile = directory.file("junk.pem");
		CPPUNIT_ASSERT(constructorError(junkCa).find(directory.file("junk.pem")) != std::string::npos);

		const TestCertificates* pki = certificates();
		if (!pki) return;
		HttpOptions certificateOnly;
		certificateOnly.clientCertFile = pki->certificateFile("client");
		CPPUNIT_ASSERT(constructorError(certificateOnly).find("clientCert and clientKey") != std::string::npos);

		HttpOptions mismatched;
		mismatched.clientCertFile = pki->certificateFile("client");
		mismatched.clientKeyFile = pki->keyFile("server");
		const std::string error = constructorError(mismatched);
		CPPUNIT_ASSERT_MESSAGE(error, error.find(pki->keyFile("server")) != std::string::npos);
	}

	void testPlainHttpSetsUpNoTls()
	{
		// Default options (the system store), an http:// endpoint: no context, no CA bundle.
		const std::uint64_t loadsBefore = HttpClient::systemTrustLoads();
		LoopbackServer server{LoopbackServer::Handler()};
		HttpClient client{HttpOptions()};
		CPPUNIT_ASSERT_EQUAL(std::string("ok"), client.send(get(server.url("/"))).body);
		CPPUNIT_ASSERT_EQUAL(std::string("ok"), client.send(get(server.url("/again"))).body);
		CPPUNIT_ASSERT(!client.hasTlsContext());
		CPPUNIT_ASSERT_EQUAL(loadsBefore, HttpClient::systemTrustLoads());
	}

	void testSystemStoreIsLoadedOnceForEveryClient()
	{
		const TestCertificates* pki = certificates();
		if (!pki) return;
		LoopbackServer server(LoopbackServer::Handler(), tlsOptions(pki->serverTls()));
		HttpClient first{HttpOptions()};
		HttpClient second{HttpOptions()};
		CPPUNIT_ASSERT(!first.hasTlsContext() && !second.hasTlsContext());
		// The system store does not know the test CA: both fail, both against the one store.
		CPPUNIT_ASSERT(failureOf(first, get(server.url("/"))).status == ReportResult::Status::Fail);
		CPPUNIT_ASSERT(failureOf(second, get(server.url("/"))).status == ReportResult::Status::Fail);
		CPPUNIT_ASSERT(first.hasTlsContext() && second.hasTlsContext());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), HttpClient::systemTrustLoads());
	}

	void testCaFileIsReadAtConstructionTheSystemStoreNot()
	{
		const TestCertificates* pki = certificates();
		if (!pki) return;
		const std::uint64_t loadsBefore = HttpClient::systemTrustLoads();
		LoopbackServer server(LoopbackServer::Handler(), tlsOptions(pki->serverTls()));
		HttpOptions options;
		options.caFile = pki->caFile();
		HttpClient client(options);
		CPPUNIT_ASSERT(!client.hasTlsContext());
		CPPUNIT_ASSERT_EQUAL(std::string("ok"), client.send(get(server.url("/"))).body);
		CPPUNIT_ASSERT(client.hasTlsContext());
		CPPUNIT_ASSERT_EQUAL(loadsBefore, HttpClient::systemTrustLoads());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpsClientTest);
