//
// HttpProxyTest.cpp
//
// The proxy from the environment: which variable applies to which URL, the
// NO_PROXY rules, and requests that really go through a loopback proxy (plain
// HTTP in absolute form, HTTPS through a CONNECT tunnel, credentials).
//

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "asprof/plugins/ErrorClassification.h"
#include "asprof/plugins/HttpClient.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Base64Encoder.h"
#include <iostream>
#include <sstream>

using asprof::plugins::classifyException;
using asprof::plugins::HttpClient;
using asprof::plugins::HttpOptions;
using asprof::plugins::HttpRequest;
using asprof::sdk::ReportResult;
using asprof::test::DirectTestFixture;
using asprof::test::LoopbackServer;
using asprof::test::ScopedEnv;
using asprof::test::TestCertificates;

namespace {

std::string proxyFor(const std::string& url)
{
	return HttpClient::proxyFor(Poco::URI(url)).value_or("none");
}

HttpRequest get(const std::string& url)
{
	HttpRequest request;
	request.uri = Poco::URI(url);
	return request;
}

std::string basic(const std::string& credentials)
{
	std::ostringstream encoded;
	Poco::Base64Encoder encoder(encoded);
	encoder << credentials;
	encoder.close();
	return "Basic " + encoded.str();
}

// A forward proxy: answers plain requests itself, tunnels CONNECT to the named address.
void proxyHandler(const LoopbackServer::Request& request, LoopbackServer::Response& response)
{
	if (request.method == "CONNECT")
		response.tunnelTo = request.uri;
	else
		response.body = "via proxy";
}

} // namespace

class HttpProxyTest: public DirectTestFixture
{
	CPPUNIT_TEST_SUITE(HttpProxyTest);
	CPPUNIT_TEST(testEachSchemeUsesItsOwnVariable);
	CPPUNIT_TEST(testLowerCaseNamesWinAndBareHostsGetHttp);
	CPPUNIT_TEST(testUpperCaseHttpProxyIsIgnoredUnderCgi);
	CPPUNIT_TEST(testNoProxyMatchesHostsSuffixesPortsAndStar);
	CPPUNIT_TEST(testPlainRequestGoesToTheProxyInAbsoluteForm);
	CPPUNIT_TEST(testProxyCredentialsComeFromTheUserInfo);
	CPPUNIT_TEST(testHttpsGoesThroughAConnectTunnel);
	CPPUNIT_TEST(testNoProxyHostsAreReachedDirectly);
	CPPUNIT_TEST(testUnsupportedProxySchemeIsFailWithoutCredentials);
	CPPUNIT_TEST(testProxyEnvironmentCanBeIgnored);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEachSchemeUsesItsOwnVariable()
	{
		ScopedEnv https("HTTPS_PROXY", "http://secure.proxy:3128");
		CPPUNIT_ASSERT_EQUAL(std::string("http://secure.proxy:3128"), proxyFor("https://s3.amazonaws.com/bucket"));
		CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("http://169.254.169.254/latest"));
		ScopedEnv http("HTTP_PROXY", "http://plain.proxy:8080");
		CPPUNIT_ASSERT_EQUAL(std::string("http://plain.proxy:8080"), proxyFor("http://169.254.169.254/latest"));
		CPPUNIT_ASSERT_EQUAL(std::string("http://secure.proxy:3128"), proxyFor("https://s3.amazonaws.com/bucket"));
	}

	void testLowerCaseNamesWinAndBareHostsGetHttp()
	{
		ScopedEnv upper("HTTPS_PROXY", "http://upper:1");
		ScopedEnv lower("https_proxy", "lower:2");
		CPPUNIT_ASSERT_EQUAL(std::string("http://lower:2"), proxyFor("https://example.com/"));
		ScopedEnv http("http_proxy", " http://plain:3 ");
		CPPUNIT_ASSERT_EQUAL(std::string("http://plain:3"), proxyFor("http://example.com/"));
	}

	void testUpperCaseHttpProxyIsIgnoredUnderCgi()
	{
		ScopedEnv cgi("REQUEST_METHOD", "GET");
		ScopedEnv injected("HTTP_PROXY", "http://attacker:80");
		CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("http://example.com/"));
		ScopedEnv lower("http_proxy", "http://chosen:80");
		CPPUNIT_ASSERT_EQUAL(std::string("http://chosen:80"), proxyFor("http://example.com/"));
	}

	void testNoProxyMatchesHostsSuffixesPortsAndStar()
	{
		ScopedEnv https("HTTPS_PROXY", "http://proxy:3128");
		const std::string proxy = "http://proxy:3128";
		{
			ScopedEnv noProxy("NO_PROXY", " exact.host , .dot.example,bare.example, Mixed.CASE ,10.0.0.7, only.port:8443,[::1]:443");
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://exact.host/"));
			CPPUNIT_ASSERT_EQUAL(proxy, proxyFor("https://sub.exact.host.evil/"));
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://a.dot.example/"));
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://dot.example/"));
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://deep.sub.bare.example/"));
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://bare.example/"));
			CPPUNIT_ASSERT_EQUAL(proxy, proxyFor("https://notbare.example/"));
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://mixed.case/"));
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://MIXED.case/"));
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://10.0.0.7/"));
			CPPUNIT_ASSERT_EQUAL(proxy, proxyFor("https://10.0.0.70/"));
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://only.port:8443/"));
			CPPUNIT_ASSERT_EQUAL(proxy, proxyFor("https://only.port/"));
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://[::1]/"));
			CPPUNIT_ASSERT_EQUAL(proxy, proxyFor("https://[::1]:8443/"));
		}
		{
			ScopedEnv noProxy("no_proxy", "*");
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://anything.example/"));
		}
		{
			ScopedEnv noProxy("no_proxy", "*.wild.example");
			CPPUNIT_ASSERT_EQUAL(std::string("none"), proxyFor("https://a.wild.example/"));
			CPPUNIT_ASSERT_EQUAL(proxy, proxyFor("https://example.com/"));
		}
	}

	void testPlainRequestGoesToTheProxyInAbsoluteForm()
	{
		LoopbackServer proxy(proxyHandler);
		ScopedEnv http("HTTP_PROXY", "http://127.0.0.1:" + std::to_string(proxy.port()));
		HttpClient client{HttpOptions()};

		// The target does not resolve: only the proxy can have answered.
		const auto response = client.send(get("http://target.invalid:8080/latest/api?x=1"));

		CPPUNIT_ASSERT_EQUAL(std::string("via proxy"), response.body);
		const auto requests = proxy.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), requests.size());
		CPPUNIT_ASSERT_EQUAL(std::string("http://target.invalid:8080/latest/api?x=1"), requests[0].uri);
		CPPUNIT_ASSERT_EQUAL(std::string("target.invalid:8080"), requests[0].header("Host"));
		CPPUNIT_ASSERT_EQUAL(std::string(), requests[0].header("Proxy-Authorization"));
	}

	void testProxyCredentialsComeFromTheUserInfo()
	{
		LoopbackServer proxy(proxyHandler);
		ScopedEnv http("http_proxy", "http://agent:p%40ss%3Aword@127.0.0.1:" + std::to_string(proxy.port()));
		HttpClient client{HttpOptions()};

		client.send(get("http://target.invalid/"));

		CPPUNIT_ASSERT_EQUAL(basic("agent:p@ss:word"), proxy.requests().at(0).header("Proxy-Authorization"));
	}

	void testHttpsGoesThroughAConnectTunnel()
	{
		std::string why;
		if (!TestCertificates::available(why))
		{
			std::cout << "\nSKIPPED: http-tests CONNECT tunnel: " << why << std::endl;
			return;
		}
		TestCertificates pki;
		LoopbackServer::Options tls;
		tls.tls = pki.serverTls();
		LoopbackServer target(LoopbackServer::Handler(), tls);
		LoopbackServer proxy(proxyHandler);
		ScopedEnv https("HTTPS_PROXY", "http://user:secret@127.0.0.1:" + std::to_string(proxy.port()));
		HttpOptions options;
		options.caFile = pki.caFile();
		HttpClient client(options);

		CPPUNIT_ASSERT_EQUAL(std::string("ok"), client.send(get(target.url("/secure"))).body);
		CPPUNIT_ASSERT_EQUAL(std::string("ok"), client.send(get(target.url("/again"))).body);

		const auto tunnels = proxy.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), tunnels.size());
		CPPUNIT_ASSERT_EQUAL(std::string("CONNECT"), tunnels[0].method);
		CPPUNIT_ASSERT_EQUAL(LoopbackServer::hostAndPort(target.url()), tunnels[0].uri);
		CPPUNIT_ASSERT_EQUAL(basic("user:secret"), tunnels[0].header("Proxy-Authorization"));
		const auto requests = target.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), requests.size());
		CPPUNIT_ASSERT_EQUAL(std::string("/secure"), requests[0].uri);
		CPPUNIT_ASSERT_EQUAL(std::string(), requests[0].header("Proxy-Authorization"));
	}

	void testNoProxyHostsAreReachedDirectly()
	{
		LoopbackServer server;
		ScopedEnv http("HTTP_PROXY", "http://127.0.0.1:1");
		ScopedEnv noProxy("NO_PROXY", "localhost,127.0.0.1");
		HttpClient client{HttpOptions()};
		CPPUNIT_ASSERT_EQUAL(std::string("ok"), client.send(get(server.url("/direct"))).body);
		CPPUNIT_ASSERT_EQUAL(std::string("/direct"), server.requests().at(0).uri);
	}

	void testUnsupportedProxySchemeIsFailWithoutCredentials()
	{
		ScopedEnv http("HTTP_PROXY", "socks5://user:SECRET@127.0.0.1:1080");
		HttpClient client{HttpOptions()};
		try
		{
			client.send(get("http://target.invalid/"));
			CPPUNIT_FAIL("a SOCKS proxy is not supported");
		}
		catch (const Poco::Exception& error)
		{
			const ReportResult result = classifyException(error, "upload");
			CPPUNIT_ASSERT(result.status == ReportResult::Status::Fail);
			CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("socks5") != std::string::npos);
			CPPUNIT_ASSERT(result.message.find("SECRET") == std::string::npos);
		}
	}

	void testProxyEnvironmentCanBeIgnored()
	{
		LoopbackServer server;
		ScopedEnv http("HTTP_PROXY", "http://127.0.0.1:1");
		HttpOptions options;
		options.useProxyEnvironment = false;
		HttpClient client(options);
		CPPUNIT_ASSERT_EQUAL(std::string("ok"), client.send(get(server.url("/"))).body);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpProxyTest);
