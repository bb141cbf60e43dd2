//
// NetworkFaultTest.cpp
//
// Fault injection: see tests/faults/README.md. Endpoints that hang, drip and
// flood, met by the AWS clients (IMDS, the ECS credentials URI) while a signal
// interrupts the requesting thread every 150 ms, as wall-clock sampling does.
//

#include "LoopbackServer.h"
#include "TestSupport.h"
#include "asprof/plugins/aws/Credentials.h"
#include "asprof/plugins/aws/ImdsClient.h"
#include "cppunit/extensions/HelperMacros.h"

using asprof::plugins::aws::CredentialsChain;
using asprof::plugins::aws::CredentialsChainOptions;
using asprof::plugins::aws::ImdsClient;
using asprof::plugins::aws::ImdsOptions;
using asprof::test::BackgroundCall;
using asprof::test::HostileServer;
using asprof::test::ScopedEnv;
using asprof::test::SignalStorm;

namespace {

HostileServer::Options behaviour(HostileServer::Behaviour kind)
{
	HostileServer::Options options;
	options.behaviour = kind;
	options.dripInterval = Poco::Timespan(0, 100000);
	options.answer =
		kind == HostileServer::Behaviour::Flood ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" : "HTTP/1.1 200 OK\r\n";
	return options;
}

// Runs call against server under a signal storm; it must end within budget and
// report the failure (never hang, never succeed). The server goes first, so that
// a call that did hang still ends and its thread can be joined.
std::string assertEndsWithin(std::unique_ptr<HostileServer>& server, const std::function<void()>& call, const Poco::Timespan& budget)
{
	auto background = std::make_unique<BackgroundCall>(call);
	bool finished = false;
	{
		SignalStorm storm(background->thread(), Poco::Timespan(0, 150000));
		finished = background->finishedWithin(budget + Poco::Timespan(10, 0));
	}
	server.reset();
	CPPUNIT_ASSERT(background->finishedWithin(Poco::Timespan(30, 0)));
	CPPUNIT_ASSERT_MESSAGE("still running 10 s past its budget", finished);
	CPPUNIT_ASSERT_MESSAGE(
		std::to_string(background->elapsed().totalMilliseconds()) + " ms: " + background->error(), background->elapsed() < budget);
	CPPUNIT_ASSERT_MESSAGE("it must fail", !background->error().empty());
	return background->error();
}

} // namespace

class NetworkFaultTest: public asprof::test::DirectTestFixture
{
	CPPUNIT_TEST_SUITE(NetworkFaultTest);
	CPPUNIT_TEST(testImdsThatHangsOrDripsGivesUpWithinItsAttempts);
	CPPUNIT_TEST(testEcsCredentialsUriThatDripsOrFloodsFailsWithinTheDeadline);
	CPPUNIT_TEST_SUITE_END();

public:
	void testImdsThatHangsOrDripsGivesUpWithinItsAttempts()
	{
		for (HostileServer::Behaviour kind : {HostileServer::Behaviour::Hang, HostileServer::Behaviour::Drip})
		{
			auto server = std::make_unique<HostileServer>(behaviour(kind));
			ImdsOptions options;
			options.endpoint = server->url("");
			options.timeout = Poco::Timespan(1, 0);
			ImdsClient imds(options); // 2 attempts of one 1 s request each (the token PUT)
			const std::string error = assertEndsWithin(
				server, [&] { imds.get("/latest/dynamic/instance-identity/document"); }, Poco::Timespan(2, 800000));
			CPPUNIT_ASSERT_MESSAGE(error, error.find("within its deadline of 1000 ms") != std::string::npos);
		}
	}

	void testEcsCredentialsUriThatDripsOrFloodsFailsWithinTheDeadline()
	{
		ScopedEnv noKey("AWS_ACCESS_KEY_ID", "");
		ScopedEnv noSecret("AWS_SECRET_ACCESS_KEY", "");
		ScopedEnv noProfileFile("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials");
		ScopedEnv noConfigFile("AWS_CONFIG_FILE", "/nonexistent/config");
		ScopedEnv noRelative("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "");
		ScopedEnv noImds("AWS_EC2_METADATA_DISABLED", "true");
		for (HostileServer::Behaviour kind : {HostileServer::Behaviour::Drip, HostileServer::Behaviour::Flood})
		{
			auto server = std::make_unique<HostileServer>(behaviour(kind));
			ScopedEnv fullUri("AWS_CONTAINER_CREDENTIALS_FULL_URI", server->url("/creds"));
			CredentialsChainOptions options;
			options.timeout = Poco::Timespan(1, 0);
			CredentialsChain chain(options); // 2 attempts of 1 s each
			const std::string error = assertEndsWithin(
				server, [&] { chain.get(); }, Poco::Timespan(2, 800000));
			const std::string expected = kind == HostileServer::Behaviour::Drip ? "within its deadline" : "body larger than 65536 bytes";
			CPPUNIT_ASSERT_MESSAGE(error, error.find(expected) != std::string::npos);
		}
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(NetworkFaultTest);
