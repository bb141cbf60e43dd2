//
// CredentialsChainTest.cpp
//
// The AWS default credentials chain: each source in order of precedence, the
// shared files, ECS and IMDS against loopback fakes, caching and refresh of
// temporary credentials, and an error that lists every source and no secret.
// HOME is a temporary directory and every AWS_* variable is cleared, so the
// machine's own configuration never matters.
//

#include "asprof/plugins/aws/Credentials.h"
#include "FakeAwsServers.h"
#include "TestSupport.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/File.h"
#include "Poco/Message.h"
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using asprof::plugins::aws::Credentials;
using asprof::plugins::aws::CredentialsChain;
using asprof::plugins::aws::CredentialsChainOptions;
using asprof::plugins::aws::CredentialsException;
using asprof::test::FakeCredentials;
using asprof::test::ScopedEnv;

namespace {

using EnvPtr = std::unique_ptr<ScopedEnv>;

EnvPtr setEnv(const std::string& name, const std::string& value)
{
	return std::make_unique<ScopedEnv>(name, value);
}

double secondsSince(const Poco::Timestamp& start)
{
	return static_cast<double>(start.elapsed()) / 1e6;
}

bool contains(const std::string& text, const std::string& part)
{
	return text.find(part) != std::string::npos;
}

FakeCredentials expiringIn(const Poco::Timespan& span, const std::string& accessKeyId)
{
	FakeCredentials credentials;
	credentials.accessKeyId = accessKeyId;
	credentials.expiration = Poco::Timestamp() + span;
	return credentials;
}

} // namespace

class CredentialsChainTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(CredentialsChainTest);
	CPPUNIT_TEST(testSourcesInOrderOfPrecedence);
	CPPUNIT_TEST(testEnvironmentWithSessionToken);
	CPPUNIT_TEST(testAwsProfileSelectsCredentialsFileSection);
	CPPUNIT_TEST(testConfiguredProfileBeatsAwsProfile);
	CPPUNIT_TEST(testConfigFileProfileSection);
	CPPUNIT_TEST(testCredentialsFileWinsOverConfigFileKeyByKey);
	CPPUNIT_TEST(testSharedFileVariablesOverrideHome);
	CPPUNIT_TEST(testUnsupportedProfileIsExplained);
	CPPUNIT_TEST(testEcsRelativeUri);
	CPPUNIT_TEST(testInvalidateFetchesTemporaryCredentialsAgain);
	CPPUNIT_TEST(testEcsFullUriWithAuthorizationToken);
	CPPUNIT_TEST(testEcsTokenFileIsReadAgainOnEachFetch);
	CPPUNIT_TEST(testEcsFullUriOverPlainHttpToRemoteHostIsRefused);
	CPPUNIT_TEST(testImdsInstanceProfile);
	CPPUNIT_TEST(testTemporaryCredentialsAreRefreshedBeforeExpiry);
	CPPUNIT_TEST(testCredentialsFarFromExpiryAreCached);
	CPPUNIT_TEST(testFailedRefreshKeepsValidCredentials);
	CPPUNIT_TEST(testFailedRefreshOfExpiredCredentialsThrows);
	CPPUNIT_TEST(testErrorListsEverySourceAndNoSecret);
	CPPUNIT_TEST(testNothingConfiguredGivesOneLinePerSource);
	CPPUNIT_TEST(testNonAwsHostFailsFast);
	CPPUNIT_TEST(testConcurrentCallersShareOneFetch);
	CPPUNIT_TEST(testMalformedRefreshKeepsTheOldCredentials);
	CPPUNIT_TEST(testNonStringOrHeaderBreakingValuesAreRefused);
	CPPUNIT_TEST(testOversizedCredentialsDocumentIsRefused);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_home = std::make_unique<asprof::test::TemporaryDirectory>();
		_environment = std::make_unique<asprof::test::ScopedAwsEnvironment>(_home->path());
		Poco::File(_home->file(".aws")).createDirectories();
		_imds = std::make_unique<asprof::test::FakeImds>();
		_ecs = std::make_unique<asprof::test::FakeEcsEndpoint>();
	}

	void tearDown() override
	{
		_ecs.reset();
		_imds.reset();
		_environment.reset();
		_home.reset();
	}

	void testSourcesInOrderOfPrecedence()
	{
		writeHomeFile("credentials", "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n");
		EnvPtr ecs = setEnv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", _ecs->path());
		EnvPtr envKey = setEnv("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT");
		EnvPtr envSecret = setEnv("AWS_SECRET_ACCESS_KEY", "environment-secret");
		CredentialsChainOptions configured = options();
		configured.accessKeyId = "AKIDCONFIG";
		configured.secretAccessKey = "config-secret";

		assertSource(configured, "config", "AKIDCONFIG");
		assertSource(options(), "environment", "AKIDENVIRONMENT");
		CPPUNIT_ASSERT_EQUAL(0, _ecs->requests() + _imds->credentialRequests());
		envKey.reset();
		assertSource(options(), "profile default", "AKIDPROFILE");
		Poco::File(_home->file(".aws/credentials")).remove();
		assertSource(options(), "ecs", "ASIAFAKEECS00001");
		CPPUNIT_ASSERT_EQUAL(0, _imds->credentialRequests());
		ecs.reset();
		assertSource(options(), "imds", "ASIAFAKEIMDS0001");
	}

	void testEnvironmentWithSessionToken()
	{
		EnvPtr key = setEnv("AWS_ACCESS_KEY_ID", "ASIAENV");
		EnvPtr secret = setEnv("AWS_SECRET_ACCESS_KEY", "env-secret");
		EnvPtr token = setEnv("AWS_SESSION_TOKEN", "env-token");
		Credentials credentials = CredentialsChain(options()).get();
		CPPUNIT_ASSERT_EQUAL(std::string("env-secret"), credentials.secretAccessKey);
		CPPUNIT_ASSERT_EQUAL(std::string("env-token"), credentials.sessionToken);
		CPPUNIT_ASSERT(!credentials.expiration);
	}

	void testAwsProfileSelectsCredentialsFileSection()
	{
		writeHomeFile("credentials",
			"# shared\n[default]\naws_access_key_id=AKIDDEFAULT\naws_secret_access_key=d\n\n"
			"[ work ]\n  aws_access_key_id = AKIDWORK ; inline comment\n"
			"aws_secret_access_key = work/secret+key\naws_session_token = work-token\n");
		EnvPtr profile = setEnv("AWS_PROFILE", "work");
		Credentials credentials = CredentialsChain(options()).get();
		CPPUNIT_ASSERT_EQUAL(std::string("profile work"), credentials.source);
		CPPUNIT_ASSERT_EQUAL(std::string("AKIDWORK"), credentials.accessKeyId);
		CPPUNIT_ASSERT_EQUAL(std::string("work/secret+key"), credentials.secretAccessKey);
		CPPUNIT_ASSERT_EQUAL(std::string("work-token"), credentials.sessionToken);
	}

	void testConfiguredProfileBeatsAwsProfile()
	{
		writeHomeFile("credentials",
			"[a]\naws_access_key_id=AKIDA\naws_secret_access_key=a\n[b]\naws_access_key_id=AKIDB\naws_secret_access_key=b\n");
		EnvPtr profile = setEnv("AWS_PROFILE", "a");
		CredentialsChainOptions configured = options();
		configured.profile = "b";
		assertSource(configured, "profile b", "AKIDB");
	}

	void testConfigFileProfileSection()
	{
		writeHomeFile("config", "[default]\nregion = eu-west-1\n\n[profile ci]\naws_access_key_id = AKIDCI\naws_secret_access_key = ci\n");
		EnvPtr profile = setEnv("AWS_PROFILE", "ci");
		assertSource(options(), "profile ci", "AKIDCI");
		profile.reset();
		// [default] has no keys: the chain goes on and says why the profile did not do.
		assertSource(options(), "imds", "ASIAFAKEIMDS0001");
		_imds->setRole("");
		std::string message = failureOf(options());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "profile default: no aws_access_key_id and aws_secret_access_key in"));
	}

	void testCredentialsFileWinsOverConfigFileKeyByKey()
	{
		writeHomeFile(
			"config", "[profile x]\naws_access_key_id = AKIDCONFIGFILE\naws_secret_access_key = from-config\naws_session_token = t\n");
		writeHomeFile("credentials", "[x]\naws_access_key_id = AKIDCREDFILE\naws_secret_access_key = from-credentials\n");
		CredentialsChainOptions configured = options();
		configured.profile = "x";
		Credentials credentials = CredentialsChain(configured).get();
		CPPUNIT_ASSERT_EQUAL(std::string("AKIDCREDFILE"), credentials.accessKeyId);
		CPPUNIT_ASSERT_EQUAL(std::string("from-credentials"), credentials.secretAccessKey);
		CPPUNIT_ASSERT_EQUAL(std::string("t"), credentials.sessionToken);
	}

	void testSharedFileVariablesOverrideHome()
	{
		writeHomeFile("credentials", "[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = home\n");
		asprof::test::TemporaryDirectory elsewhere;
		asprof::test::writeFile(elsewhere.file("creds"), "[default]\naws_access_key_id = AKIDOVERRIDE\naws_secret_access_key = o\n");
		asprof::test::writeFile(elsewhere.file("conf"), "[profile other]\naws_access_key_id = AKIDOTHERCONF\naws_secret_access_key = c\n");
		EnvPtr credentialsFile = setEnv("AWS_SHARED_CREDENTIALS_FILE", elsewhere.file("creds"));
		EnvPtr configFile = setEnv("AWS_CONFIG_FILE", elsewhere.file("conf"));
		assertSource(options(), "profile default", "AKIDOVERRIDE");
		EnvPtr profile = setEnv("AWS_PROFILE", "other");
		assertSource(options(), "profile other", "AKIDOTHERCONF");
	}

	void testUnsupportedProfileIsExplained()
	{
		writeHomeFile("config", "[profile assume]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n");
		EnvPtr profile = setEnv("AWS_PROFILE", "assume");
		_imds->setRole("");
		std::string message = failureOf(options());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "profile assume: uses role_arn, which is not supported"));
	}

	void testEcsRelativeUri()
	{
		EnvPtr relative = setEnv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", _ecs->path());
		Credentials credentials = CredentialsChain(options()).get();
		CPPUNIT_ASSERT_EQUAL(std::string("ecs"), credentials.source);
		CPPUNIT_ASSERT_EQUAL(std::string("fake-secret-ecs-0001"), credentials.secretAccessKey);
		CPPUNIT_ASSERT_EQUAL(std::string("fake-session-token-ecs-0001"), credentials.sessionToken);
		CPPUNIT_ASSERT(credentials.expiration.has_value());
		CPPUNIT_ASSERT_EQUAL(std::string(""), _ecs->lastAuthorization());
	}

	void testInvalidateFetchesTemporaryCredentialsAgain()
	{
		EnvPtr relative = setEnv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", _ecs->path());
		CredentialsChain chain(options());
		chain.get();
		chain.get();
		CPPUNIT_ASSERT_EQUAL(1, _ecs->requests()); // cached: valid for hours
		chain.invalidate();                        // e.g. S3 answered ExpiredToken
		CPPUNIT_ASSERT_EQUAL(std::string("ecs"), chain.get().source);
		CPPUNIT_ASSERT_EQUAL(2, _ecs->requests());
	}

	void testEcsFullUriWithAuthorizationToken()
	{
		_ecs->requireAuthorization("container-token-1");
		EnvPtr full = setEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", _ecs->url());
		EnvPtr token = setEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token-1");
		assertSource(options(), "ecs", "ASIAFAKEECS00001");
		CPPUNIT_ASSERT_EQUAL(std::string("container-token-1"), _ecs->lastAuthorization());

		token = setEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-container-token");
		_imds->setRole("");
		std::string message = failureOf(options());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "ecs: http://" + _ecs->host() + ": HTTP 401"));
		CPPUNIT_ASSERT_MESSAGE(message, !contains(message, "wrong-container-token") && !contains(message, _ecs->path()));
	}

	void testEcsTokenFileIsReadAgainOnEachFetch()
	{
		asprof::test::writeFile(_home->file("token"), "first-token\n");
		_ecs->requireAuthorization("first-token");
		_ecs->setCredentials(expiringIn(Poco::Timespan(60, 0), "ASIAECSFIRST"));
		EnvPtr full = setEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", _ecs->url());
		EnvPtr tokenFile = setEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", _home->file("token"));
		EnvPtr ignoredToken = setEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "the-file-wins");
		CredentialsChain chain(options());
		CPPUNIT_ASSERT_EQUAL(std::string("ASIAECSFIRST"), chain.get().accessKeyId);

		asprof::test::writeFile(_home->file("token"), "second-token");
		_ecs->requireAuthorization("second-token");
		_ecs->setCredentials(expiringIn(Poco::Timespan(3600, 0), "ASIAECSSECOND"));
		CPPUNIT_ASSERT_EQUAL(std::string("ASIAECSSECOND"), chain.get().accessKeyId);
		CPPUNIT_ASSERT_EQUAL(std::string("second-token"), _ecs->lastAuthorization());
		CPPUNIT_ASSERT_EQUAL(2, _ecs->requests());
		CPPUNIT_ASSERT_EQUAL(0, _ecs->rejectedRequests());
	}

	void testEcsFullUriOverPlainHttpToRemoteHostIsRefused()
	{
		EnvPtr full = setEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://user:pass-word@credentials.example.com/get");
		EnvPtr token = setEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "must-not-travel");
		_imds->setRole("");
		std::string message = failureOf(options());
		CPPUNIT_ASSERT_MESSAGE(
			message, contains(message, "ecs: http://credentials.example.com: AWS_CONTAINER_CREDENTIALS_FULL_URI must be https"));
	}

	void testImdsInstanceProfile()
	{
		FakeCredentials served = expiringIn(Poco::Timespan(6 * 3600, 0), "ASIAIMDSROLE");
		_imds->setCredentials(served);
		Credentials credentials = CredentialsChain(options()).get();
		CPPUNIT_ASSERT_EQUAL(std::string("imds"), credentials.source);
		CPPUNIT_ASSERT_EQUAL(served.secretAccessKey, credentials.secretAccessKey);
		CPPUNIT_ASSERT_EQUAL(served.token, credentials.sessionToken);
		CPPUNIT_ASSERT(credentials.expiration.has_value());
		CPPUNIT_ASSERT_EQUAL(served.expiration.epochTime(), credentials.expiration->epochTime());
		CPPUNIT_ASSERT_EQUAL(1, _imds->tokenRequests());
	}

	void testTemporaryCredentialsAreRefreshedBeforeExpiry()
	{
		_imds->setCredentials(expiringIn(Poco::Timespan(60, 0), "ASIAFIRST"));
		CredentialsChain chain(options()); // refreshMargin 5 min > 60 s left
		CPPUNIT_ASSERT_EQUAL(std::string("ASIAFIRST"), chain.get().accessKeyId);
		_imds->setCredentials(expiringIn(Poco::Timespan(6 * 3600, 0), "ASIASECOND"));
		CPPUNIT_ASSERT_EQUAL(std::string("ASIASECOND"), chain.get().accessKeyId);
		CPPUNIT_ASSERT_EQUAL(std::string("ASIASECOND"), chain.get().accessKeyId);
		CPPUNIT_ASSERT_EQUAL(2, _imds->credentialRequests());
	}

	void testCredentialsFarFromExpiryAreCached()
	{
		_imds->setCredentials(expiringIn(Poco::Timespan(6 * 3600, 0), "ASIACACHED"));
		CredentialsChain chain(options());
		chain.get();
		_imds->setCredentials(expiringIn(Poco::Timespan(6 * 3600, 0), "ASIANEWER"));
		CPPUNIT_ASSERT_EQUAL(std::string("ASIACACHED"), chain.get().accessKeyId);
		CPPUNIT_ASSERT_EQUAL(1, _imds->credentialRequests());
	}

	void testFailedRefreshKeepsValidCredentials()
	{
		FakeCredentials served = expiringIn(Poco::Timespan(60, 0), "ASIAKEPT");
		_imds->setCredentials(served);
		CredentialsChain chain(options());
		chain.get();
		_imds->failRequests(100, 500);
		asprof::test::LogCapture log("asprof.aws.credentials", Poco::Message::PRIO_WARNING);
		Credentials kept = chain.get();
		CPPUNIT_ASSERT_EQUAL(std::string("ASIAKEPT"), kept.accessKeyId);
		CPPUNIT_ASSERT_EQUAL(served.secretAccessKey, kept.secretAccessKey);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("keeping the current credentials"));
		CPPUNIT_ASSERT_MESSAGE(log.text(), contains(log.text(), "imds: IMDS " + _imds->endpoint()));
		CPPUNIT_ASSERT(!contains(log.text(), served.secretAccessKey) && !contains(log.text(), served.token));
		CPPUNIT_ASSERT(!contains(log.text(), "ASIAKEPT")); // only the first four characters
	}

	void testFailedRefreshOfExpiredCredentialsThrows()
	{
		_imds->setCredentials(expiringIn(Poco::Timespan(-1, 0), "ASIAEXPIRED"));
		CredentialsChain chain(options());
		chain.get();
		_imds->failRequests(100, 500);
		try
		{
			chain.get();
			CPPUNIT_FAIL("expired credentials must not be returned");
		}
		catch (const CredentialsException& error)
		{
			CPPUNIT_ASSERT_MESSAGE(error.message(), contains(error.message(), "refreshing AWS credentials failed: imds: "));
		}
	}

	void testErrorListsEverySourceAndNoSecret()
	{
		CredentialsChainOptions configured = options();
		configured.secretAccessKey = "secret-in-config";
		EnvPtr envSecret = setEnv("AWS_SECRET_ACCESS_KEY", "secret-in-environment");
		writeHomeFile("credentials", "[default]\naws_secret_access_key = secret-in-profile\naws_session_token = token-in-profile\n");
		_ecs->requireAuthorization("expected-container-token");
		EnvPtr full = setEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", _ecs->url());
		EnvPtr token = setEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "secret-container-token");
		_imds->setCredentialsCode("AssumeRoleUnauthorizedAccess");

		std::string message = failureOf(configured);
		std::vector<std::string> parts = {"no AWS credentials: config: secretAccessKey is set without accessKeyId; ",
			"environment: AWS_ACCESS_KEY_ID not set; ", "profile default: no aws_access_key_id and aws_secret_access_key in ",
			"ecs: http://" + _ecs->host() + ": HTTP 401", "; imds: " + _imds->endpoint() + "/latest/meta-data/iam/security-credentials/",
			"Code AssumeRoleUnauthorizedAccess"};
		std::string::size_type position = 0;
		for (const auto& part : parts)
		{
			position = message.find(part, position);
			CPPUNIT_ASSERT_MESSAGE("\"" + part + "\" in order in: " + message, position != std::string::npos);
		}
		for (const char* secret : {"secret-in-config", "secret-in-environment", "secret-in-profile", "token-in-profile",
				 "secret-container-token", "fake-secret-imds-0001", "fake-session-token-imds-0001"})
			CPPUNIT_ASSERT_MESSAGE(std::string(secret) + " in: " + message, !contains(message, secret));
		for (const auto& imdsToken : _imds->issuedTokens()) CPPUNIT_ASSERT(!contains(message, imdsToken));
	}

	void testNothingConfiguredGivesOneLinePerSource()
	{
		_imds->setRole("");
		std::string message = failureOf(options());
		std::string expected =
			"no AWS credentials: config: not set; environment: AWS_ACCESS_KEY_ID not set; profile default: no such profile in " +
			_home->path() + "/.aws/credentials (no such file) or " + _home->path() +
			"/.aws/config (no such file); ecs: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set; "
			"imds: no IAM role attached to the instance: IMDS " +
			_imds->endpoint() + "/latest/meta-data/iam/security-credentials/: HTTP 404";
		CPPUNIT_ASSERT_EQUAL(expected, message.substr(0, expected.size()));
	}

	void testNonAwsHostFailsFast()
	{
		CredentialsChainOptions configured = options();
		configured.imdsEndpoint = "http://127.0.0.1:" + std::to_string(asprof::test::closedLoopbackPort());
		Poco::Timestamp start;
		std::string message = failureOf(configured);
		CPPUNIT_ASSERT(secondsSince(start) < 5.0);
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "; imds: IMDS " + configured.imdsEndpoint + "/latest/api/token: "));
	}

	void testConcurrentCallersShareOneFetch()
	{
		CredentialsChain chain(options());
		std::atomic<int> served(0);
		std::vector<std::thread> callers;
		for (int i = 0; i < 4; ++i) callers.emplace_back([&] { served += chain.get().accessKeyId == "ASIAFAKEIMDS0001" ? 1 : 0; });
		for (auto& caller : callers) caller.join();
		CPPUNIT_ASSERT_EQUAL(4, served.load());
		CPPUNIT_ASSERT_EQUAL(1, _imds->credentialRequests());
	}

	void testMalformedRefreshKeepsTheOldCredentials()
	{
		FakeCredentials served = expiringIn(Poco::Timespan(60, 0), "ASIAKEPT");
		_imds->setCredentials(served);
		CredentialsChain chain(options());
		chain.get();
		FakeCredentials malformed;
		malformed.accessKeyId = "ASIA\", \"AccessKeyId\": {\"a\": 1}, \"Ignored\": \""; // a second AccessKeyId, an object
		_imds->setCredentials(malformed);
		asprof::test::LogCapture log("asprof.aws.credentials", Poco::Message::PRIO_WARNING);
		const Credentials kept = chain.get();
		CPPUNIT_ASSERT_EQUAL(std::string("ASIAKEPT"), kept.accessKeyId);
		CPPUNIT_ASSERT_MESSAGE(log.text(), contains(log.text(), "AccessKeyId is not a string"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("keeping the current credentials"));
	}

	void testNonStringOrHeaderBreakingValuesAreRefused()
	{
		FakeCredentials injected;
		injected.token = "tok\\r\\nX-Injected: yes"; // JSON escapes: the parsed token holds CR LF
		_imds->setCredentials(injected);
		try
		{
			CredentialsChain(options()).get();
			CPPUNIT_FAIL("a session token with a line break must be refused");
		}
		catch (const CredentialsException& error)
		{
			CPPUNIT_ASSERT_MESSAGE(error.message(), contains(error.message(), "the Token holds spaces or control characters"));
			CPPUNIT_ASSERT(!contains(error.message(), "Injected"));
		}
		EnvPtr key = setEnv("AWS_ACCESS_KEY_ID", "AKID\nX");
		EnvPtr secret = setEnv("AWS_SECRET_ACCESS_KEY", "secret");
		CPPUNIT_ASSERT_THROW(CredentialsChain(options()).get(), CredentialsException);
	}

	void testOversizedCredentialsDocumentIsRefused()
	{
		FakeCredentials huge;
		huge.token = std::string(70 * 1024, 't');
		_imds->setCredentials(huge);
		try
		{
			CredentialsChain(options()).get();
			CPPUNIT_FAIL("a credentials document over 64 KiB must be refused");
		}
		catch (const CredentialsException& error)
		{
			CPPUNIT_ASSERT_MESSAGE(error.message(), contains(error.message(), "body larger than 65536 bytes"));
		}
	}

private:
	CredentialsChainOptions options() const
	{
		CredentialsChainOptions options;
		options.imdsEndpoint = _imds->endpoint();
		options.ecsHost = _ecs->host();
		return options;
	}

	void writeHomeFile(const std::string& name, const std::string& content)
	{
		asprof::test::writeFile(_home->file(".aws/" + name), content);
	}

	void assertSource(const CredentialsChainOptions& options, const std::string& source, const std::string& accessKeyId)
	{
		Credentials credentials = CredentialsChain(options).get();
		CPPUNIT_ASSERT_EQUAL(source, credentials.source);
		CPPUNIT_ASSERT_EQUAL(accessKeyId, credentials.accessKeyId);
	}

	std::string failureOf(const CredentialsChainOptions& options)
	{
		try
		{
			CredentialsChain(options).get();
		}
		catch (const CredentialsException& error)
		{
			return error.message();
		}
		CPPUNIT_FAIL("the chain found credentials");
		return "";
	}

	std::unique_ptr<asprof::test::TemporaryDirectory> _home;
	std::unique_ptr<asprof::test::ScopedAwsEnvironment> _environment;
	std::unique_ptr<asprof::test::FakeImds> _imds;
	std::unique_ptr<asprof::test::FakeEcsEndpoint> _ecs;
};

CPPUNIT_TEST_SUITE_REGISTRATION(CredentialsChainTest);
