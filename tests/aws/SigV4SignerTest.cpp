//
// SigV4SignerTest.cpp
//
// The SigV4 signer against AWS's published vectors (tests/data/sigv4, see its
// README for the sources): the SigV4 test suite, the IAM ListUsers example and
// the S3 GET/PUT Object examples; plus the primitives it is built from.
//

#include "asprof/plugins/aws/SigV4Signer.h"
#include "TestSupport.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/DateTime.h"
#include "Poco/DateTimeFormat.h"
#include "Poco/DateTimeParser.h"
#include "Poco/DigestEngine.h"
#include "Poco/File.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/String.h"
#include "Poco/URI.h"

using asprof::plugins::aws::Credentials;
using asprof::plugins::aws::HeaderList;
using asprof::plugins::aws::SigningRequest;
using asprof::plugins::aws::SigV4Signer;

namespace {

const std::string EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Every vector directory in tests/data/sigv4.
const char* const CASES[] = {"get-header-key-duplicate", "get-header-value-multiline", "get-header-value-order", "get-header-value-trim",
	"get-relative-normalized", "get-relative-relative-normalized", "get-slash-dot-slash-normalized", "get-slash-normalized",
	"get-slash-pointless-dot-normalized", "get-slashes-normalized", "get-space-normalized", "get-unreserved", "get-utf8", "get-vanilla",
	"get-vanilla-empty-query-key", "get-vanilla-query", "get-vanilla-query-order-encoded", "get-vanilla-query-order-key-case",
	"get-vanilla-query-unreserved", "get-vanilla-utf8-query", "get-vanilla-with-session-token", "post-header-key-case",
	"post-header-key-sort", "post-header-value-case", "post-sts-header-before", "post-vanilla", "post-vanilla-empty-query-value",
	"post-vanilla-query", "post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters", "iam-list-users-doc", "s3-get-object-doc",
	"s3-put-object-doc"};

struct SigningCase
{
	std::string name;
	std::string region;
	std::string service;
	Poco::Timestamp time;
	Credentials credentials;
	SigningRequest request;
};

std::vector<std::string> split(const std::string& text, char separator)
{
	std::vector<std::string> parts;
	std::string::size_type start = 0;
	while (start <= text.size())
	{
		std::string::size_type end = text.find(separator, start);
		if (end == std::string::npos) end = text.size();
		parts.push_back(text.substr(start, end - start));
		start = end + 1;
	}
	return parts;
}

std::string caseFile(const std::string& name, const std::string& file)
{
	return asprof::test::dataFile("sigv4/" + name + "/" + file);
}

Poco::Timestamp parseTime(const std::string& text)
{
	int zone = 0;
	Poco::DateTime time = Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FORMAT, text, zone);
	time.makeUTC(zone);
	return time.timestamp();
}

// "GET /path?query HTTP/1.1", then "Name:value" lines (a line starting with
// white space continues the previous value), an empty line, the body.
void parseRequest(const std::string& text, SigningRequest& request, std::string& body)
{
	std::vector<std::string> lines = split(text, '\n');
	const std::string& requestLine = lines.at(0);
	request.method = requestLine.substr(0, requestLine.find(' '));
	std::string target = requestLine.substr(request.method.size() + 1, requestLine.rfind(" HTTP/") - request.method.size() - 1);
	request.path = target.substr(0, target.find('?'));
	if (target.find('?') != std::string::npos)
	{
		for (const auto& parameter : split(target.substr(target.find('?') + 1), '&'))
		{
			std::string name, value;
			Poco::URI::decode(parameter.substr(0, parameter.find('=')), name);
			if (parameter.find('=') != std::string::npos) Poco::URI::decode(parameter.substr(parameter.find('=') + 1), value);
			request.query.emplace_back(name, value);
		}
	}
	std::size_t line = 1;
	for (; line < lines.size() && !lines[line].empty(); ++line)
	{
		if (lines[line][0] == ' ' || lines[line][0] == '\t')
			request.headers.back().second += " " + lines[line];
		else
			request.headers.emplace_back(lines[line].substr(0, lines[line].find(':')), lines[line].substr(lines[line].find(':') + 1));
	}
	for (++line; line < lines.size(); ++line) body += lines[line] + (line + 1 < lines.size() ? "\n" : "");
}

SigningCase loadCase(const std::string& name)
{
	SigningCase signingCase;
	signingCase.name = name;
	Poco::JSON::Object::Ptr context =
		Poco::JSON::Parser().parse(asprof::test::readFile(caseFile(name, "context.json"))).extract<Poco::JSON::Object::Ptr>();
	Poco::JSON::Object::Ptr credentials = context->getObject("credentials");
	signingCase.credentials.accessKeyId = credentials->getValue<std::string>("access_key_id");
	signingCase.credentials.secretAccessKey = credentials->getValue<std::string>("secret_access_key");
	signingCase.credentials.sessionToken = credentials->optValue<std::string>("token", "");
	signingCase.region = context->getValue<std::string>("region");
	signingCase.service = context->getValue<std::string>("service");
	signingCase.time = parseTime(context->getValue<std::string>("timestamp"));

	std::string body;
	parseRequest(asprof::test::readFile(caseFile(name, "request.txt")), signingCase.request, body);
	signingCase.request.payloadHash = SigV4Signer::sha256Hex(body);
	// sign_body: the suite's signer adds x-amz-content-sha256; ours does so for s3 only.
	if (context->optValue<bool>("sign_body", false) && signingCase.service != "s3")
		signingCase.request.headers.emplace_back("X-Amz-Content-Sha256", signingCase.request.payloadHash);
	return signingCase;
}

std::string header(const HeaderList& headers, const std::string& name)
{
	for (const auto& header : headers)
		if (Poco::icompare(header.first, name) == 0) return header.second;
	return "";
}

// The Authorization line of header-signed-request.txt, when the case has one.
std::string expectedAuthorization(const std::string& name)
{
	std::string path = caseFile(name, "header-signed-request.txt");
	if (!Poco::File(path).exists()) return "";
	for (const auto& line : asprof::test::readLines(path))
		if (line.compare(0, 14, "Authorization:") == 0) return line.substr(14);
	return "";
}

std::string hex(const std::string& bytes)
{
	return Poco::DigestEngine::digestToHex(Poco::DigestEngine::Digest(bytes.begin(), bytes.end()));
}

} // namespace

class SigV4SignerTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SigV4SignerTest);
	CPPUNIT_TEST(testPublishedVectorsCanonicalRequestStringToSignAndSignature);
	CPPUNIT_TEST(testIamDocumentationExampleAuthorization);
	CPPUNIT_TEST(testS3GetObjectExampleAddsContentHashAndSignsIt);
	CPPUNIT_TEST(testSessionTokenIsAddedAndSigned);
	CPPUNIT_TEST(testS3PathIsSignedAsGiven);
	CPPUNIT_TEST(testOtherServicesEncodePathSegmentsTwice);
	CPPUNIT_TEST(testQueryIsEncodedAndSortedByNameThenValue);
	CPPUNIT_TEST(testRequestWithoutHostIsRejected);
	CPPUNIT_TEST(testUriEncode);
	CPPUNIT_TEST(testAmzDateAndDateStamp);
	CPPUNIT_TEST(testHmacSha256Rfc4231Case2);
	CPPUNIT_TEST(testSha256Hex);
	CPPUNIT_TEST_SUITE_END();

public:
	void testPublishedVectorsCanonicalRequestStringToSignAndSignature()
	{
		for (const char* name : CASES)
		{
			SigningCase signingCase = loadCase(name);
			SigV4Signer signer(signingCase.region, signingCase.service);
			HeaderList added = signer.sign(signingCase.request, signingCase.credentials, signingCase.time);

			// The headers sign() adds, except Authorization, are the ones it signed.
			HeaderList signedExtras(added.begin(), added.end() - 1);
			std::string canonical = signer.canonicalRequest(signingCase.request, signedExtras);
			std::string stringToSign = signer.stringToSign(canonical, signingCase.time);
			std::string signature = signer.signature(stringToSign, signingCase.credentials.secretAccessKey, signingCase.time);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(name, asprof::test::readFile(caseFile(name, "header-canonical-request.txt")), canonical);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(name, asprof::test::readFile(caseFile(name, "header-string-to-sign.txt")), stringToSign);
			std::string expectedSignature = Poco::trim(asprof::test::readFile(caseFile(name, "header-signature.txt")));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(name, expectedSignature, signature);

			std::string authorization = header(added, "Authorization");
			CPPUNIT_ASSERT_MESSAGE(name, authorization.size() > 64 && authorization.substr(authorization.size() - 64) == expectedSignature);
			std::string expected = expectedAuthorization(name);
			if (!expected.empty()) CPPUNIT_ASSERT_EQUAL_MESSAGE(name, expected, authorization);
		}
	}

	void testIamDocumentationExampleAuthorization()
	{
		SigningCase signingCase = loadCase("iam-list-users-doc");
		HeaderList added = SigV4Signer("us-east-1", "iam").sign(signingCase.request, signingCase.credentials, signingCase.time);
		HeaderList expected = {{"X-Amz-Date", "20150830T123600Z"},
			{"Authorization",
				"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
				"SignedHeaders=content-type;host;x-amz-date, "
				"Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"}};
		CPPUNIT_ASSERT(expected == added);
	}

	void testS3GetObjectExampleAddsContentHashAndSignsIt()
	{
		SigningCase signingCase = loadCase("s3-get-object-doc");
		HeaderList added = SigV4Signer("us-east-1", "s3").sign(signingCase.request, signingCase.credentials, signingCase.time);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), added.size());
		CPPUNIT_ASSERT_EQUAL(std::string("20130524T000000Z"), header(added, "X-Amz-Date"));
		CPPUNIT_ASSERT_EQUAL(EMPTY_SHA256, header(added, "X-Amz-Content-Sha256"));
		CPPUNIT_ASSERT_EQUAL(std::string("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
										 "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
										 "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
			header(added, "Authorization"));
	}

	void testSessionTokenIsAddedAndSigned()
	{
		SigningCase signingCase = loadCase("get-vanilla-with-session-token");
		HeaderList added = SigV4Signer("us-east-1", "service").sign(signingCase.request, signingCase.credentials, signingCase.time);
		CPPUNIT_ASSERT_EQUAL(std::string("X-Amz-Date"), added.at(0).first);
		CPPUNIT_ASSERT_EQUAL(std::string("X-Amz-Security-Token"), added.at(1).first);
		CPPUNIT_ASSERT_EQUAL(signingCase.credentials.sessionToken, added.at(1).second);
		CPPUNIT_ASSERT(added.at(2).second.find("SignedHeaders=host;x-amz-date;x-amz-security-token,") != std::string::npos);
		CPPUNIT_ASSERT(added.at(2).second.find(signingCase.credentials.secretAccessKey) == std::string::npos);
	}

	void testS3PathIsSignedAsGiven()
	{
		SigningRequest request{"PUT", "/bucket/a%20b/./c//d", {}, {{"Host", "s3.amazonaws.com"}}, "UNSIGNED-PAYLOAD"};
		std::string canonical = SigV4Signer("eu-west-1", "s3").canonicalRequest(request);
		CPPUNIT_ASSERT_EQUAL(std::string("PUT\n/bucket/a%20b/./c//d\n"), canonical.substr(0, canonical.find('\n', 4) + 1));
		CPPUNIT_ASSERT(canonical.substr(canonical.rfind('\n') + 1) == "UNSIGNED-PAYLOAD");
	}

	void testOtherServicesEncodePathSegmentsTwice()
	{
		SigningRequest request{"GET", "/a%20b/./c//d/../e", {}, {{"Host", "example.amazonaws.com"}}, EMPTY_SHA256};
		std::string canonical = SigV4Signer("eu-west-1", "service").canonicalRequest(request);
		CPPUNIT_ASSERT_EQUAL(std::string("GET\n/a%2520b/c/e\n"), canonical.substr(0, canonical.find('\n', 4) + 1));
		request.path = "";
		canonical = SigV4Signer("eu-west-1", "service").canonicalRequest(request);
		CPPUNIT_ASSERT_EQUAL(std::string("GET\n/\n"), canonical.substr(0, canonical.find('\n', 4) + 1));
	}

	void testQueryIsEncodedAndSortedByNameThenValue()
	{
		SigningRequest request{
			"GET", "/", {{"prefix", "a b/c"}, {"list-type", "2"}, {"a", "2"}, {"a", "1"}, {"empty", ""}}, {{"Host", "h"}}, EMPTY_SHA256};
		std::string canonical = SigV4Signer("eu-west-1", "s3").canonicalRequest(request);
		std::string query = split(canonical, '\n').at(2);
		CPPUNIT_ASSERT_EQUAL(std::string("a=1&a=2&empty=&list-type=2&prefix=a%20b%2Fc"), query);
	}

	void testRequestWithoutHostIsRejected()
	{
		SigningRequest request{"GET", "/", {}, {{"Accept", "*/*"}}, EMPTY_SHA256};
		CPPUNIT_ASSERT_THROW(SigV4Signer("eu-west-1", "s3").canonicalRequest(request), Poco::InvalidArgumentException);
	}

	void testUriEncode()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("AZaz09-_.~"), SigV4Signer::uriEncode("AZaz09-_.~", true));
		CPPUNIT_ASSERT_EQUAL(std::string("a%20b%2Bc%2Fd%3D%25%24"), SigV4Signer::uriEncode("a b+c/d=%$", true));
		CPPUNIT_ASSERT_EQUAL(std::string("a/b%2A"), SigV4Signer::uriEncode("a/b*", false));
		CPPUNIT_ASSERT_EQUAL(std::string("%E1%88%B4%00"), SigV4Signer::uriEncode(std::string("\xE1\x88\xB4\0", 4), true));
	}

	void testAmzDateAndDateStamp()
	{
		Poco::Timestamp time = parseTime("2015-08-30T12:36:00Z");
		CPPUNIT_ASSERT_EQUAL(std::string("20150830T123600Z"), SigV4Signer::amzDate(time));
		CPPUNIT_ASSERT_EQUAL(std::string("20150830"), SigV4Signer::dateStamp(time));
		CPPUNIT_ASSERT_EQUAL(std::string("20240101T000509Z"), SigV4Signer::amzDate(parseTime("2024-01-01T02:05:09+02:00")));
	}

	void testHmacSha256Rfc4231Case2()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
			hex(SigV4Signer::hmacSha256("Jefe", "what do ya want for nothing?")));
		// RFC 4231 test case 6: a key longer than the block size is hashed first.
		CPPUNIT_ASSERT_EQUAL(std::string("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
			hex(SigV4Signer::hmacSha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")));
	}

	void testSha256Hex()
	{
		CPPUNIT_ASSERT_EQUAL(EMPTY_SHA256, SigV4Signer::sha256Hex(""));
		CPPUNIT_ASSERT_EQUAL(std::string("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
			SigV4Signer::sha256Hex("Welcome to Amazon S3."));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(SigV4SignerTest);
