// The ec2 and ecs metadata providers against loopback endpoints that behave
// like IMDSv2 and the ECS task metadata endpoint, alone and in the agent.
#include "Ec2MetadataProvider.h"
#include "EcsMetadataProvider.h"
#include "FakeAwsServers.h"
#include "LoopbackServer.h"
#include "TestSupport.h"
#include "SectionContext.h"
#include "asprof/agent/Agent.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include <chrono>
#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

using namespace asprof;
using asprof::plugins::Ec2MetadataProvider;
using asprof::plugins::EcsMetadataProvider;
using asprof::test::LoopbackServer;

namespace {

const char* const TASK = R"({"Cluster": "prod", "TaskARN": "arn:aws:ecs:eu-central-1:111122223333:task/prod/0f9a",
	"Limits": {"CPU": 1, "Memory": 2048}})";

template <class Provider>
std::unique_ptr<Provider> configured(const std::string& type, const std::vector<std::pair<std::string, std::string>>& keys)
{
	auto context = asprof::test::makeSectionContext("metadata." + type, keys);
	auto provider = std::make_unique<Provider>();
	provider->configure(*context);
	context->checkUnknownKeys();
	return provider;
}

LoopbackServer::Handler taskEndpoint(const std::string& path)
{
	return [path](const LoopbackServer::Request& request, LoopbackServer::Response& response) {
		if (request.uri != path)
			response.status = 404;
		else
			response.body = TASK;
	};
}

std::string fieldNames(const sdk::HostMetadata& host)
{
	std::string names;
	for (const auto& field : host.fields) names += (names.empty() ? "" : " ") + field.first;
	return names;
}

double secondsSince(std::chrono::steady_clock::time_point start)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

class CloudMetadataTest: public asprof::test::DirectTestFixture
{
	CPPUNIT_TEST_SUITE(CloudMetadataTest);
	CPPUNIT_TEST(testEc2ReadsTheIdentityDocumentWithAToken);
	CPPUNIT_TEST(testEc2EndpointFromTheEnvironment);
	CPPUNIT_TEST(testEc2SurvivesAnExpiredToken);
	CPPUNIT_TEST(testNotOnEc2FailsFast);
	CPPUNIT_TEST(testImdsCanBeDisabled);
	CPPUNIT_TEST(testEcsReadsTheTask);
	CPPUNIT_TEST(testNotOnEcsThrows);
	CPPUNIT_TEST(testEcsCallsTimeOut);
	CPPUNIT_TEST(testAgentFallsThroughEcsToEc2);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEc2ReadsTheIdentityDocumentWithAToken()
	{
		asprof::test::FakeImds imds;
		auto provider = configured<Ec2MetadataProvider>("ec2", {{"endpoint", imds.endpoint()}});
		sdk::HostMetadata host = provider->detect();
		CPPUNIT_ASSERT_EQUAL(std::string("ec2"), host.kind);
		CPPUNIT_ASSERT_EQUAL(std::string("accountId region instanceId instanceType"), fieldNames(host));
		CPPUNIT_ASSERT_EQUAL(std::string("123456789012"), host.field("accountId"));
		CPPUNIT_ASSERT_EQUAL(std::string("eu-west-1"), host.field("region"));
		CPPUNIT_ASSERT_EQUAL(std::string("i-0123456789abcdef0"), host.field("instanceId"));
		CPPUNIT_ASSERT_EQUAL(std::string("c7g.large"), host.field("instanceType"));
		CPPUNIT_ASSERT(host.labels.empty()); // labels = is the agent's (SectionContext::readLabels)
		CPPUNIT_ASSERT_EQUAL(1, imds.tokenRequests());
		CPPUNIT_ASSERT_EQUAL(std::string("21600"), imds.lastRequestedTtl());
		CPPUNIT_ASSERT_EQUAL(0, imds.unauthorizedRequests());
	}

	void testEc2EndpointFromTheEnvironment()
	{
		asprof::test::FakeImds imds;
		asprof::test::ScopedEnv endpoint("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint() + "/");
		CPPUNIT_ASSERT_EQUAL(std::string("ec2"), configured<Ec2MetadataProvider>("ec2", {})->detect().kind);
	}

	void testEc2SurvivesAnExpiredToken()
	{
		asprof::test::FakeImds imds;
		imds.failRequests(1, 500); // a transient error first: the second attempt answers
		auto provider = configured<Ec2MetadataProvider>("ec2", {{"endpoint", imds.endpoint()}});
		CPPUNIT_ASSERT_EQUAL(std::string("eu-west-1"), provider->detect().field("region"));
		imds.expireTokens();
		CPPUNIT_ASSERT_EQUAL(std::string("eu-west-1"), provider->detect().field("region"));
	}

	void testNotOnEc2FailsFast()
	{
		auto provider = configured<Ec2MetadataProvider>(
			"ec2", {{"endpoint", "http://127.0.0.1:" + std::to_string(asprof::test::closedLoopbackPort())}});
		auto start = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT_THROW(provider->detect(), Poco::Exception);
		CPPUNIT_ASSERT(secondsSince(start) < 5);
		asprof::test::UnansweredPort silent;
		provider = configured<Ec2MetadataProvider>("ec2", {{"endpoint", silent.endpoint()}, {"timeout", "200ms"}});
		start = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT_THROW(provider->detect(), Poco::Exception);
		CPPUNIT_ASSERT(secondsSince(start) < 5); // 2 attempts x 200ms, not a hang
	}

	void testImdsCanBeDisabled()
	{
		asprof::test::FakeImds imds;
		asprof::test::ScopedEnv disabled("AWS_EC2_METADATA_DISABLED", "true");
		CPPUNIT_ASSERT_THROW(configured<Ec2MetadataProvider>("ec2", {{"endpoint", imds.endpoint()}})->detect(), Poco::NotFoundException);
		CPPUNIT_ASSERT_EQUAL(0, imds.tokenRequests()); // not even asked
	}

	void testEcsReadsTheTask()
	{
		LoopbackServer server(taskEndpoint("/v4/0f9a/task"));
		asprof::test::ScopedEnv uri("ECS_CONTAINER_METADATA_URI_V4", server.url("/v4/0f9a"));
		sdk::HostMetadata host = configured<EcsMetadataProvider>("ecs", {})->detect();
		CPPUNIT_ASSERT_EQUAL(std::string("ecs"), host.kind);
		CPPUNIT_ASSERT_EQUAL(std::string("accountId region taskArn clusterArn cpuLimit memoryLimit"), fieldNames(host));
		CPPUNIT_ASSERT_EQUAL(std::string("arn:aws:ecs:eu-central-1:111122223333:cluster/prod"), host.field("clusterArn"));
		CPPUNIT_ASSERT_EQUAL(std::string("2048"), host.field("memoryLimit"));
	}

	void testNotOnEcsThrows()
	{
		::unsetenv("ECS_CONTAINER_METADATA_URI_V4");
		try
		{
			configured<EcsMetadataProvider>("ecs", {})->detect();
			CPPUNIT_FAIL("expected an exception");
		}
		catch (Poco::Exception& e)
		{
			CPPUNIT_ASSERT(e.displayText().find("ECS_CONTAINER_METADATA_URI_V4 is not set") != std::string::npos);
		}
	}

	void testEcsCallsTimeOut()
	{
		asprof::test::UnansweredPort silent;
		auto provider = configured<EcsMetadataProvider>("ecs", {{"endpoint", silent.endpoint() + "/v4/x"}, {"timeout", "300ms"}});
		auto start = std::chrono::steady_clock::now();
		CPPUNIT_ASSERT_THROW(provider->detect(), Poco::Exception);
		CPPUNIT_ASSERT(secondsSince(start) < 5);
	}

	void testAgentFallsThroughEcsToEc2()
	{
		asprof::test::TemporaryDirectory dir;
		asprof::test::FakeImds imds;
		LoopbackServer ecsDown([](const LoopbackServer::Request&, LoopbackServer::Response& response) { response.status = 500; });
		asprof::test::ScopedEnv uri("ECS_CONTAINER_METADATA_URI_V4", ecsDown.url("/v4/x"));
		std::string ini = asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + dir.path() +
			"\n"
			"[metadata.ecs]\ntype = ecs\nlibrary = " ASPROF_BUILD_PLUGIN_DIR "/libasprof-metadata-ecs.so\n"
			"[metadata.ec2]\ntype = ec2\nlibrary = " ASPROF_BUILD_PLUGIN_DIR "/libasprof-metadata-ec2.so\nendpoint = " +
			imds.endpoint() + "\n");
		// A key given twice is refused: replace the fixture's metadata line instead.
		const std::string fixtureMetadata = "metadata = onprem\n";
		CPPUNIT_ASSERT(ini.find(fixtureMetadata) != std::string::npos);
		ini.replace(ini.find(fixtureMetadata), fixtureMetadata.size(), "metadata = ecs, ec2, onprem\n");
		agent::Agent agent(agent::AgentConfig::fromIni(ini, "test.ini"));
		agent.start();
		CPPUNIT_ASSERT(asprof::test::waitUntil([&]() { return agent.status().lanes[0].delivered >= 1; }));
		agent.stop(Poco::Timespan(5, 0));
		Poco::JSON::Object::Ptr json = Poco::JSON::Parser()
										   .parse(asprof::test::readFile(dir.file(std::to_string(::getpid()) + "-1.json")))
										   .extract<Poco::JSON::Object::Ptr>();
		Poco::JSON::Object::Ptr host = json->getObject("host");
		CPPUNIT_ASSERT_EQUAL(std::string("ec2"), host->getValue<std::string>("kind"));
		CPPUNIT_ASSERT_EQUAL(std::string("i-0123456789abcdef0"), host->getValue<std::string>("instanceId"));
		CPPUNIT_ASSERT(ecsDown.requestCount() >= 1); // ecs was asked first
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(CloudMetadataTest);
