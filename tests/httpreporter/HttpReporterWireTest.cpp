//
// HttpReporterWireTest.cpp
//
// The bytes the http reporter puts on the wire, per format, read back by a
// loopback server: Pyroscope's query parameters and multipart form (checked by
// a strict reader, by Poco's HTMLForm and by a transcription of Pyroscope's
// label-set parser), gzip, raw mode's headers, zip mode's archive, placeholders,
// extra headers, tenant, and keep-alive.
//

#include "FileRecording.h"
#include "HttpReporterTestSupport.h"
#include "TestSupport.h"
#include "asprof/sdk/ProfileArchive.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Message.h"
#include "Poco/Net/HTMLForm.h"
#include "Poco/Net/HTTPRequest.h"
#include "Poco/Net/MessageHeader.h"
#include "Poco/Net/PartHandler.h"
#include "Poco/StreamCopier.h"
#include "Poco/TemporaryFile.h"
#include "Poco/Zip/ZipArchive.h"
#include "Poco/Zip/ZipStream.h"
#include <map>
#include <sstream>

using asprof::sdk::Profile;
using asprof::test::DirectTestFixture;
using asprof::test::LoopbackServer;
using asprof::test::makeProfile;
using asprof::test::queryParameter;
using asprof::test::startHttpReporter;
using asprof::test::testJfr;
using Labels = std::map<std::string, std::string>;

namespace {

LoopbackServer::Request reportOnce(LoopbackServer& server, const asprof::test::Keys& keys, const Profile& profile)
{
	auto reporter = startHttpReporter(keys);
	const asprof::sdk::ReportResult result = reporter->report(profile);
	CPPUNIT_ASSERT_MESSAGE(result.message, result.isOk());
	CPPUNIT_ASSERT_EQUAL(std::size_t(1), server.requestCount());
	return server.requests().at(0);
}

// Poco's own multipart reader: what it makes of the form's file parts.
class FileParts: public Poco::Net::PartHandler
{
public:
	void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override
	{
		std::string disposition;
		Poco::Net::NameValueCollection parameters;
		Poco::Net::MessageHeader::splitParameters(header.get("Content-Disposition"), disposition, parameters);
		std::string content;
		Poco::StreamCopier::copyToString(stream, content);
		parts.push_back({disposition, parameters.get("name", ""), parameters.get("filename", ""), header.get("Content-Type", ""), content});
	}

	struct Part
	{
		std::string disposition, name, filename, contentType, content;
	};
	std::vector<Part> parts;
};

} // namespace

class HttpReporterWireTest: public DirectTestFixture
{
	CPPUNIT_TEST_SUITE(HttpReporterWireTest);
	CPPUNIT_TEST(testPyroscopeQueryCarriesNameTimesFormatSpyAndSampleRate);
	CPPUNIT_TEST(testPyroscopeBodyIsAFormWhoseJfrPartIsTheGzippedRecording);
	CPPUNIT_TEST(testPyroscopeWithoutGzipSendsTheRecordingVerbatim);
	CPPUNIT_TEST(testLabelsAreMadeSafeForPyroscopesParser);
	CPPUNIT_TEST(testHostLabelsAndSampleRateAreConfigurable);
	CPPUNIT_TEST(testPyroscopeUrlKeepsItsPathAndQuery);
	CPPUNIT_TEST(testRawSendsTheRecordingWithTheFactsInHeaders);
	CPPUNIT_TEST(testRawWithGzipSetsContentEncoding);
	CPPUNIT_TEST(testZipPutsTheProfileArchive);
	CPPUNIT_TEST(testCompressionLevelSetsTheZipAndTheGzip);
	CPPUNIT_TEST(testPlaceholdersArePercentEncoded);
	CPPUNIT_TEST(testExtraHeadersTenantAndUserAgent);
	CPPUNIT_TEST(testTwoReportsShareOneKeptAliveConnection);
	CPPUNIT_TEST(testLargeRecordingIsStreamedWholeInEveryFormat);
	CPPUNIT_TEST_SUITE_END();

public:
	void testPyroscopeQueryCarriesNameTimesFormatSpyAndSampleRate()
	{
		LoopbackServer server;
		auto request = reportOnce(
			server, {{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}}, makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string("POST"), request.method);
		// Every value percent-encoded; start 1742488884.125 s, end 1742488914.125 s; interval=100000000 ns.
		CPPUNIT_ASSERT_EQUAL(std::string("/ingest?name=checkout%7Bservice%3Dcheckout%2Cenv%3Dtest%2Chostname%3Dtest-host%7D"
										 "&from=1742488884&until=1742488914&format=jfr&spyName=asprof-agent&sampleRate=10"),
			request.uri);
		CPPUNIT_ASSERT_EQUAL(std::size_t(6), asprof::test::queryParameters(request.uri).size());
		const std::string name = queryParameter(request.uri, "name");
		CPPUNIT_ASSERT_EQUAL(std::string("checkout{service=checkout,env=test,hostname=test-host}"), name);
		CPPUNIT_ASSERT_EQUAL(std::string("1742488884"), queryParameter(request.uri, "from"));
		CPPUNIT_ASSERT_EQUAL(std::string("1742488914"), queryParameter(request.uri, "until"));
		CPPUNIT_ASSERT_EQUAL(std::string("jfr"), queryParameter(request.uri, "format"));
		CPPUNIT_ASSERT_EQUAL(std::string("asprof-agent"), queryParameter(request.uri, "spyName"));
		CPPUNIT_ASSERT_EQUAL(std::string("10"), queryParameter(request.uri, "sampleRate"));
		const Labels expected = {{"__name__", "checkout"}, {"service", "checkout"}, {"env", "test"}, {"hostname", "test-host"}};
		CPPUNIT_ASSERT(expected == asprof::test::pyroscopeLabelSet(name));
	}

	void testPyroscopeBodyIsAFormWhoseJfrPartIsTheGzippedRecording()
	{
		LoopbackServer server;
		auto request = reportOnce(
			server, {{"url", server.url("/")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}}, makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string("/ingest"), request.uri.substr(0, request.uri.find('?')));
		CPPUNIT_ASSERT_EQUAL(std::string(), request.header("Content-Encoding")); // Pyroscope would not decode it
		CPPUNIT_ASSERT_EQUAL(std::to_string(request.body.size()), request.header("Content-Length"));
		auto parts = asprof::test::multipartParts(request.header("Content-Type"), request.body);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), parts.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), parts[0].headers.size());
		CPPUNIT_ASSERT_EQUAL(std::string("form-data; name=\"jfr\"; filename=\"jfr\""), parts[0].header("Content-Disposition"));
		CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), parts[0].header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string("\x1f\x8b"), parts[0].body.substr(0, 2)); // the magic Pyroscope looks for
		CPPUNIT_ASSERT(asprof::test::gunzip(parts[0].body) == testJfr());

		Poco::Net::HTTPRequest wire(request.method, request.uri, Poco::Net::HTTPMessage::HTTP_1_1);
		wire.setContentType(request.header("Content-Type"));
		std::istringstream in(request.body);
		FileParts files;
		Poco::Net::HTMLForm form(wire, in, files);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), files.parts.size());
		CPPUNIT_ASSERT_EQUAL(std::string("form-data"), files.parts[0].disposition);
		CPPUNIT_ASSERT_EQUAL(std::string("jfr"), files.parts[0].name);
		CPPUNIT_ASSERT_EQUAL(std::string("jfr"), files.parts[0].filename); // a file part: Pyroscope reads form.File["jfr"]
		CPPUNIT_ASSERT(files.parts[0].content == parts[0].body);
	}

	void testPyroscopeWithoutGzipSendsTheRecordingVerbatim()
	{
		LoopbackServer server;
		auto request = reportOnce(server, {{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}, {"gzip", "no"}},
			makeProfile("cpu-wall.jfr"));
		auto parts = asprof::test::multipartParts(request.header("Content-Type"), request.body);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), parts.size());
		CPPUNIT_ASSERT(parts[0].body == testJfr());
	}

	void testLabelsAreMadeSafeForPyroscopesParser()
	{
		LoopbackServer server;
		Profile profile = makeProfile("cpu-wall.jfr");
		profile.labels = {{"team.name", " a,b}c "}, {"9lives", "x=y{z"}, {"__name__", "evil"}, {"pyroscope_spy", "x"}, {"env", "prod"},
			{"env", "second"}, {"empty", "  "}, {"path", "/srv/app:1"}};
		profile.host.kind = "ec2";
		profile.host.fields = {{"instanceId", "i-0abc"}, {"region", "eu-west-1"}};
		asprof::test::LogCapture warnings("asprof.reporter.http", Poco::Message::PRIO_WARNING);
		auto request =
			reportOnce(server, {{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "team/check-out.v2"}}, profile);

		const std::string name = queryParameter(request.uri, "name");
		CPPUNIT_ASSERT_EQUAL(
			std::string("team/check-out.v2{team_name=a_b_c,_9lives=x_y_z,env=prod,path=/srv/app:1,instance_id=i-0abc}"), name);
		const Labels expected = {{"__name__", "team/check-out.v2"}, {"team_name", "a_b_c"}, {"_9lives", "x_y_z"}, {"env", "prod"},
			{"path", "/srv/app:1"}, {"instance_id", "i-0abc"}};
		CPPUNIT_ASSERT(expected == asprof::test::pyroscopeLabelSet(name));
		for (const char* dropped :
			{"__name__ (reserved by Pyroscope)", "pyroscope_spy (set by Pyroscope itself)", "env (duplicate name)", "empty (empty value)"})
			CPPUNIT_ASSERT_EQUAL_MESSAGE(warnings.text(), std::size_t(1), warnings.count(dropped));
	}

	void testHostLabelsAndSampleRateAreConfigurable()
	{
		LoopbackServer server;
		Profile profile = makeProfile("cpu-wall.jfr");
		profile.labels.clear();
		profile.host.kind = "ecs";
		profile.host.fields = {{"region", "us-east-1"}, {"taskArn", "arn:aws:ecs:us-east-1:111122223333:task/prod/0f1e"}};
		profile.profilerArgs = "event=cpu,interval=10ms,jfr";
		auto reporter = startHttpReporter(
			{{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "api"}, {"hostLabels", "taskArn, region"}});
		CPPUNIT_ASSERT(reporter->report(profile).isOk());
		std::string uri = server.requests().back().uri;
		CPPUNIT_ASSERT_EQUAL(
			std::string("api{task_arn=arn:aws:ecs:us-east-1:111122223333:task/prod/0f1e,region=us-east-1}"), queryParameter(uri, "name"));
		CPPUNIT_ASSERT_EQUAL(std::string("100"), queryParameter(uri, "sampleRate"));

		reporter = startHttpReporter(
			{{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "api"}, {"hostLabels", ""}, {"sampleRate", "250"}});
		CPPUNIT_ASSERT(reporter->report(profile).isOk());
		uri = server.requests().back().uri;
		CPPUNIT_ASSERT_EQUAL(std::string("api"), queryParameter(uri, "name"));
		CPPUNIT_ASSERT_EQUAL(std::string("250"), queryParameter(uri, "sampleRate"));
	}

	void testPyroscopeUrlKeepsItsPathAndQuery()
	{
		LoopbackServer server;
		auto reporter =
			startHttpReporter({{"url", server.url("/pyroscope/?orgId=7")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}});
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr")).isOk());
		CPPUNIT_ASSERT_EQUAL(std::string("/pyroscope/ingest?orgId=7&name="), server.requests().back().uri.substr(0, 31));
		reporter = startHttpReporter({{"url", server.url("/pyroscope/ingest")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}});
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr")).isOk());
		CPPUNIT_ASSERT_EQUAL(std::string("/pyroscope/ingest?name="), server.requests().back().uri.substr(0, 23));
	}

	void testRawSendsTheRecordingWithTheFactsInHeaders()
	{
		LoopbackServer server;
		Profile profile = makeProfile("cpu-wall.jfr", 7);
		profile.labels = {{"service", "check out"}, {"env", "a&b"}};
		auto request = reportOnce(server, {{"url", server.url("/profiles")}, {"format", "raw"}}, profile);
		CPPUNIT_ASSERT_EQUAL(std::string("POST"), request.method);
		CPPUNIT_ASSERT_EQUAL(std::string("/profiles"), request.uri);
		CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), request.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string(), request.header("Content-Encoding"));
		CPPUNIT_ASSERT(request.body == testJfr());
		const std::map<std::string, std::string> facts = {{"X-Asprof-Seq", "7"}, {"X-Asprof-Pid", "4242"},
			{"X-Asprof-Start", "1742488884125"}, {"X-Asprof-End", "1742488914125"}, {"X-Asprof-Reporting-Interval", "30000"},
			{"X-Asprof-Host-Kind", "onprem"}, {"X-Asprof-Host", "hostname=test-host"}, {"X-Asprof-Labels", "service=check%20out&env=a%26b"},
			{"X-Asprof-Profiler-Args", "event=cpu,interval=100000000,wall=1000ms,jfr,cstack=dwarf,log=stderr"}};
		for (const auto& fact : facts) CPPUNIT_ASSERT_EQUAL_MESSAGE(fact.first, fact.second, request.header(fact.first));
	}

	void testRawWithGzipSetsContentEncoding()
	{
		LoopbackServer server;
		auto request = reportOnce(server, {{"url", server.url("/p")}, {"format", "raw"}, {"gzip", "yes"}}, makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string("gzip"), request.header("Content-Encoding"));
		CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), request.header("Content-Type"));
		CPPUNIT_ASSERT(asprof::test::gunzip(request.body) == testJfr());
	}

	void testZipPutsTheProfileArchive()
	{
		LoopbackServer server;
		const Profile profile = makeProfile("cpu-wall.jfr", 3);
		auto request = reportOnce(server, {{"url", server.url("/archive/{seq}.zip")}, {"format", "zip"}, {"method", "PUT"}}, profile);
		CPPUNIT_ASSERT_EQUAL(std::string("PUT"), request.method);
		CPPUNIT_ASSERT_EQUAL(std::string("/archive/3.zip"), request.uri);
		CPPUNIT_ASSERT_EQUAL(std::string("application/zip"), request.header("Content-Type"));
		CPPUNIT_ASSERT_EQUAL(std::string(), request.header("Content-Encoding"));
		CPPUNIT_ASSERT(request.body == asprof::sdk::ProfileArchive::toString(profile, asprof::sdk::ProfileArchive::CL_FAST)); // the default
		CPPUNIT_ASSERT_EQUAL(std::string(), request.header("X-Asprof-Seq")); // the facts are in metadata.json
	}

	void testCompressionLevelSetsTheZipAndTheGzip()
	{
		LoopbackServer server;
		const Profile profile = makeProfile("cpu-wall.jfr", 3);
		const std::string zip = asprof::sdk::ProfileArchive::toString(profile, asprof::sdk::ProfileArchive::CL_BEST);
		auto best =
			reportOnce(server, {{"url", server.url("/p")}, {"format", "zip"}, {"gzip", "yes"}, {"compressionLevel", "best"}}, profile);
		CPPUNIT_ASSERT_EQUAL(std::string("gzip"), best.header("Content-Encoding"));
		CPPUNIT_ASSERT(asprof::test::gunzip(best.body) == zip);
		// The gzip header's XFL byte says which level: 2 for zlib's 9, 4 for its 1.
		CPPUNIT_ASSERT_EQUAL(2, static_cast<int>(static_cast<unsigned char>(best.body.at(8))));
		LoopbackServer other;
		auto fast = reportOnce(other, {{"url", other.url("/p")}, {"format", "raw"}, {"gzip", "yes"}}, profile);
		CPPUNIT_ASSERT_EQUAL(4, static_cast<int>(static_cast<unsigned char>(fast.body.at(8))));
		CPPUNIT_ASSERT(asprof::test::gunzip(fast.body) == testJfr());
	}

	void testPlaceholdersArePercentEncoded()
	{
		LoopbackServer server;
		Profile profile = makeProfile("cpu-wall.jfr", 12);
		profile.host.kind = "ecs";
		profile.host.fields = {{"taskArn", "arn:aws:ecs:r:1:task/c/id"}, {"region", "r"}};
		auto request = reportOnce(server,
			{{"url", server.url("/p/{hostKind}/{taskArn}/{pid}-{seq}?from={start}&to={end}&i={instanceId}&h={hostname}&r={region}")},
				{"format", "raw"}},
			profile);
		CPPUNIT_ASSERT_EQUAL(
			std::string("/p/ecs/arn%3Aaws%3Aecs%3Ar%3A1%3Atask%2Fc%2Fid/4242-12?from=1742488884125&to=1742488914125&i=&h=&r=r"),
			request.uri);
	}

	void testExtraHeadersTenantAndUserAgent()
	{
		LoopbackServer server;
		auto request = reportOnce(server,
			{{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}, {"headers.X-Team", "blue team"},
				{"headers.X-Request-Source", "agent"}, {"tenant", "acme-prod"}},
			makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string("blue team"), request.header("X-Team"));
		CPPUNIT_ASSERT_EQUAL(std::string("agent"), request.header("X-Request-Source"));
		CPPUNIT_ASSERT_EQUAL(std::string("acme-prod"), request.header("X-Scope-OrgID"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), request.header("User-Agent").find("asprof-agent/"));
		CPPUNIT_ASSERT_EQUAL(std::string(), request.header("Authorization"));

		LoopbackServer other;
		auto own =
			reportOnce(other, {{"url", other.url("")}, {"format", "pyroscope-jfr"}, {"appName", "a"}, {"headers.User-Agent", "mine/1"}},
				makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string("mine/1"), own.header("User-Agent"));
	}

	void testTwoReportsShareOneKeptAliveConnection()
	{
		LoopbackServer server;
		auto reporter = startHttpReporter({{"url", server.url("")}, {"format", "pyroscope-jfr"}, {"appName", "checkout"}});
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr", 1)).isOk());
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr", 2)).isOk());
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), server.requestCount());
		CPPUNIT_ASSERT_EQUAL(1, server.totalConnections());
	}

	// A ~2 MB multi-chunk recording, streamed (raw from its file, zip and gzip from a
	// memory file): every body is the recording, or its archive, byte for byte.
	void testLargeRecordingIsStreamedWholeInEveryFormat()
	{
		const std::string jfr = asprof::test::readFile(asprof::test::dataFile("fanout.jfr")) +
			asprof::test::readFile(asprof::test::dataFile("nativemem.jfr")) +
			asprof::test::readFile(asprof::test::dataFile("pollcatch.jfr"));
		Poco::TemporaryFile file;
		asprof::test::writeFile(file.path(), jfr);
		Profile profile = makeProfile("cpu-wall.jfr", 9);
		profile.recording = asprof::agent::FileRecording::fromFile(file.path());
		const std::string zip = asprof::sdk::ProfileArchive::toString(profile, asprof::sdk::ProfileArchive::CL_FAST);
		{
			LoopbackServer server;
			auto raw = reportOnce(server, {{"url", server.url("/raw")}, {"format", "raw"}}, profile);
			CPPUNIT_ASSERT_EQUAL(std::to_string(jfr.size()), raw.header("Content-Length"));
			CPPUNIT_ASSERT(raw.body == jfr);
		}
		{
			LoopbackServer server;
			auto zipped = reportOnce(server, {{"url", server.url("/zip")}, {"format", "zip"}}, profile);
			CPPUNIT_ASSERT(zipped.body == zip);
			std::istringstream in(zipped.body);
			Poco::Zip::ZipArchive archive(in);
			auto entry = archive.findHeader(asprof::sdk::ProfileArchive::JFR_ENTRY);
			CPPUNIT_ASSERT(entry != archive.headerEnd());
			std::istringstream data(zipped.body);
			Poco::Zip::ZipInputStream unzipped(data, entry->second);
			std::string content;
			Poco::StreamCopier::copyToString(unzipped, content);
			CPPUNIT_ASSERT(unzipped.crcValid());
			CPPUNIT_ASSERT(content == jfr);
		}
		{
			LoopbackServer server;
			auto gzipped = reportOnce(server, {{"url", server.url("/zip")}, {"format", "zip"}, {"gzip", "yes"}}, profile);
			CPPUNIT_ASSERT_EQUAL(std::string("gzip"), gzipped.header("Content-Encoding"));
			CPPUNIT_ASSERT(asprof::test::gunzip(gzipped.body) == zip);
		}
		{
			LoopbackServer server;
			auto gzipped = reportOnce(server, {{"url", server.url("/raw")}, {"format", "raw"}, {"gzip", "yes"}}, profile);
			CPPUNIT_ASSERT(asprof::test::gunzip(gzipped.body) == jfr);
		}
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpReporterWireTest);
