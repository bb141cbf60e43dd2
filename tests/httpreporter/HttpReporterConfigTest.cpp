//
// HttpReporterConfigTest.cpp
//
// Configuration: every mistake is refused naming the file, section and key
// (and never quoting a secret); the URL template and the Pyroscope helpers on
// their own.
//

#include "HttpReporterTestSupport.h"
#include "PyroscopeIngest.h"
#include "TestSupport.h"
#include "UrlTemplate.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Exception.h"

using asprof::plugins::HttpReporterOptions;
using asprof::plugins::PyroscopeIngest;
using asprof::plugins::UrlTemplate;
using asprof::test::httpConfigError;
using asprof::test::Keys;

namespace {

const std::string URL = "http://127.0.0.1:4040";

std::string templateError(const std::string& url)
{
	try
	{
		UrlTemplate::parse(url);
	}
	catch (const Poco::SyntaxException& error)
	{
		return error.message();
	}
	CPPUNIT_FAIL("should be refused: " + url);
	return std::string();
}

} // namespace

class HttpReporterConfigTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(HttpReporterConfigTest);
	CPPUNIT_TEST(testDefaults);
	CPPUNIT_TEST(testMistakesAreRefusedNamingTheKey);
	CPPUNIT_TEST(testAuthenticationConflictsNameBothKeysAndHideSecrets);
	CPPUNIT_TEST(testPyroscopeKeysAreRefusedForOtherFormats);
	CPPUNIT_TEST(testUnreadableTlsFilesNameTheKey);
	CPPUNIT_TEST(testUrlTemplateParsesAndExpands);
	CPPUNIT_TEST(testUrlTemplateRefusesWhatCannotBeSent);
	CPPUNIT_TEST(testSampleRateFromProfilerArguments);
	CPPUNIT_TEST(testAppNamesAndLabelNames);
	CPPUNIT_TEST_SUITE_END();

public:
	void testDefaults()
	{
		auto reporter = asprof::test::startHttpReporter({{"url", URL}, {"appName", "app"}});
		const HttpReporterOptions& options = reporter->options();
		CPPUNIT_ASSERT(options.format == HttpReporterOptions::Format::Pyroscope);
		CPPUNIT_ASSERT_EQUAL(std::string("POST"), options.method);
		CPPUNIT_ASSERT(options.gzip);
		CPPUNIT_ASSERT(options.auth == HttpReporterOptions::Auth::None);
		CPPUNIT_ASSERT(options.http.timeout == Poco::Timespan(10, 0));
		CPPUNIT_ASSERT(options.http.verifyTls);
		CPPUNIT_ASSERT_EQUAL(0u, options.sampleRate);
		CPPUNIT_ASSERT(options.hostLabels == std::vector<std::string>({"hostname", "instanceId", "taskArn"}));
		CPPUNIT_ASSERT(!asprof::test::startHttpReporter({{"url", URL}, {"format", "raw"}})->options().gzip);
		CPPUNIT_ASSERT(!asprof::test::startHttpReporter({{"url", URL}, {"format", "zip"}})->options().gzip);
	}

	void testMistakesAreRefusedNamingTheKey()
	{
		struct Case
		{
			Keys keys;
			std::string expected;
		};
		const std::vector<Case> cases = {
			{{{"appName", "app"}}, "test.ini: [reporter.http] url is required but not set"},
			{{{"url", "ftp://host/x"}, {"appName", "app"}}, "[reporter.http] url = ftp://host/x: expected an http:// or https:// URL"},
			{{{"url", URL + "/{nope}"}, {"appName", "app"}},
				"url = " + URL + "/{nope}: expected an http:// or https:// URL (unknown placeholder {nope}"},
			{{{"url", URL}, {"format", "xml"}},
				"[reporter.http] format = xml: expected one of pyroscope | pyroscope-jfr | pprof | raw | zip"},
			{{{"url", URL}},
				"[reporter.http] appName = : expected the application name Pyroscope shows (required with format = pyroscope)"},
			{{{"url", URL}, {"appName", "my app{x}"}}, "[reporter.http] appName = my app{x}: expected a name of A-Z a-z 0-9 _ . - /"},
			{{{"url", URL}, {"appName", "app"}, {"method", "GET"}}, "[reporter.http] method = GET: expected one of POST | PUT"},
			{{{"url", URL}, {"appName", "app"}, {"gzip", "maybe"}}, "[reporter.http] gzip = maybe: expected yes or no"},
			{{{"url", URL}, {"appName", "app"}, {"timeout", "0s"}}, "[reporter.http] timeout = 0s: expected a duration above 0"},
			{{{"url", URL}, {"format", "pyroscope-jfr"}, {"appName", "app"}, {"sampleRate", "-1"}},
				"[reporter.http] sampleRate = -1: expected an integer from 0"},
			{{{"url", URL}, {"appName", "app"}, {"headers.Content-Type", "text/plain"}},
				"[reporter.http] headers.Content-Type (value hidden): expected "
				"another header: the reporter sets Content-Type"},
			{{{"url", URL}, {"appName", "app"}, {"headers.Bad Name", "x"}},
				"[reporter.http] headers.Bad Name (value hidden): expected a header name"},
			{{{"url", URL}, {"appName", "app"}, {"headers.X-A", "x\ny"}},
				"[reporter.http] headers.X-A (value hidden): expected a value without"},
			{{{"url", URL}, {"appName", "app"}, {"tenant", "t"}, {"headers.x-scope-orgid", "u"}},
				"[reporter.http] tenant = t: expected tenant "
				"or headers.X-Scope-OrgID, not both"},
			{{{"url", URL}, {"appName", "app"}, {"clientCert", "/c.pem"}},
				"[reporter.http] clientKey = : expected clientCert and clientKey together"},
			{{{"url", URL}, {"appName", "app"}, {"bearertoken", "x"}},
				"[reporter.http] unknown key bearertoken (did you mean bearerToken?)"},
		};
		for (const auto& test : cases)
		{
			const std::string message = httpConfigError(test.keys);
			CPPUNIT_ASSERT_MESSAGE(message + "\n  expected: " + test.expected, message.find(test.expected) != std::string::npos);
		}
	}

	void testAuthenticationConflictsNameBothKeysAndHideSecrets()
	{
		const std::string secretUrl = "http://user:pa55word@127.0.0.1:4040";
		struct Case
		{
			Keys keys;
			std::string expected;
		};
		const std::vector<Case> cases = {
			{{{"bearerToken", "tok3n"}, {"basicAuthUser", "u"}, {"basicAuthPassword", "pa55word"}},
				"bearerToken (value hidden): expected one kind of authentication: bearerToken or basicAuthUser/basicAuthPassword"},
			{{{"bearerTokenFile", "/run/token"}, {"basicAuthUser", "u"}},
				"bearerTokenFile = /run/token: expected one kind of authentication"},
			{{{"bearerToken", "tok3n"}, {"bearerTokenFile", "/run/token"}},
				"bearerTokenFile = /run/token: expected bearerToken or bearerTokenFile, not both"},
			{{{"url", secretUrl}, {"bearerToken", "tok3n"}}, "bearerToken (value hidden): expected one kind of authentication"},
			{{{"url", secretUrl}, {"basicAuthUser", "u"}},
				"basicAuthUser = u: expected basicAuthUser/basicAuthPassword or user:password@ in url"},
			{{{"basicAuthPassword", "pa55word"}}, "basicAuthPassword (value hidden): expected basicAuthUser with it"},
			{{{"basicAuthUser", "a:pa55word"}, {"basicAuthPassword", "x"}},
				"basicAuthUser (value hidden): expected a user name without ':'"},
			{{{"bearerToken", "tok3n"}, {"headers.Authorization", "Token tok3n"}},
				"headers.Authorization (value hidden): expected no Authorization header"},
			{{{"url", "http://user:pa55word@host/{bad}"}}, "url = http://host/{bad}: expected"},
			// A password with unencoded '#', '/' or '?': the parser would quote it as a port.
			{{{"url", "https://alice:pa#ss/pa55word@example.com/ingest"}}, "url = https://example.com/ingest: expected"},
			{{{"url", "https://alice:pa55word?x@example.com/ingest"}}, "its user:password part not shown"},
		};
		for (const auto& test : cases)
		{
			Keys keys = test.keys;
			keys.emplace_back("appName", "app");
			if (std::none_of(keys.begin(), keys.end(), [](const auto& key) { return key.first == "url"; })) keys.emplace_back("url", URL);
			const std::string message = httpConfigError(keys);
			CPPUNIT_ASSERT_MESSAGE(message + "\n  expected: " + test.expected, message.find(test.expected) != std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(message, message.find("tok3n") == std::string::npos && message.find("pa55word") == std::string::npos);
		}
		// Accepted: a header Authorization on its own, and user:password@ alone.
		CPPUNIT_ASSERT(
			asprof::test::startHttpReporter({{"url", URL}, {"appName", "a"}, {"headers.Authorization", "Token x"}})->options().auth ==
			HttpReporterOptions::Auth::None);
		CPPUNIT_ASSERT(
			asprof::test::startHttpReporter({{"url", secretUrl}, {"appName", "a"}})->options().auth == HttpReporterOptions::Auth::Basic);
	}

	void testPyroscopeKeysAreRefusedForOtherFormats()
	{
		for (const char* key : {"appName", "sampleRate", "hostLabels"})
		{
			const std::string message = httpConfigError({{"url", URL}, {"format", "raw"}, {key, "1"}});
			CPPUNIT_ASSERT_MESSAGE(message,
				message.find(std::string("[reporter.http] ") + key + " = 1: expected no " + key +
					": it applies to format = pyroscope and pyroscope-jfr only") != std::string::npos);
		}
	}

	void testUnreadableTlsFilesNameTheKey()
	{
		const std::string message = httpConfigError({{"url", URL}, {"appName", "a"}, {"caFile", "/nonexistent/ca.pem"}});
		CPPUNIT_ASSERT_MESSAGE(message,
			message.find("test.ini: [reporter.http] caFile = /nonexistent/ca.pem: expected an existing PEM file") != std::string::npos);
	}

	void testUrlTemplateParsesAndExpands()
	{
		UrlTemplate url = UrlTemplate::parse("HTTPS://u%3Ax:p%40w@[::1]:8443/a/{seq}?b={hostKind}&c=%20");
		CPPUNIT_ASSERT_EQUAL(std::string("https://[::1]:8443"), UrlTemplate::origin(url.server()));
		CPPUNIT_ASSERT(url.hasUserInfo());
		CPPUNIT_ASSERT_EQUAL(std::string("u:x"), url.user());
		CPPUNIT_ASSERT_EQUAL(std::string("p@w"), url.password());
		CPPUNIT_ASSERT_EQUAL(std::string("/a/{seq}"), url.path());
		CPPUNIT_ASSERT_EQUAL(std::string("b={hostKind}&c=%20"), url.query());
		CPPUNIT_ASSERT_EQUAL(std::string("https://[::1]:8443/a/{seq}?b={hostKind}&c=%20"), url.withoutUserInfo());
		asprof::sdk::Profile profile = asprof::test::makeProfile("cpu-wall.jfr", 5);
		profile.host.kind = "my kind/x";
		CPPUNIT_ASSERT_EQUAL(std::string("/a/5?b=my%20kind%2Fx&c=%20"), url.expand(profile));

		CPPUNIT_ASSERT_EQUAL(std::string("/"), UrlTemplate::parse("http://h").expand(profile));
		CPPUNIT_ASSERT_EQUAL(std::string("/?q=1"), UrlTemplate::parse("http://h?q=1").expand(profile));
		CPPUNIT_ASSERT_EQUAL(std::string("http://h:80"), UrlTemplate::origin(UrlTemplate::parse("http://h").server()));
		CPPUNIT_ASSERT(!UrlTemplate::parse("http://h/").hasUserInfo());
		CPPUNIT_ASSERT_EQUAL(std::string("AZaz09-._~%20%25%2F%3F%26%3D%C3%A9"), UrlTemplate::percentEncode("AZaz09-._~ %/?&=\xc3\xa9"));
	}

	void testUrlTemplateRefusesWhatCannotBeSent()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("not an http:// or https:// URL"), templateError("127.0.0.1:4040"));
		CPPUNIT_ASSERT_EQUAL(std::string("the scheme must be http or https, not \"file\""), templateError("file:///etc/passwd"));
		CPPUNIT_ASSERT_EQUAL(std::string("the URL has no host"), templateError("http:///ingest"));
		CPPUNIT_ASSERT_EQUAL(
			std::string("placeholders are allowed in the path and the query only"), templateError("http://{hostname}:4040/"));
		CPPUNIT_ASSERT_EQUAL(std::string("a '{' without its '}'"), templateError("http://h/{seq"));
		CPPUNIT_ASSERT_EQUAL(std::string("a '}' without its '{'"), templateError("http://h/seq}"));
		CPPUNIT_ASSERT_EQUAL(std::string("byte 0x20 must be percent-encoded (%20)"), templateError("http://h/a b"));
		CPPUNIT_ASSERT_EQUAL(std::string("a fragment (#...) is never sent to a server"), templateError("http://h/a#top"));
		const std::string unknown = templateError("http://h/{Seq}");
		CPPUNIT_ASSERT_MESSAGE(unknown, unknown.find("unknown placeholder {Seq} (known: {seq}, {pid}, {start}, {end}, {hostKind}") == 0);
	}

	void testSampleRateFromProfilerArguments()
	{
		CPPUNIT_ASSERT_EQUAL(10u, PyroscopeIngest::sampleRate("event=cpu,interval=100000000,wall=1000ms,jfr"));
		CPPUNIT_ASSERT_EQUAL(100u, PyroscopeIngest::sampleRate("event=cpu,interval=10000000,jfr"));
		CPPUNIT_ASSERT_EQUAL(333u, PyroscopeIngest::sampleRate("interval=3ms"));
		CPPUNIT_ASSERT_EQUAL(1000u, PyroscopeIngest::sampleRate("interval=1000us"));
		CPPUNIT_ASSERT_EQUAL(1u, PyroscopeIngest::sampleRate("interval=2s"));
		CPPUNIT_ASSERT_EQUAL(100u, PyroscopeIngest::sampleRate("event=cpu,jfr"));           // async-profiler's default 10ms
		CPPUNIT_ASSERT_EQUAL(100u, PyroscopeIngest::sampleRate("event=cpu,interval=fast")); // unreadable: the default
		CPPUNIT_ASSERT_EQUAL(100u, PyroscopeIngest::sampleRate("interval=0"));
	}

	void testAppNamesAndLabelNames()
	{
		for (const char* good : {"app", "team/check-out.v2", "A_b-9"}) CPPUNIT_ASSERT_MESSAGE(good, PyroscopeIngest::isValidAppName(good));
		for (const char* bad : {"", "a b", "a{b}", "a,b", "a=b", "caf\xc3\xa9"})
			CPPUNIT_ASSERT_MESSAGE(bad, !PyroscopeIngest::isValidAppName(bad));
		CPPUNIT_ASSERT_EQUAL(std::string("instance_id"), PyroscopeIngest::labelNameOf("instanceId"));
		CPPUNIT_ASSERT_EQUAL(std::string("task_arn"), PyroscopeIngest::labelNameOf("taskArn"));
		CPPUNIT_ASSERT_EQUAL(std::string("hostname"), PyroscopeIngest::labelNameOf("hostname"));
		CPPUNIT_ASSERT_EQUAL(std::string("app"), PyroscopeIngest::name("app", {}).text);
		CPPUNIT_ASSERT_EQUAL(std::string("app{a=1}"), PyroscopeIngest::name("app", {{"a", "1"}, {"b", ""}}).text);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(HttpReporterConfigTest);
