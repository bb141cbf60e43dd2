//
// ImdsClientTest.cpp
//
// The IMDSv2 client against a fake IMDS that behaves like the real one:
// session tokens with a TTL, 401 without a valid token, retries, and a
// non-EC2 host that fails fast.
//

#include "asprof/plugins/aws/ImdsClient.h"
#include "FakeAwsServers.h"
#include "TestSupport.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Exception.h"
#include "Poco/Net/HTTPClientSession.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/HTTPResponse.h"
#include "Poco/StreamCopier.h"
#include "Poco/URI.h"
#include <memory>

using asprof::plugins::aws::ImdsClient;
using asprof::plugins::aws::ImdsOptions;
using asprof::test::FakeImds;

namespace {

const std::string IDENTITY_PATH = "/latest/dynamic/instance-identity/document";

struct RawAnswer
{
	int status;
	std::string body;
};

// Talks to the fake with Poco's own client, so the fake is checked on its own.
RawAnswer rawRequest(const FakeImds& imds, const std::string& method, const std::string& path,
	const std::vector<std::pair<std::string, std::string>>& headers)
{
	Poco::URI endpoint(imds.endpoint());
	Poco::Net::HTTPClientSession session(endpoint.getHost(), endpoint.getPort());
	Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
	for (const auto& header : headers) request.set(header.first, header.second);
	request.setContentLength(0);
	session.sendRequest(request);
	Poco::Net::HTTPResponse response;
	RawAnswer answer{0, ""};
	Poco::StreamCopier::copyToString(session.receiveResponse(response), answer.body);
	answer.status = response.getStatus();
	return answer;
}

ImdsOptions optionsFor(const std::string& endpoint)
{
	ImdsOptions options;
	options.endpoint = endpoint;
	return options;
}

double secondsSince(const Poco::Timestamp& start)
{
	return static_cast<double>(start.elapsed()) / 1e6;
}

} // namespace

class ImdsClientTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ImdsClientTest);
	CPPUNIT_TEST(testFakeImdsDemandsTokenAndTtlLikeTheRealOne);
	CPPUNIT_TEST(testOneTokenServesManyRequests);
	CPPUNIT_TEST(testExpiredTokenIsReplacedAfter401);
	CPPUNIT_TEST(testShortLivedTokenIsRenewedBeforeItExpires);
	CPPUNIT_TEST(testNotFoundNamesEndpointAndPathButNotToken);
	CPPUNIT_TEST(testServerErrorIsRetriedWithinAttempts);
	CPPUNIT_TEST(testEndpointFromEnvironmentWithoutTrailingSlash);
	CPPUNIT_TEST(testDefaultEndpointIsLinkLocal);
	CPPUNIT_TEST(testClosedPortFailsFastNamingEndpoint);
	CPPUNIT_TEST(testUnansweredEndpointTimesOut);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_environment = std::make_unique<asprof::test::ScopedAwsEnvironment>();
		_imds = std::make_unique<FakeImds>();
	}

	void tearDown() override
	{
		_imds.reset();
		_environment.reset();
	}

	void testFakeImdsDemandsTokenAndTtlLikeTheRealOne()
	{
		CPPUNIT_ASSERT_EQUAL(401, rawRequest(*_imds, "GET", IDENTITY_PATH, {}).status);
		CPPUNIT_ASSERT_EQUAL(400, rawRequest(*_imds, "PUT", "/latest/api/token", {}).status);
		CPPUNIT_ASSERT_EQUAL(400, rawRequest(*_imds, "PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "0"}}).status);
		CPPUNIT_ASSERT_EQUAL(405, rawRequest(*_imds, "GET", "/latest/api/token", {}).status);
		RawAnswer token = rawRequest(*_imds, "PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}});
		CPPUNIT_ASSERT_EQUAL(200, token.status);
		CPPUNIT_ASSERT_EQUAL(200, rawRequest(*_imds, "GET", IDENTITY_PATH, {{"X-aws-ec2-metadata-token", token.body}}).status);
		CPPUNIT_ASSERT_EQUAL(401, rawRequest(*_imds, "GET", IDENTITY_PATH, {{"X-aws-ec2-metadata-token", "forged"}}).status);
		_imds->expireTokens();
		CPPUNIT_ASSERT_EQUAL(401, rawRequest(*_imds, "GET", IDENTITY_PATH, {{"X-aws-ec2-metadata-token", token.body}}).status);
	}

	void testOneTokenServesManyRequests()
	{
		ImdsClient client(optionsFor(_imds->endpoint()));
		for (int i = 0; i < 3; ++i)
			CPPUNIT_ASSERT(client.get(IDENTITY_PATH).find("\"instanceId\" : \"i-0123456789abcdef0\"") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(1, _imds->tokenRequests());
		CPPUNIT_ASSERT_EQUAL(std::string("21600"), _imds->lastRequestedTtl());
		CPPUNIT_ASSERT_EQUAL(0, _imds->unauthorizedRequests());
	}

	void testExpiredTokenIsReplacedAfter401()
	{
		ImdsClient client(optionsFor(_imds->endpoint()));
		client.get(IDENTITY_PATH);
		_imds->expireTokens();
		CPPUNIT_ASSERT(client.get(IDENTITY_PATH).find("c7g.large") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(1, _imds->unauthorizedRequests());
		CPPUNIT_ASSERT_EQUAL(2, _imds->tokenRequests());
	}

	void testShortLivedTokenIsRenewedBeforeItExpires()
	{
		ImdsOptions options = optionsFor(_imds->endpoint());
		options.tokenTtl = Poco::Timespan(2, 0);
		ImdsClient client(options);
		client.get(IDENTITY_PATH);
		CPPUNIT_ASSERT_EQUAL(std::string("2"), _imds->lastRequestedTtl());
		CPPUNIT_ASSERT(asprof::test::waitUntil(
			[&] {
				client.get(IDENTITY_PATH);
				return _imds->tokenRequests() >= 2;
			},
			Poco::Timespan(10, 0)));
		CPPUNIT_ASSERT_EQUAL(0, _imds->unauthorizedRequests());
	}

	void testNotFoundNamesEndpointAndPathButNotToken()
	{
		ImdsClient client(optionsFor(_imds->endpoint()));
		try
		{
			client.get("/latest/meta-data/no-such-thing");
			CPPUNIT_FAIL("a 404 must throw");
		}
		catch (const Poco::NotFoundException& error)
		{
			CPPUNIT_ASSERT(error.message().find(_imds->endpoint() + "/latest/meta-data/no-such-thing") != std::string::npos);
			CPPUNIT_ASSERT(error.message().find("404") != std::string::npos);
			CPPUNIT_ASSERT_EQUAL(std::size_t(1), _imds->issuedTokens().size());
			CPPUNIT_ASSERT(error.displayText().find(_imds->issuedTokens().at(0)) == std::string::npos);
		}
	}

	void testServerErrorIsRetriedWithinAttempts()
	{
		ImdsClient client(optionsFor(_imds->endpoint()));
		_imds->failRequests(1, 503);
		CPPUNIT_ASSERT(client.get(IDENTITY_PATH).find("eu-west-1") != std::string::npos);

		ImdsOptions once = optionsFor(_imds->endpoint());
		once.attempts = 1;
		ImdsClient impatient(once);
		_imds->failRequests(1, 503);
		CPPUNIT_ASSERT_THROW(impatient.get(IDENTITY_PATH), Poco::IOException);
	}

	void testEndpointFromEnvironmentWithoutTrailingSlash()
	{
		asprof::test::ScopedEnv endpoint("AWS_EC2_METADATA_SERVICE_ENDPOINT", _imds->endpoint() + "/");
		ImdsClient client;
		CPPUNIT_ASSERT_EQUAL(_imds->endpoint(), client.endpoint());
		client.get(IDENTITY_PATH);
		CPPUNIT_ASSERT_EQUAL(1, _imds->tokenRequests());
		CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:9/x"), ImdsClient(optionsFor("http://127.0.0.1:9/x//")).endpoint());
	}

	void testDefaultEndpointIsLinkLocal()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("http://169.254.169.254"), ImdsClient().endpoint());
		asprof::test::ScopedEnv mode("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6");
		CPPUNIT_ASSERT_EQUAL(std::string("http://[fd00:ec2::254]"), ImdsClient().endpoint());
	}

	void testClosedPortFailsFastNamingEndpoint()
	{
		std::string endpoint = "http://127.0.0.1:" + std::to_string(asprof::test::closedLoopbackPort());
		ImdsClient client(optionsFor(endpoint));
		Poco::Timestamp start;
		try
		{
			client.get(IDENTITY_PATH);
			CPPUNIT_FAIL("nothing listens there");
		}
		catch (const Poco::IOException& error)
		{
			CPPUNIT_ASSERT_MESSAGE(error.displayText(), error.message().find(endpoint + "/latest/api/token") != std::string::npos);
		}
		CPPUNIT_ASSERT(secondsSince(start) < 5.0);
	}

	void testUnansweredEndpointTimesOut()
	{
		asprof::test::UnansweredPort unanswered;
		ImdsOptions options = optionsFor(unanswered.endpoint());
		options.timeout = Poco::Timespan(0, 300 * 1000);
		ImdsClient client(options);
		Poco::Timestamp start;
		CPPUNIT_ASSERT_THROW(client.get(IDENTITY_PATH), Poco::IOException);
		CPPUNIT_ASSERT(secondsSince(start) < 5.0);
	}

private:
	std::unique_ptr<asprof::test::ScopedAwsEnvironment> _environment;
	std::unique_ptr<FakeImds> _imds;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ImdsClientTest);
