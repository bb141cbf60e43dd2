// The s3 reporter without a network: keys in the Rust agent's layout (its
// own unit-test examples), key stability, URLs, configuration errors.
#include "S3Key.h"
#include "S3Reporter.h"
#include "SectionContext.h"
#include "TestSupport.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace asprof;
using asprof::plugins::S3Key;
using asprof::plugins::S3Reporter;

namespace {

sdk::HostMetadata host(const std::string& kind, const std::string& field = "", const std::string& value = "")
{
	sdk::HostMetadata metadata;
	metadata.kind = kind;
	if (!field.empty()) metadata.setField(field, value);
	return metadata;
}

const Poco::Timestamp EPOCH = Poco::Timestamp::fromEpochTime(0);

std::unique_ptr<S3Reporter> configured(const std::vector<std::pair<std::string, std::string>>& keys)
{
	auto context = asprof::test::makeSectionContext("reporter.s3", keys, "test.ini");
	auto reporter = std::make_unique<S3Reporter>();
	reporter->configure(*context);
	context->checkUnknownKeys();
	return reporter;
}

std::string configError(const std::vector<std::pair<std::string, std::string>>& keys)
{
	try
	{
		configured(keys);
	}
	catch (Poco::Exception& e)
	{
		return e.displayText();
	}
	CPPUNIT_FAIL("expected a configuration error");
	return "";
}

} // namespace

class S3KeyTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(S3KeyTest);
	CPPUNIT_TEST(testEc2KeyMatchesTheRustAgent);
	CPPUNIT_TEST(testEcsKeyMatchesTheRustAgent);
	CPPUNIT_TEST(testOnpremAndUnknownKeysMatchTheRustAgent);
	CPPUNIT_TEST(testKeyPrefixAndTimeInUtc);
	CPPUNIT_TEST(testKeyIsStableAcrossRetriesAndNeverShared);
	CPPUNIT_TEST(testVirtualHostedAndPathStyleUrls);
	CPPUNIT_TEST(testBadConfigurationNamesTheKey);
	CPPUNIT_TEST(testBucketNamesAwsRejectsAreRefused);
	CPPUNIT_TEST(testKeyPrefixAndGroupThatCouldEscapeAreRefused);
	CPPUNIT_TEST(testIdsFromTheNetworkNeverBreakTheKey);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEc2KeyMatchesTheRustAgent()
	{
		// rust-agent src/reporter/s3.rs test: instance id "i-0" -> profile_pg_ec2_i-0__<pid>_1970-01-01T00-00-00Z.zip
		CPPUNIT_ASSERT_EQUAL(std::string("profile_pg_ec2_i-0__42_1970-01-01T00-00-00Z.zip"),
			S3Key::make("", "pg", host("ec2", "instanceId", "i-0"), 42, EPOCH));
		CPPUNIT_ASSERT_EQUAL(std::string("ec2_i-0a-b-c_"), S3Key::machine(host("ec2", "instanceId", "i-0a_b/c")));
	}

	void testEcsKeyMatchesTheRustAgent()
	{
		std::string taskArn = "arn:aws:ecs:us-east-1:123456789012:task/profiler-metadata-cluster/5261e761e0e2a3d92da3f02c8e5bab1f";
		CPPUNIT_ASSERT_EQUAL(std::string("profile_pg_ecs_arn:aws:ecs:us-east-1:123456789012:task-profiler-metadata-cluster-"
										 "5261e761e0e2a3d92da3f02c8e5bab1f__42_1970-01-01T00-00-00Z.zip"),
			S3Key::make("", "pg", host("ecs", "taskArn", taskArn), 42, EPOCH));
	}

	void testOnpremAndUnknownKeysMatchTheRustAgent()
	{
		CPPUNIT_ASSERT_EQUAL(
			std::string("profile_pg_onprem___42_1970-01-01T00-00-00Z.zip"), S3Key::make("", "pg", host("onprem"), 42, EPOCH));
		CPPUNIT_ASSERT_EQUAL(
			std::string("profile_pg_unknown___42_1970-01-01T00-00-00Z.zip"), S3Key::make("", "pg", host("unknown"), 42, EPOCH));
		CPPUNIT_ASSERT_EQUAL(std::string("unknown__"), S3Key::machine(host("k8s")));
	}

	void testKeyPrefixAndTimeInUtc()
	{
		asprof::test::ScopedEnv tz("TZ", "Asia/Tokyo");
		Poco::Timestamp time = Poco::Timestamp::fromEpochTime(1742488914); // 2025-03-20T16:41:54Z
		CPPUNIT_ASSERT_EQUAL(std::string("profiles/profile_checkout_onprem___7_2025-03-20T16-41-54Z.zip"),
			S3Key::make("profiles/", "checkout", host("onprem"), 7, time));
	}

	void testKeyIsStableAcrossRetriesAndNeverShared()
	{
		auto reporter = configured({{"bucket", "profiles-test"}, {"profilingGroup", "pg"}});
		sdk::Profile first = asprof::test::makeProfile("cpu-wall.jfr", 1);
		sdk::Profile second = asprof::test::makeProfile("cpu-wall.jfr", 2);
		second.end = first.end + 300 * 1000; // the same second
		std::string firstKey = reporter->keyFor(first);
		CPPUNIT_ASSERT_EQUAL(firstKey, reporter->keyFor(first)); // a retry: the same object
		std::string secondKey = reporter->keyFor(second);
		CPPUNIT_ASSERT(firstKey != secondKey);
		CPPUNIT_ASSERT_EQUAL(std::string("profile_pg_onprem___4242_2025-03-20T16-41-54Z.zip"), firstKey);
		CPPUNIT_ASSERT_EQUAL(std::string("profile_pg_onprem___4242_2025-03-20T16-41-55Z.zip"), secondKey);
	}

	void testVirtualHostedAndPathStyleUrls()
	{
		auto aws = configured({{"bucket", "profiles-test"}});
		CPPUNIT_ASSERT_EQUAL(std::string("https://profiles-test.s3.eu-west-1.amazonaws.com/p/profile_a%3Ab.zip"),
			aws->objectLocation("eu-west-1", "p/profile_a:b.zip").url());
		auto local = configured({{"bucket", "profiles-test"}, {"endpoint", "http://127.0.0.1:9000"}, {"pathStyle", "yes"}});
		CPPUNIT_ASSERT_EQUAL(
			std::string("http://127.0.0.1:9000/profiles-test/k%20ey.zip"), local->objectLocation("us-east-1", "k ey.zip").url());
		auto virtualHost = configured({{"bucket", "profiles-test"}, {"endpoint", "https://storage.example.com"}});
		CPPUNIT_ASSERT_EQUAL(
			std::string("https://profiles-test.storage.example.com/k.zip"), virtualHost->objectLocation("us-east-1", "k.zip").url());
	}

	void testBadConfigurationNamesTheKey()
	{
		CPPUNIT_ASSERT(configError({}).find("test.ini: [reporter.s3] bucket is required") != std::string::npos);
		CPPUNIT_ASSERT(configError({{"bucket", "Bad_Bucket"}}).find("[reporter.s3] bucket = Bad_Bucket: expected an S3 bucket name") !=
			std::string::npos);
		CPPUNIT_ASSERT(
			configError({{"bucket", "b-1"}, {"bucketOwner", "12"}}).find("bucketOwner = 12: expected a 12-digit AWS account id") !=
			std::string::npos);
		CPPUNIT_ASSERT(
			configError({{"bucket", "b-1"}, {"endpoint", "ftp://x"}}).find("endpoint = ftp://x: expected an http:// or https:// URL") !=
			std::string::npos);
		std::string error = configError({{"bucket", "b-1"}, {"accessKeyId", "AKIDEXAMPLE"}});
		CPPUNIT_ASSERT(error.find("accessKeyId and secretAccessKey together") != std::string::npos);
		CPPUNIT_ASSERT(configError({{"bucket", "b-1"}, {"buckit", "x"}}).find("unknown key buckit") != std::string::npos);
		// An IP endpoint cannot carry the bucket in its host name: every upload would fail "Host not found".
		CPPUNIT_ASSERT(
			configError({{"bucket", "b-1"}, {"endpoint", "http://10.0.0.5:9000"}})
				.find("endpoint = http://10.0.0.5:9000 with pathStyle = no: expected pathStyle = yes for an IP address endpoint") !=
			std::string::npos);
		CPPUNIT_ASSERT(configError({{"bucket", "b-1"}, {"endpoint", "http://[::1]:9000"}}).find("pathStyle = yes") != std::string::npos);
		configured({{"bucket", "b-1"}, {"endpoint", "http://10.0.0.5:9000"}, {"pathStyle", "yes"}});
	}

	void testBucketNamesAwsRejectsAreRefused()
	{
		for (const std::string& bucket : std::vector<std::string>{
				 "my..bucket", "192.168.1.1", "MyBucket", "ab", std::string(64, 'a'), "-bucket", "bucket-", "xn--bucket", "bucket-s3alias"})
		{
			const std::string error = configError({{"bucket", bucket}});
			CPPUNIT_ASSERT_MESSAGE(
				error, error.find("[reporter.s3] bucket = " + bucket + ": expected an S3 bucket name") != std::string::npos);
		}
		for (const std::string& bucket : std::vector<std::string>{"abc", std::string(63, 'a'), "my.bucket-1", "192.168.1.1x"})
			configured({{"bucket", bucket}});
	}

	void testKeyPrefixAndGroupThatCouldEscapeAreRefused()
	{
		for (const std::string& prefix :
			std::vector<std::string>{"../../", "..", "a/../b", "/abs", "a//b", "a b/", "a?b", "a#b", "./x", "a\\b"})
		{
			const std::string error = configError({{"bucket", "b-1"}, {"keyPrefix", prefix}});
			CPPUNIT_ASSERT_MESSAGE(
				error, error.find("[reporter.s3] keyPrefix = " + prefix + ": expected '/'-separated segments") != std::string::npos);
		}
		for (const std::string& group : std::vector<std::string>{"a/b", "..a/", "a b", "a?b", "a#b", "", std::string(129, 'g')})
		{
			const std::string error = configError({{"bucket", "b-1"}, {"profilingGroup", group}});
			CPPUNIT_ASSERT_MESSAGE(error, error.find("[reporter.s3] profilingGroup = " + group) != std::string::npos);
		}
		auto reporter = configured({{"bucket", "b-1"}, {"keyPrefix", "team/app.v2/"}, {"profilingGroup", "check_out-1.0"}});
		CPPUNIT_ASSERT_EQUAL(std::string("team/app.v2/profile_check_out-1.0_onprem___4242_2025-03-20T16-41-54Z.zip"),
			reporter->keyFor(asprof::test::makeProfile("cpu-wall.jfr", 1)));
	}

	void testIdsFromTheNetworkNeverBreakTheKey()
	{
		CPPUNIT_ASSERT_EQUAL(
			std::string("ec2_i-1--X-Injected:-yes-..---_"), S3Key::machine(host("ec2", "instanceId", "i-1\r\nX-Injected: yes/../?#")));
		CPPUNIT_ASSERT_EQUAL(std::string("ecs_arn:aws-x--_"), S3Key::machine(host("ecs", "taskArn", std::string("arn:aws/x\n\0", 11))));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(S3KeyTest);
