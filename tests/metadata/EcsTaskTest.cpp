// The ecs metadata provider's reading of a task metadata v4 document.
#include "EcsMetadataProvider.h"
#include "Poco/Exception.h"
#include <cppunit/extensions/HelperMacros.h>

using asprof::plugins::EcsMetadataProvider;

namespace {

// Shaped like the AWS documentation's task metadata v4 example.
const char* const FARGATE_TASK = R"({
  "Cluster": "arn:aws:ecs:us-west-2:111122223333:cluster/default",
  "TaskARN": "arn:aws:ecs:us-west-2:111122223333:task/default/e9028f8d5d8e4f258373e7b93ce9a3c3",
  "Family": "curltest", "Revision": "3", "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING",
  "Limits": {"CPU": 0.25, "Memory": 512},
  "LaunchType": "FARGATE", "Containers": []
})";

} // namespace

class EcsTaskTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EcsTaskTest);
	CPPUNIT_TEST(testFargateTaskGivesEveryFieldInOrder);
	CPPUNIT_TEST(testClusterNameBecomesAnArn);
	CPPUNIT_TEST(testLimitsAreOptional);
	CPPUNIT_TEST(testBadDocumentsAreRefused);
	CPPUNIT_TEST_SUITE_END();

public:
	void testFargateTaskGivesEveryFieldInOrder()
	{
		asprof::sdk::HostMetadata host = EcsMetadataProvider::parseTask(FARGATE_TASK);
		CPPUNIT_ASSERT_EQUAL(std::string("ecs"), host.kind);
		std::vector<std::string> names;
		for (const auto& field : host.fields) names.push_back(field.first);
		CPPUNIT_ASSERT(names == std::vector<std::string>({"accountId", "region", "taskArn", "clusterArn", "cpuLimit", "memoryLimit"}));
		CPPUNIT_ASSERT_EQUAL(std::string("111122223333"), host.field("accountId"));
		CPPUNIT_ASSERT_EQUAL(std::string("us-west-2"), host.field("region"));
		CPPUNIT_ASSERT_EQUAL(
			std::string("arn:aws:ecs:us-west-2:111122223333:task/default/e9028f8d5d8e4f258373e7b93ce9a3c3"), host.field("taskArn"));
		CPPUNIT_ASSERT_EQUAL(std::string("arn:aws:ecs:us-west-2:111122223333:cluster/default"), host.field("clusterArn"));
		CPPUNIT_ASSERT_EQUAL(std::string("0.25"), host.field("cpuLimit"));
		CPPUNIT_ASSERT_EQUAL(std::string("512"), host.field("memoryLimit"));
	}

	void testClusterNameBecomesAnArn()
	{
		asprof::sdk::HostMetadata host =
			EcsMetadataProvider::parseTask(R"({"Cluster": "prod", "TaskARN": "arn:aws-cn:ecs:cn-north-1:111122223333:task/prod/abc"})");
		CPPUNIT_ASSERT_EQUAL(std::string("arn:aws-cn:ecs:cn-north-1:111122223333:cluster/prod"), host.field("clusterArn"));
	}

	void testLimitsAreOptional()
	{
		asprof::sdk::HostMetadata host = EcsMetadataProvider::parseTask(
			R"({"Cluster": "c", "TaskARN": "arn:aws:ecs:eu-central-1:111122223333:task/c/abc", "Limits": {"CPU": 2}})");
		CPPUNIT_ASSERT_EQUAL(std::string("2"), host.field("cpuLimit"));
		CPPUNIT_ASSERT_EQUAL(std::string("missing"), host.field("memoryLimit", "missing"));
	}

	void testBadDocumentsAreRefused()
	{
		CPPUNIT_ASSERT_THROW(EcsMetadataProvider::parseTask("not json"), Poco::DataFormatException);
		CPPUNIT_ASSERT_THROW(EcsMetadataProvider::parseTask(R"({"Cluster": "c", "TaskARN": "task/123"})"), Poco::DataFormatException);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(EcsTaskTest);
