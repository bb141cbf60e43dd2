//
// S3HarnessTest.cpp
//
// The S3 harness the s3 reporter tests rely on: its checking endpoint refuses
// what is not correctly signed, and what s3rver holds is read back intact.
//

#include "LoopbackServer.h"
#include "S3Harness.h"
#include "TestSupport.h"
#include "asprof/plugins/HttpClient.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/DigestEngine.h"
#include "Poco/SHA2Engine.h"
#include <iostream>

using asprof::plugins::HttpClient;
using asprof::plugins::HttpOptions;
using asprof::plugins::HttpRequest;
using asprof::plugins::HttpResponse;
using asprof::test::DirectTestFixture;
using asprof::test::S3Harness;

namespace {

bool harnessAvailable()
{
	std::string why;
	if (S3Harness::available(why)) return true;
	std::cout << "\nSKIPPED: http-tests S3 harness: " << why << std::endl;
	return false;
}

std::string sha256Hex(const std::string& bytes)
{
	Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
	engine.update(bytes);
	return Poco::DigestEngine::digestToHex(engine.digest());
}

HttpRequest put(const std::string& url, const std::string& body)
{
	HttpRequest request;
	request.method = "PUT";
	request.uri = Poco::URI(url);
	request.body = body;
	return request;
}

// A request shaped like a SigV4 one (date, scope, payload hash) whose signature is wrong.
HttpRequest badlySigned(const S3Harness& s3, const std::string& key, const std::string& body, const std::string& payloadHash)
{
	const Poco::Timestamp now;
	const std::string amzDate = Poco::DateTimeFormatter::format(now, "%Y%m%dT%H%M%SZ");
	HttpRequest request = put(s3.endpoint() + "/" + s3.bucket() + "/" + key, body);
	request.headers = {{"x-amz-date", amzDate}, {"x-amz-content-sha256", payloadHash},
		{"Authorization",
			"AWS4-HMAC-SHA256 Credential=" + s3.accessKey() + "/" + amzDate.substr(0, 8) +
				"/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" + std::string(64, '0')}};
	return request;
}

void assertS3Error(const HttpResponse& response, int status, const std::string& code)
{
	CPPUNIT_ASSERT_EQUAL_MESSAGE(response.body, status, response.status);
	CPPUNIT_ASSERT_MESSAGE(response.body, response.body.find("<Error><Code>" + code + "</Code><Message>") != std::string::npos);
}

} // namespace

class S3HarnessTest: public DirectTestFixture
{
	CPPUNIT_TEST_SUITE(S3HarnessTest);
	CPPUNIT_TEST(testRequestsNotSignedCorrectlyAreRefusedAndNeverStored);
	CPPUNIT_TEST(testObjectsInS3rverAreReadBackByteIdenticalWithTheirContentType);
	CPPUNIT_TEST_SUITE_END();

public:
	void testRequestsNotSignedCorrectlyAreRefusedAndNeverStored()
	{
		if (!harnessAvailable()) return;
		S3Harness s3("profiles-test", "AKIDTEST", "harness-secret");
		HttpClient client{HttpOptions()};
		const std::string body = "profile bytes";

		assertS3Error(client.send(put(s3.endpoint() + "/profiles-test/unsigned.zip", body)), 403, "AccessDenied");
		assertS3Error(client.send(badlySigned(s3, "forged.zip", body, sha256Hex(body))), 403, "SignatureDoesNotMatch");
		assertS3Error(client.send(badlySigned(s3, "tampered.zip", body, sha256Hex("other bytes"))), 400, "XAmzContentSHA256Mismatch");

		CPPUNIT_ASSERT(s3.readObjects().empty());
		CPPUNIT_ASSERT_MESSAGE(s3.log(), s3.log().find("403 SignatureDoesNotMatch") != std::string::npos);
	}

	void testObjectsInS3rverAreReadBackByteIdenticalWithTheirContentType()
	{
		if (!harnessAvailable()) return;
		S3Harness s3;
		HttpClient client{HttpOptions()};
		std::string bytes;
		for (int i = 0; i < 256 * 4; ++i) bytes.push_back(static_cast<char>(i % 256));
		HttpRequest request = put(s3.s3rverEndpoint() + "/" + s3.bucket() + "/profiles/profile_1.zip", bytes);
		request.headers = {{"Content-Type", "application/zip"}, {"x-amz-meta-seq", "7"}};
		CPPUNIT_ASSERT_EQUAL(200, client.send(request).status);

		const auto objects = s3.readObjectsWithMetadata();

		CPPUNIT_ASSERT_EQUAL(std::size_t(1), objects.size());
		const S3Harness::Object& object = objects.at("profiles/profile_1.zip");
		CPPUNIT_ASSERT(object.bytes == bytes);
		CPPUNIT_ASSERT_EQUAL(std::string("application/zip"), object.contentType);
		CPPUNIT_ASSERT_EQUAL(std::string("7"), object.metadata.at("seq"));
		CPPUNIT_ASSERT(s3.readObjects().at("profiles/profile_1.zip") == bytes);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(S3HarnessTest);
