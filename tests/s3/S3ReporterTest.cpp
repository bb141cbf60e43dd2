// The s3 reporter against a real S3-compatible server (s3rver) behind a
// proxy that recomputes every signature with AWS's JavaScript signer, read
// back with @aws-sdk/client-s3 (tests/node, tests/common/S3Harness).
#include "LoopbackServer.h"
#include "S3Harness.h"
#include "FileRecording.h"
#include "S3Reporter.h"
#include "SectionContext.h"
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/plugins/HttpClient.h"
#include "asprof/plugins/aws/SigV4Signer.h"
#include "asprof/sdk/ProfileArchive.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/RegularExpression.h"
#include "Poco/Zip/ZipArchive.h"
#include "Poco/Zip/ZipStream.h"
#include "Poco/Base64Encoder.h"
#include "Poco/MD5Engine.h"
#include "Poco/StreamCopier.h"
#include "Poco/TemporaryFile.h"
#include <cppunit/extensions/HelperMacros.h>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <sstream>
#include <unistd.h>

using namespace asprof;
using asprof::plugins::S3Reporter;
using asprof::test::LoopbackServer;
using asprof::test::S3Harness;
using Status = asprof::sdk::ReportResult::Status;

namespace {

using Keys = std::vector<std::pair<std::string, std::string>>;

bool harnessAvailable(const std::string& test)
{
	std::string why;
	if (S3Harness::available(why)) return true;
	std::cout << "\nSKIPPED: s3-tests " << test << ": " << why << std::endl;
	return false;
}

std::unique_ptr<S3Reporter> startReporter(const Keys& keys)
{
	auto context = asprof::test::makeSectionContext("reporter.s3", keys, "test.ini");
	auto reporter = std::make_unique<S3Reporter>();
	reporter->configure(*context);
	context->checkUnknownKeys();
	reporter->start();
	return reporter;
}

Keys harnessKeys(const S3Harness& s3, const std::string& endpoint, const std::string& secret = "")
{
	return {{"bucket", s3.bucket()}, {"endpoint", endpoint}, {"pathStyle", "yes"}, {"region", "us-east-1"}, {"profilingGroup", "pg"},
		{"accessKeyId", s3.accessKey()}, {"secretAccessKey", secret.empty() ? s3.secretKey() : secret}};
}

// The two zip entries, in order, with their contents.
std::vector<std::pair<std::string, std::string>> unzip(const std::string& zip)
{
	std::istringstream in(zip);
	Poco::Zip::ZipArchive archive(in);
	std::vector<std::pair<std::string, std::string>> entries;
	for (auto it = archive.headerBegin(); it != archive.headerEnd(); ++it)
	{
		std::istringstream data(zip);
		Poco::Zip::ZipInputStream entry(data, it->second);
		std::string content;
		Poco::StreamCopier::copyToString(entry, content);
		entries.emplace_back(it->second.getFileName(), content);
	}
	std::sort(entries.begin(), entries.end(), [&](const auto& a, const auto& b) {
		return archive.findHeader(a.first)->second.getStartPos() < archive.findHeader(b.first)->second.getStartPos();
	});
	return entries;
}

// Forwards every request unchanged (Host included: it was signed) to target,
// after answering the first `failures` requests itself with `status`.
LoopbackServer::Handler forwardTo(
	const std::string& target, std::shared_ptr<std::atomic<int>> failures, int status, const std::string& body)
{
	return [=](const LoopbackServer::Request& request, LoopbackServer::Response& response) {
		if (failures->fetch_sub(1) > 0)
		{
			response.status = status;
			response.body = body;
			response.headers.emplace_back("Retry-After", "1");
			return;
		}
		plugins::HttpClient client{plugins::HttpOptions()};
		plugins::HttpRequest forwarded;
		forwarded.method = request.method;
		forwarded.uri = Poco::URI(target);
		forwarded.target = request.uri;
		for (const auto& header : request.headers)
		{
			if (Poco::icompare(header.first, "Content-Length") != 0 && Poco::icompare(header.first, "Connection") != 0)
				forwarded.headers.push_back(header);
		}
		forwarded.body = request.body;
		plugins::HttpResponse answer = client.send(forwarded);
		response.status = answer.status;
		response.body = answer.body;
	};
}

// A credentials provider whose get() runs fail (which throws).
class ThrowingCredentials: public plugins::aws::CredentialsProvider
{
public:
	explicit ThrowingCredentials(std::function<void()> fail): _fail(std::move(fail))
	{
	}

	plugins::aws::Credentials get() override
	{
		_fail();
		return plugins::aws::Credentials();
	}

private:
	std::function<void()> _fail;
};

} // namespace

class S3ReporterTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(S3ReporterTest);
	CPPUNIT_TEST(testUploadLandsUnderTheRustKeyWithTheArchive);
	CPPUNIT_TEST(testWrongSecretFailsWithSignatureDoesNotMatch);
	CPPUNIT_TEST(testServerDownIsRetryThenDeliversOnceUnderTheSameKey);
	CPPUNIT_TEST(testHeadersCarryIntegrityOwnerAndSessionToken);
	CPPUNIT_TEST(testS3ErrorsAreClassified);
	CPPUNIT_TEST(testMissingCredentialsAreRetryAndSendNothing);
	CPPUNIT_TEST(testUnexpectedExceptionIsFail);
	CPPUNIT_TEST(testRegionComesFromEnvironmentThenHostMetadata);
	CPPUNIT_TEST(testCredentialsFromTheEnvironment);
	CPPUNIT_TEST(testAgentUploadsEveryIntervalUnderDistinctKeys);
	CPPUNIT_TEST(testErrorCodeAndMessageAreSanitizedAndBounded);
	CPPUNIT_TEST(testOkWithAnErrorDocumentIsNotDelivered);
	CPPUNIT_TEST(testRegionWithALineBreakNeverReachesAHeader);
	CPPUNIT_TEST(testLargeRecordingUploadsWithMatchingDigests);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_env.reset(new asprof::test::ScopedEnv("AWS_REGION", ""));
		::unsetenv("AWS_REGION");
	}

	void tearDown() override
	{
		_env.reset();
	}

	void testUploadLandsUnderTheRustKeyWithTheArchive()
	{
		if (!harnessAvailable("testUploadLandsUnderTheRustKeyWithTheArchive")) return;
		S3Harness s3;
		auto reporter = startReporter(harnessKeys(s3, s3.endpoint()));
		sdk::Profile profile = asprof::test::makeProfile("cpu-wall.jfr", 3);
		sdk::ReportResult result = reporter->report(profile);
		CPPUNIT_ASSERT_MESSAGE(result.message + "\n" + s3.log(), result.isOk());

		auto objects = s3.readObjectsWithMetadata();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), objects.size());
		const std::string key = "profile_pg_onprem___4242_2025-03-20T16-41-54Z.zip";
		CPPUNIT_ASSERT_EQUAL(key, objects.begin()->first);
		CPPUNIT_ASSERT_EQUAL(std::string("application/zip"), objects.begin()->second.contentType);
		auto entries = unzip(objects.begin()->second.bytes);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), entries.size());
		CPPUNIT_ASSERT_EQUAL(std::string("async_profiler_dump_0.jfr"), entries[0].first);
		CPPUNIT_ASSERT_EQUAL(std::string("metadata.json"), entries[1].first);
		CPPUNIT_ASSERT(entries[0].second == asprof::test::readFile(asprof::test::dataFile("cpu-wall.jfr")));
		CPPUNIT_ASSERT_EQUAL(0UL, entries[1].second.find("{\"start\":1742488884125,\"end\":1742488914125,\"reporting_interval\":30000,"));
		Poco::JSON::Object::Ptr json = Poco::JSON::Parser().parse(entries[1].second).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT_EQUAL(3, json->getValue<int>("seq"));
		CPPUNIT_ASSERT_EQUAL(std::string("test-host"), json->getObject("host")->getValue<std::string>("hostname"));
	}

	void testWrongSecretFailsWithSignatureDoesNotMatch()
	{
		if (!harnessAvailable("testWrongSecretFailsWithSignatureDoesNotMatch")) return;
		S3Harness s3;
		auto reporter = startReporter(harnessKeys(s3, s3.endpoint(), "not-the-secret"));
		sdk::ReportResult result = reporter->report(asprof::test::makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Fail);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("HTTP 403 SignatureDoesNotMatch") != std::string::npos);
		CPPUNIT_ASSERT(result.message.find("not-the-secret") == std::string::npos);
		CPPUNIT_ASSERT(s3.readObjects().empty());
	}

	void testServerDownIsRetryThenDeliversOnceUnderTheSameKey()
	{
		if (!harnessAvailable("testServerDownIsRetryThenDeliversOnceUnderTheSameKey")) return;
		S3Harness s3;
		sdk::Profile profile = asprof::test::makeProfile("cpu-wall.jfr");
		{
			// Nobody listens: connection refused.
			Poco::UInt16 closed = 0;
			{
				LoopbackServer gone;
				closed = gone.port();
			}
			auto reporter = startReporter(harnessKeys(s3, "http://127.0.0.1:" + std::to_string(closed)));
			sdk::ReportResult result = reporter->report(profile);
			CPPUNIT_ASSERT_MESSAGE(result.message, result.status == Status::Retry);
		}
		// Up, but answering 503 twice first: Retry, Retry, then delivered.
		auto failures = std::make_shared<std::atomic<int>>(2);
		LoopbackServer front(
			forwardTo(s3.endpoint(), failures, 503, "<Error><Code>ServiceUnavailable</Code><Message>busy</Message></Error>"));
		auto reporter = startReporter(harnessKeys(s3, front.url("")));
		sdk::ReportResult first = reporter->report(profile);
		CPPUNIT_ASSERT(first.status == Status::Retry);
		CPPUNIT_ASSERT(first.retryAfter && *first.retryAfter == Poco::Timespan(1, 0));
		CPPUNIT_ASSERT(reporter->report(profile).status == Status::Retry);
		sdk::ReportResult third = reporter->report(profile);
		CPPUNIT_ASSERT_MESSAGE(third.message + "\n" + s3.log(), third.isOk());
		auto requests = front.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), requests.size());
		CPPUNIT_ASSERT_EQUAL(requests[0].uri, requests[2].uri); // every attempt: the same key
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), s3.readObjects().size());
	}

	void testHeadersCarryIntegrityOwnerAndSessionToken()
	{
		if (!harnessAvailable("testHeadersCarryIntegrityOwnerAndSessionToken")) return;
		S3Harness s3;
		auto failures = std::make_shared<std::atomic<int>>(0);
		LoopbackServer front(forwardTo(s3.endpoint(), failures, 200, ""));
		Keys keys = harnessKeys(s3, front.url(""));
		keys.emplace_back("bucketOwner", "111122223333");
		keys.emplace_back("sessionToken", "session-token-value");
		auto reporter = startReporter(keys);
		sdk::ReportResult result = reporter->report(asprof::test::makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_MESSAGE(result.message + "\n" + s3.log(), result.isOk()); // the signer agreed, token included

		LoopbackServer::Request put = front.requests().at(0);
		CPPUNIT_ASSERT_EQUAL(std::string("PUT"), put.method);
		CPPUNIT_ASSERT_EQUAL(std::string("application/zip"), put.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string("111122223333"), put.header("x-amz-expected-bucket-owner"));
		CPPUNIT_ASSERT_EQUAL(std::string("session-token-value"), put.header("x-amz-security-token"));
		CPPUNIT_ASSERT_EQUAL(plugins::aws::SigV4Signer::sha256Hex(put.body), put.header("x-amz-content-sha256"));
		CPPUNIT_ASSERT(!put.header("Content-MD5").empty());
		std::string authorization = put.header("Authorization");
		CPPUNIT_ASSERT_MESSAGE(authorization, authorization.find("Credential=AKIDTEST/") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(authorization, authorization.find("/us-east-1/s3/aws4_request") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(authorization,
			authorization.find("SignedHeaders=content-length;content-md5;content-type;host;x-amz-content-sha256;"
							   "x-amz-date;x-amz-expected-bucket-owner;x-amz-security-token,") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(front.hostAndPort(front.url()), put.header("Host"));
	}

	void testS3ErrorsAreClassified()
	{
		struct Case
		{
			int status;
			std::string code;
			Status expected;
		};
		const Case cases[] = {{403, "InvalidAccessKeyId", Status::Fail}, {404, "NoSuchBucket", Status::Fail},
			{403, "AccessDenied", Status::Fail}, {400, "RequestTimeout", Status::Retry}, {400, "ExpiredToken", Status::Retry},
			{503, "SlowDown", Status::Retry}, {500, "InternalError", Status::Retry}, {413, "EntityTooLarge", Status::Fail},
			{429, "", Status::Retry}, {403, "RequestTimeTooSkewed", Status::Retry}, {503, "ServiceUnavailable", Status::Retry},
			{400, "", Status::Fail}, {502, "", Status::Retry}};
		for (const auto& test : cases)
		{
			LoopbackServer server([&](const LoopbackServer::Request&, LoopbackServer::Response& response) {
				response.status = test.status;
				if (!test.code.empty()) response.body = "<Error><Code>" + test.code + "</Code><Message>told so</Message></Error>";
			});
			auto reporter = startReporter({{"bucket", "b-1"}, {"endpoint", server.url("")}, {"pathStyle", "yes"}, {"region", "us-east-1"},
				{"accessKeyId", "AKIDTEST"}, {"secretAccessKey", "secret"}});
			sdk::ReportResult result = reporter->report(asprof::test::makeProfile("cpu-wall.jfr"));
			CPPUNIT_ASSERT_MESSAGE(test.code + ": " + result.message, result.status == test.expected);
			CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("HTTP " + std::to_string(test.status)) != std::string::npos);
			if (!test.code.empty())
				CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find(test.code + ": told so") != std::string::npos);
		}
	}

	void testMissingCredentialsAreRetryAndSendNothing()
	{
		// aws::CredentialsException is an IOException: a role may be attached, an endpoint come back.
		LoopbackServer server;
		auto reporter = startReporter({{"bucket", "b-1"}, {"endpoint", server.url("")}, {"pathStyle", "yes"}, {"region", "us-east-1"}});
		reporter->setCredentialsProvider(std::make_unique<ThrowingCredentials>(
			[] { throw plugins::aws::CredentialsException("no AWS credentials: environment: AWS_ACCESS_KEY_ID not set"); }));
		sdk::ReportResult result = reporter->report(asprof::test::makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.status == Status::Retry);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("s3 PutObject s3://b-1: ") == 0);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("AWS_ACCESS_KEY_ID not set") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
	}

	void testUnexpectedExceptionIsFail()
	{
		// The shared rule: what is not known to be transient is not retried (it was Retry here before).
		LoopbackServer server;
		auto reporter = startReporter({{"bucket", "b-1"}, {"endpoint", server.url("")}, {"pathStyle", "yes"}, {"region", "us-east-1"}});
		reporter->setCredentialsProvider(std::make_unique<ThrowingCredentials>([] { throw std::logic_error("provider bug"); }));
		sdk::ReportResult result = reporter->report(asprof::test::makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.status == Status::Fail);
		CPPUNIT_ASSERT_EQUAL(std::string("s3 PutObject s3://b-1: provider bug"), result.message);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
	}

	void testRegionComesFromEnvironmentThenHostMetadata()
	{
		LoopbackServer server;
		Keys keys = {{"bucket", "b-1"}, {"endpoint", server.url("")}, {"pathStyle", "yes"}, {"accessKeyId", "AKIDTEST"},
			{"secretAccessKey", "secret"}};
		auto reporter = startReporter(keys);
		sdk::Profile profile = asprof::test::makeProfile("cpu-wall.jfr", 1);
		sdk::ReportResult result = reporter->report(profile); // onprem host, no region anywhere
		CPPUNIT_ASSERT(result.status == Status::Fail);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("no region") != std::string::npos);

		profile.seq = 2;
		profile.host.kind = "ec2";
		profile.host.setField("region", "ap-south-1");
		CPPUNIT_ASSERT(reporter->report(profile).isOk());
		CPPUNIT_ASSERT(server.requests().back().header("Authorization").find("/ap-south-1/s3/") != std::string::npos);
		{
			asprof::test::ScopedEnv region("AWS_REGION", "eu-west-1");
			profile.seq = 3;
			CPPUNIT_ASSERT(reporter->report(profile).isOk());
			CPPUNIT_ASSERT(server.requests().back().header("Authorization").find("/eu-west-1/s3/") != std::string::npos);
		}
	}

	void testCredentialsFromTheEnvironment()
	{
		if (!harnessAvailable("testCredentialsFromTheEnvironment")) return;
		S3Harness s3;
		asprof::test::ScopedEnv home("HOME", asprof::test::TemporaryDirectory().path());
		asprof::test::ScopedEnv id("AWS_ACCESS_KEY_ID", s3.accessKey());
		asprof::test::ScopedEnv secret("AWS_SECRET_ACCESS_KEY", s3.secretKey());
		asprof::test::ScopedEnv region("AWS_REGION", "us-east-1");
		auto reporter = startReporter({{"bucket", s3.bucket()}, {"endpoint", s3.endpoint()}, {"pathStyle", "yes"}});
		sdk::ReportResult result = reporter->report(asprof::test::makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_MESSAGE(result.message + "\n" + s3.log(), result.isOk());
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), s3.readObjects().size());
	}

	void testAgentUploadsEveryIntervalUnderDistinctKeys()
	{
		if (!harnessAvailable("testAgentUploadsEveryIntervalUnderDistinctKeys")) return;
		S3Harness s3;
		agent::Agent agent(
			agent::AgentConfig::fromIni("[agent]\nlibrary = " ASPROF_FAKE_PROFILER "\nreportingInterval = 200ms\nreporter = s3\n"
										"metadata = onprem\nflushTimeout = 10s\n[reporter.s3]\ntype = s3\nbucket = " +
					s3.bucket() + "\nendpoint = " + s3.endpoint() +
					"\npathStyle = yes\nregion = us-east-1\nprofilingGroup = checkout\naccessKeyId = " + s3.accessKey() +
					"\nsecretAccessKey = " + s3.secretKey() + "\nretryInitialBackoff = 10ms\n",
				"test.ini"));
		agent.start();
		CPPUNIT_ASSERT(asprof::test::waitUntil([&]() { return agent.status().lanes[0].delivered >= 3; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(10, 0)));
		agent::LaneStatus lane = agent.status().lanes[0];
		auto objects = s3.readObjects();
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(lane.delivered), objects.size()); // never two under one key
		Poco::RegularExpression key(
			"^profile_checkout_onprem___" + std::to_string(::getpid()) + "_[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}Z\\.zip$");
		for (const auto& object : objects)
		{
			CPPUNIT_ASSERT_MESSAGE(object.first, key.match(object.first));
			CPPUNIT_ASSERT(unzip(object.second).at(0).second == asprof::test::readFile(asprof::test::dataFile("cpu-wall.jfr")));
		}
	}

	void testErrorCodeAndMessageAreSanitizedAndBounded()
	{
		LoopbackServer server([](const LoopbackServer::Request&, LoopbackServer::Response& response) {
			response.status = 403;
			response.body = "<Error><Code>Access\x1b[31mDenied</Code><Message>" + std::string(60000, 'm') +
				"\n2026-01-01 00:00:00 INFO forged line</Message></Error>";
		});
		auto reporter = startReporter({{"bucket", "b-1"}, {"endpoint", server.url("")}, {"pathStyle", "yes"}, {"region", "us-east-1"},
			{"accessKeyId", "AKIDTEST"}, {"secretAccessKey", "secret"}});
		const sdk::ReportResult result = reporter->report(asprof::test::makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Fail);
		CPPUNIT_ASSERT_MESSAGE(result.message.substr(0, 300), result.message.size() < 600);
		CPPUNIT_ASSERT(result.message.find('\x1b') == std::string::npos && result.message.find('\n') == std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(result.message.substr(0, 300), result.message.find("Access?[31mDenied") != std::string::npos);
	}

	void testOkWithAnErrorDocumentIsNotDelivered()
	{
		LoopbackServer server([](const LoopbackServer::Request&, LoopbackServer::Response& response) {
			response.status = 200;
			response.body = "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>try again</Message></Error>";
		});
		auto reporter = startReporter({{"bucket", "b-1"}, {"endpoint", server.url("")}, {"pathStyle", "yes"}, {"region", "us-east-1"},
			{"accessKeyId", "AKIDTEST"}, {"secretAccessKey", "secret"}});
		const sdk::ReportResult result = reporter->report(asprof::test::makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_MESSAGE(result.message, result.status == Status::Retry);
		CPPUNIT_ASSERT_MESSAGE(
			result.message, result.message.find("HTTP 200 with an <Error> document InternalError: try again") != std::string::npos);
	}

	void testRegionWithALineBreakNeverReachesAHeader()
	{
		// A region from host metadata (IMDS) goes into the signed Authorization header.
		LoopbackServer server;
		auto reporter = startReporter({{"bucket", "b-1"}, {"endpoint", server.url("")}, {"pathStyle", "yes"}, {"accessKeyId", "AKIDTEST"},
			{"secretAccessKey", "secret"}});
		asprof::test::ScopedEnv region("AWS_REGION", "");
		asprof::test::ScopedEnv defaultRegion("AWS_DEFAULT_REGION", "");
		sdk::Profile profile = asprof::test::makeProfile("cpu-wall.jfr");
		profile.host.setField("region", "us-east-1\r\nX-Injected: yes");
		const sdk::ReportResult result = reporter->report(profile);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.status == Status::Fail);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("is not an AWS region name") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
	}

private:
	std::unique_ptr<asprof::test::ScopedEnv> _env;

	// A ~2 MB multi-chunk recording: the zip is written once into a memory file, one read
	// of it gives both digests, and the body streamed from it is what they describe: the
	// signing proxy checks x-amz-content-sha256 against the body, and the object read back
	// holds the recording byte for byte.
	void testLargeRecordingUploadsWithMatchingDigests()
	{
		if (!harnessAvailable("testLargeRecordingUploadsWithMatchingDigests")) return;
		S3Harness s3;
		auto failures = std::make_shared<std::atomic<int>>(0);
		LoopbackServer front(forwardTo(s3.endpoint(), failures, 200, ""));
		auto reporter = startReporter(harnessKeys(s3, front.url("")));
		const std::string jfr = asprof::test::readFile(asprof::test::dataFile("fanout.jfr")) +
			asprof::test::readFile(asprof::test::dataFile("nativemem.jfr")) +
			asprof::test::readFile(asprof::test::dataFile("pollcatch.jfr"));
		Poco::TemporaryFile file;
		asprof::test::writeFile(file.path(), jfr);
		sdk::Profile profile = asprof::test::makeProfile("cpu-wall.jfr", 5);
		profile.recording = agent::FileRecording::fromFile(file.path());
		sdk::ReportResult result = reporter->report(profile);
		CPPUNIT_ASSERT_MESSAGE(result.message + "\n" + s3.log(), result.isOk());

		LoopbackServer::Request put = front.requests().at(0);
		const std::string zip = sdk::ProfileArchive::toString(profile, sdk::ProfileArchive::CL_FAST);
		CPPUNIT_ASSERT(put.body == zip);
		CPPUNIT_ASSERT_EQUAL(std::to_string(zip.size()), put.header("Content-Length"));
		CPPUNIT_ASSERT_EQUAL(plugins::aws::SigV4Signer::sha256Hex(zip), put.header("x-amz-content-sha256"));
		Poco::MD5Engine md5;
		md5.update(zip);
		std::ostringstream base64;
		Poco::Base64Encoder encoder(base64);
		const auto& digest = md5.digest();
		encoder.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
		encoder.close();
		CPPUNIT_ASSERT_EQUAL(base64.str(), put.header("Content-MD5"));
		auto objects = s3.readObjects();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), objects.size());
		auto entries = unzip(objects.begin()->second);
		CPPUNIT_ASSERT_EQUAL(std::string("async_profiler_dump_0.jfr"), entries.at(0).first);
		CPPUNIT_ASSERT(entries[0].second == jfr);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(S3ReporterTest);
