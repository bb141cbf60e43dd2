//
// HttpReporterPprofTest.cpp
//
// format = pyroscope and format = pprof: what arrives at a loopback server is
// read back the way the receiver reads it (Pyroscope: query parameters, the
// multipart form's file part "profile", the pprof's sample types naming the
// profile type) and decoded (gunzip + profile.proto), and its totals are the
// recording's facts (tests/data, /work/shared/jfr/README.md): samples x the
// interval the recording names. Partial delivery, too-old profiles, bad input
// and configuration errors.
//

#include "HttpReporterTestSupport.h"
#include "PprofReader.h"
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/AgentConfig.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Logger.h"
#include "Poco/Message.h"
#include <memory>
#include <mutex>
#include <map>

using asprof::sdk::Profile;
using asprof::sdk::ReportResult;
using asprof::test::DecodedPprof;
using asprof::test::DirectTestFixture;
using asprof::test::LoopbackServer;
using asprof::test::makeProfile;
using asprof::test::queryParameter;
using asprof::test::startHttpReporter;
using Status = asprof::sdk::ReportResult::Status;

namespace {

// Facts of the shared recordings (/work/shared/jfr/README.md). cpu-wall.jfr:
// interval=10ms, wall=100ms; 597 jdk.ExecutionSample events, 159
// profiler.WallClockSample events whose samples fields sum to 210.
const std::int64_t MS = 1000000;
const std::int64_t CPU_WALL_CPU_SAMPLES = 597;
const std::int64_t CPU_WALL_WALL_SAMPLES = 210;
// nativemem.jfr: the same intervals; 594 cpu, wall samples summing to 240,
// 1313 profiler.Malloc events of 5378048 bytes in all.
const std::int64_t NATIVEMEM_CPU_SAMPLES = 594;
const std::int64_t NATIVEMEM_WALL_SAMPLES = 240;
const std::int64_t NATIVEMEM_MALLOCS = 1313;
const std::int64_t NATIVEMEM_MALLOC_BYTES = 5378048;

// The profile part of a Pyroscope form, checked as Pyroscope reads the request
// (ingest_handler.go: no format= and a multipart Content-Type -> pprof form;
// pprof/profile.go loadPprofFromForm + form.ReadField: the *file* part "profile").
DecodedPprof pyroscopeProfileOf(const LoopbackServer::Request& request)
{
	CPPUNIT_ASSERT_EQUAL(std::string("POST"), request.method);
	for (const auto& parameter : asprof::test::queryParameters(request.uri))
		CPPUNIT_ASSERT_MESSAGE("format= would make Pyroscope take the whole body as the profile", parameter.first != "format");
	const std::string contentType = request.header("Content-Type");
	CPPUNIT_ASSERT(contentType.find("multipart/form-data") != std::string::npos);
	const auto parts = asprof::test::multipartParts(contentType, request.body);
	CPPUNIT_ASSERT_EQUAL(std::size_t(1), parts.size());
	const std::string disposition = parts[0].header("Content-Disposition");
	CPPUNIT_ASSERT_MESSAGE(disposition, disposition.find("form-data; name=\"profile\"; filename=\"") == 0);
	return asprof::test::decodePprof(parts[0].body);
}

void assertTimeProfile(const DecodedPprof& profile, const std::string& type, std::int64_t samples, std::int64_t periodNanos)
{
	CPPUNIT_ASSERT_EQUAL("samples/count," + type + "/nanoseconds", profile.sampleTypeText());
	CPPUNIT_ASSERT_EQUAL(type, profile.periodType.first);
	CPPUNIT_ASSERT_EQUAL(std::string("nanoseconds"), profile.periodType.second);
	CPPUNIT_ASSERT_EQUAL(periodNanos, profile.period);
	CPPUNIT_ASSERT_EQUAL(samples, profile.totals.at(0));
	CPPUNIT_ASSERT_EQUAL(samples * periodNanos, profile.totals.at(1)); // what Pyroscope sums and shows
	CPPUNIT_ASSERT(profile.timeNanos > 1500000000LL * 1000000000LL);   // not 1970: Pyroscope keeps it (fixTime)
}

std::vector<LoopbackServer::Request> reportAll(LoopbackServer& server, const asprof::test::Keys& keys, const Profile& profile)
{
	auto reporter = startHttpReporter(keys);
	const ReportResult result = reporter->report(profile);
	CPPUNIT_ASSERT_MESSAGE(result.message, result.isOk());
	return server.requests();
}

// Answers 200, except per path prefix the statuses listed (one per request, then 200).
LoopbackServer::Handler scripted(std::map<std::string, std::vector<int>> statuses, const std::string& body = "")
{
	auto script = std::make_shared<std::map<std::string, std::vector<int>>>(std::move(statuses));
	auto lock = std::make_shared<std::mutex>();
	return [script, lock, body](const LoopbackServer::Request& request, LoopbackServer::Response& response) {
		std::lock_guard<std::mutex> guard(*lock);
		for (auto& entry : *script)
		{
			if (request.uri.compare(0, entry.first.size(), entry.first) != 0 || entry.second.empty()) continue;
			response.status = entry.second.front();
			entry.second.erase(entry.second.begin());
			response.body = response.status == 200 ? "" : body;
			return;
		}
		response.status = 200;
	};
}

} // namespace

class HttpReporterPprofTest: public DirectTestFixture
{
	CPPUNIT_TEST_SUITE(HttpReporterPprofTest);
	CPPUNIT_TEST(testPyroscopeGetsOneFormPerEventTypeWithTheRecordingsTotals);
	CPPUNIT_TEST(testPyroscopeNamesCpuAndWallProfilesFromTheirSampleTypes);
	CPPUNIT_TEST(testPyroscopeQueryHasTheAppNameLabelsAndTimesWithoutSampleRate);
	CPPUNIT_TEST(testPyroscopeGetsNativeMemoryAsAMemoryProfile);
	CPPUNIT_TEST(testPprofPutsEachTypeAtItsOwnUrlWithTheFactsInHeaders);
	CPPUNIT_TEST(testPprofGzipNoSendsThePlainProfileProto);
	CPPUNIT_TEST(testRetrySendsOnlyThePartsNotYetTakenAndDoesNotConvertAgain);
	CPPUNIT_TEST(testAFailedPartFailsTheProfileNamingThatPart);
	CPPUNIT_TEST(testTooOldProfilesFailOnceEachAndAreCountedInOneLogLine);
	CPPUNIT_TEST(testATooOldProfileRefusedOverARetryCountsOnce);
	CPPUNIT_TEST(testARecordingWithoutSamplesSendsNothing);
	CPPUNIT_TEST(testAnUnreadableRecordingFailsWithoutSending);
	CPPUNIT_TEST(testConfigErrorsNameTheKey);
	CPPUNIT_TEST(testAgentFeedsPyroscopeCpuAndWallEveryIntervalThroughThePlugin);
	CPPUNIT_TEST_SUITE_END();

public:
	void testPyroscopeGetsOneFormPerEventTypeWithTheRecordingsTotals()
	{
		LoopbackServer server;
		const auto requests = reportAll(server, {{"url", server.url("")}, {"appName", "checkout"}}, makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), requests.size());
		assertTimeProfile(pyroscopeProfileOf(requests[0]), "cpu", CPU_WALL_CPU_SAMPLES, 10 * MS);
		assertTimeProfile(pyroscopeProfileOf(requests[1]), "wall", CPU_WALL_WALL_SAMPLES, 100 * MS);
	}

	void testPyroscopeNamesCpuAndWallProfilesFromTheirSampleTypes()
	{
		LoopbackServer server;
		const auto requests = reportAll(server, {{"url", server.url("")}, {"appName", "checkout"}}, makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string("process_cpu"), asprof::test::pyroscopeMetricName(pyroscopeProfileOf(requests.at(0))));
		CPPUNIT_ASSERT_EQUAL(std::string("wall"), asprof::test::pyroscopeMetricName(pyroscopeProfileOf(requests.at(1))));
	}

	void testPyroscopeQueryHasTheAppNameLabelsAndTimesWithoutSampleRate()
	{
		LoopbackServer server;
		Profile profile = makeProfile("cpu-wall.jfr");
		profile.labels = {{"env", "prod"}};
		profile.start = Poco::Timestamp::fromEpochTime(1742488884);
		profile.end = Poco::Timestamp::fromEpochTime(1742488914);
		const auto requests = reportAll(server, {{"url", server.url("/base?orgId=7")}, {"appName", "checkout"}, {"tenant", "t1"}}, profile);
		for (const auto& request : requests)
		{
			CPPUNIT_ASSERT_EQUAL(std::string("/base/ingest?orgId=7&name="), request.uri.substr(0, 26));
			const std::string name = queryParameter(request.uri, "name");
			// service_name is the whole name for pprof: no ".cpu" suffix (profile.go createLabels).
			const std::map<std::string, std::string> labels = asprof::test::pyroscopeLabelSet(name);
			CPPUNIT_ASSERT_EQUAL(std::string("checkout"), labels.at("__name__"));
			CPPUNIT_ASSERT_EQUAL(std::string("prod"), labels.at("env"));
			CPPUNIT_ASSERT_EQUAL(std::string("1742488884"), queryParameter(request.uri, "from"));
			CPPUNIT_ASSERT_EQUAL(std::string("1742488914"), queryParameter(request.uri, "until"));
			CPPUNIT_ASSERT_EQUAL(std::string("asprof-agent"), queryParameter(request.uri, "spyName"));
			for (const auto& parameter : asprof::test::queryParameters(request.uri)) CPPUNIT_ASSERT(parameter.first != "sampleRate");
			CPPUNIT_ASSERT_EQUAL(std::string("t1"), request.header("X-Scope-OrgID"));
		}
	}

	void testPyroscopeGetsNativeMemoryAsAMemoryProfile()
	{
		LoopbackServer server;
		const auto requests = reportAll(server, {{"url", server.url("")}, {"appName", "checkout"}}, makeProfile("nativemem.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), requests.size());
		assertTimeProfile(pyroscopeProfileOf(requests[0]), "cpu", NATIVEMEM_CPU_SAMPLES, 10 * MS);
		assertTimeProfile(pyroscopeProfileOf(requests[1]), "wall", NATIVEMEM_WALL_SAMPLES, 100 * MS);
		const DecodedPprof alloc = pyroscopeProfileOf(requests[2]);
		CPPUNIT_ASSERT_EQUAL(std::string("alloc_objects/count,alloc_space/bytes"), alloc.sampleTypeText());
		CPPUNIT_ASSERT_EQUAL(NATIVEMEM_MALLOCS, alloc.totals.at(0));
		CPPUNIT_ASSERT_EQUAL(NATIVEMEM_MALLOC_BYTES, alloc.totals.at(1));
		CPPUNIT_ASSERT_EQUAL(std::string("memory"), asprof::test::pyroscopeMetricName(alloc));
	}

	void testPprofPutsEachTypeAtItsOwnUrlWithTheFactsInHeaders()
	{
		LoopbackServer server;
		const Profile profile = makeProfile("cpu-wall.jfr", 42);
		const auto requests =
			reportAll(server, {{"url", server.url("/upload/{type}.pb.gz?seq={seq}")}, {"format", "pprof"}, {"method", "PUT"}}, profile);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), requests.size());
		const char* const types[] = {"cpu", "wall"};
		for (std::size_t i = 0; i < 2; ++i)
		{
			const auto& request = requests[i];
			CPPUNIT_ASSERT_EQUAL(std::string("PUT"), request.method);
			CPPUNIT_ASSERT_EQUAL("/upload/" + std::string(types[i]) + ".pb.gz?seq=42", request.uri);
			CPPUNIT_ASSERT_EQUAL(std::string(types[i]), request.header("X-Asprof-Profile-Type"));
			CPPUNIT_ASSERT_EQUAL(std::string("42"), request.header("X-Asprof-Seq"));
			CPPUNIT_ASSERT_EQUAL(std::to_string(profile.pid), request.header("X-Asprof-Pid"));
			CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), request.header("Content-Type"));
			CPPUNIT_ASSERT_EQUAL(std::string(""), request.header("Content-Encoding")); // gzip is the pprof file's own
			CPPUNIT_ASSERT_EQUAL(std::string("\x1f\x8b"), request.body.substr(0, 2));
		}
		assertTimeProfile(asprof::test::decodePprof(requests[0].body), "cpu", CPU_WALL_CPU_SAMPLES, 10 * MS);
		assertTimeProfile(asprof::test::decodePprof(requests[1].body), "wall", CPU_WALL_WALL_SAMPLES, 100 * MS);
	}

	void testPprofGzipNoSendsThePlainProfileProto()
	{
		LoopbackServer server;
		const auto requests =
			reportAll(server, {{"url", server.url("/p")}, {"format", "pprof"}, {"gzip", "no"}}, makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), requests.size());
		CPPUNIT_ASSERT(requests[0].body.substr(0, 2) != "\x1f\x8b");
		assertTimeProfile(asprof::test::decodePprof(requests[0].body), "cpu", CPU_WALL_CPU_SAMPLES, 10 * MS);
	}

	void testRetrySendsOnlyThePartsNotYetTakenAndDoesNotConvertAgain()
	{
		LoopbackServer server(scripted({{"/p/wall", {503}}}));
		auto reporter = startHttpReporter({{"url", server.url("/p/{type}")}, {"format", "pprof"}});
		const Profile profile = makeProfile("cpu-wall.jfr");
		const ReportResult first = reporter->report(profile);
		CPPUNIT_ASSERT(first.status == Status::Retry);
		CPPUNIT_ASSERT(first.message.find("(wall)") != std::string::npos);
		const ReportResult second = reporter->report(profile);
		CPPUNIT_ASSERT_MESSAGE(second.message, second.isOk());
		const auto requests = server.requests();
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), requests.size());
		CPPUNIT_ASSERT_EQUAL(std::string("/p/cpu"), requests[0].uri);
		CPPUNIT_ASSERT_EQUAL(std::string("/p/wall"), requests[1].uri);
		CPPUNIT_ASSERT_EQUAL(std::string("/p/wall"), requests[2].uri);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), reporter->pprofDelivery().conversions());
		// The next profile is converted and sent whole.
		CPPUNIT_ASSERT(reporter->report(makeProfile("cpu-wall.jfr", 2)).isOk());
		CPPUNIT_ASSERT_EQUAL(std::size_t(5), server.requestCount());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), reporter->pprofDelivery().conversions());
	}

	void testAFailedPartFailsTheProfileNamingThatPart()
	{
		LoopbackServer server(scripted({{"/p/cpu", {400}}}, "bad profile"));
		auto reporter = startHttpReporter({{"url", server.url("/p/{type}")}, {"format", "pprof"}});
		const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Fail);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("/p/cpu (cpu): HTTP 400") != std::string::npos);
		CPPUNIT_ASSERT(result.message.find("bad profile") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), server.requestCount()); // the wall part still went
		CPPUNIT_ASSERT(result.message.find("(wall)") == std::string::npos);
	}

	void testTooOldProfilesFailOnceEachAndAreCountedInOneLogLine()
	{
		// What /ingest answers for a profile before now - reject_older_than
		// (pkg/validation/validate.go NotInIngestionWindowErrorMsg; the handler's 422).
		LoopbackServer server(asprof::test::answer(422,
			"profile with labels '{__name__=\"process_cpu\", service_name=\"checkout\"}' is outside of ingestion window "
			"(profile timestamp: 2025-03-20T16:41:24.000Z, the ingestion window starts at 2025-03-20T18:00:00.000Z)"));
		asprof::test::LogCapture log("asprof.reporter.http", Poco::Message::PRIO_WARNING);
		auto reporter = startHttpReporter({{"url", server.url("")}, {"appName", "checkout"}});
		std::string message;
		for (std::uint64_t seq = 1; seq <= 3; ++seq)
		{
			const ReportResult result = reporter->report(makeProfile("cpu-wall.jfr", seq));
			CPPUNIT_ASSERT(result.status == Status::Fail);
			CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("older than its ingestion window") != std::string::npos);
			if (seq > 1) CPPUNIT_ASSERT_EQUAL(message, result.message); // one cause for the lane's once-per-cause log
			message = result.message;
		}
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), reporter->tooOldProfiles().total()); // profiles, not parts
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("Pyroscope refused profile 1 of"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), log.count("refused 3 profile(s)"));
		reporter->stop();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("Pyroscope refused 3 profile(s) as older than its ingestion window"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), log.count("Pyroscope refused"));
	}

	// One profile whose parts are refused over two report() calls (cpu too
	// old, wall 503, then wall too old) is one profile refused, not two.
	void testATooOldProfileRefusedOverARetryCountsOnce()
	{
		LoopbackServer server(scripted({{"/ingest", {422, 503, 422}}}, "profile is outside of ingestion window"));
		auto reporter = startHttpReporter({{"url", server.url("")}, {"appName", "checkout"}});
		const Profile profile = makeProfile("cpu-wall.jfr");
		CPPUNIT_ASSERT(reporter->report(profile).status == Status::Retry);
		const ReportResult second = reporter->report(profile);
		CPPUNIT_ASSERT_MESSAGE(second.message, second.status == Status::Fail);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), server.requestCount());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), reporter->tooOldProfiles().total());
	}

	void testARecordingWithoutSamplesSendsNothing()
	{
		LoopbackServer server;
		auto reporter = startHttpReporter({{"url", server.url("")}, {"appName", "checkout"}});
		CPPUNIT_ASSERT(reporter->report(makeProfile("empty-ish.jfr")).isOk());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
	}

	void testAnUnreadableRecordingFailsWithoutSending()
	{
		LoopbackServer server;
		auto reporter = startHttpReporter({{"url", server.url("")}, {"appName", "checkout"}});
		const ReportResult result = reporter->report(makeProfile("garbage.jfr"));
		CPPUNIT_ASSERT(result.status == Status::Fail);
		CPPUNIT_ASSERT_MESSAGE(result.message, result.message.find("recording of profile 1") != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), server.requestCount());
	}

	void testConfigErrorsNameTheKey()
	{
		using asprof::test::httpConfigError;
		const std::string url = "http://127.0.0.1:1";
		const std::string format = httpConfigError({{"url", url}, {"format", "protobuf"}});
		CPPUNIT_ASSERT_MESSAGE(format,
			format.find("[reporter.http] format = protobuf: expected one of pyroscope | pyroscope-jfr | pprof | raw | zip") !=
				std::string::npos);
		const std::string sampleRate = httpConfigError({{"url", url}, {"appName", "a"}, {"sampleRate", "100"}});
		CPPUNIT_ASSERT_MESSAGE(sampleRate, sampleRate.find("[reporter.http] sampleRate = 100") != std::string::npos);
		CPPUNIT_ASSERT(sampleRate.find("pyroscope-jfr only") != std::string::npos);
		const std::string type = httpConfigError({{"url", url + "/{type}"}, {"format", "raw"}});
		CPPUNIT_ASSERT_MESSAGE(type, type.find("[reporter.http] url = ") != std::string::npos);
		CPPUNIT_ASSERT(type.find("format = pprof only") != std::string::npos);
		const std::string appName = httpConfigError({{"url", url}, {"format", "pprof"}, {"appName", "a"}});
		CPPUNIT_ASSERT_MESSAGE(appName, appName.find("[reporter.http] appName = a") != std::string::npos);
		const std::string missing = httpConfigError({{"url", url}, {"format", "pyroscope"}});
		CPPUNIT_ASSERT_MESSAGE(missing, missing.find("[reporter.http] appName") != std::string::npos);
		// The JFR ingest keeps its sampleRate.
		CPPUNIT_ASSERT_EQUAL(100u,
			startHttpReporter({{"url", url}, {"format", "pyroscope-jfr"}, {"appName", "a"}, {"sampleRate", "100"}})->options().sampleRate);
	}

	void testAgentFeedsPyroscopeCpuAndWallEveryIntervalThroughThePlugin()
	{
		// The built plugin, loaded by the agent: it finds libasprof-jfr, converts on its lane.
		LoopbackServer pyroscope;
		asprof::agent::Agent agent(asprof::agent::AgentConfig::fromIni(
			asprof::test::fakeProfilerIni("[reporter.main]\ntype = http\nlibrary = " ASPROF_BUILD_PLUGIN_DIR "/libasprof-reporter-http.so\n"
										  "url = " +
				pyroscope.url("") + "\nformat = pyroscope\nappName = demo-app\nretryInitialBackoff = 10ms\n"),
			"test.ini"));
		agent.start();
		CPPUNIT_ASSERT(asprof::test::waitUntil([&]() { return agent.status().lanes.at(0).delivered >= 2; }));
		CPPUNIT_ASSERT(agent.stop(Poco::Timespan(10, 0)));

		const auto lane = agent.status().lanes.at(0);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), lane.failed + lane.retried);
		const auto requests = pyroscope.requests();
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(2 * lane.delivered), requests.size()); // cpu and wall per profile
		for (std::size_t i = 0; i < requests.size(); i += 2)
		{
			assertTimeProfile(pyroscopeProfileOf(requests[i]), "cpu", CPU_WALL_CPU_SAMPLES, 10 * MS);
			assertTimeProfile(pyroscopeProfileOf(requests[i + 1]), "wall", CPU_WALL_WALL_SAMPLES, 100 * MS);
			CPPUNIT_ASSERT_EQUAL(queryParameter(requests[i].uri, "from"), queryParameter(requests[i + 1].uri, "from"));
		}
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpReporterPprofTest);
