//
// AgentConfigTest.cpp
//
// agent.ini and agent.xml: defaults, the async-profiler command, and an error
// naming source, section, key and expected form for every kind of mistake.
//

#include "TestSupport.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/ConfigValue.h"
#include "cppunit/extensions/HelperMacros.h"
#include <functional>

using asprof::agent::AgentConfig;
using asprof::agent::ConfigException;
using asprof::test::TemporaryDirectory;
using asprof::test::writeFile;
using Poco::Timespan;

namespace CppUnit {

// Lets CPPUNIT_ASSERT_EQUAL compare durations and print them as agent.ini would.
template <>
struct assertion_traits<Poco::Timespan>
{
	static bool equal(const Poco::Timespan& left, const Poco::Timespan& right)
	{
		return left == right;
	}

	static std::string toString(const Poco::Timespan& span)
	{
		return asprof::sdk::ConfigValue::formatDuration(span);
	}
};

} // namespace CppUnit

namespace {

const std::string SOURCE = "/etc/asprof-agent/test-agent.ini";
const std::string DEFAULT_COMMAND = "start,event=cpu,interval=100000000,wall=1000ms,jfr,cstack=dwarf,file=/proc/self/fd/7,log=stderr";

// Runs parser, which must throw ConfigException, and returns its message.
std::string configError(const std::function<void()>& parser)
{
	try
	{
		parser();
	}
	catch (ConfigException& e)
	{
		return e.message();
	}
	CPPUNIT_FAIL("no ConfigException was thrown");
	return std::string();
}

// Runs parser, which must succeed; an exception fails the test with its message.
AgentConfig parse(const std::function<AgentConfig()>& parser)
{
	try
	{
		return parser();
	}
	catch (Poco::Exception& e)
	{
		CPPUNIT_FAIL("unexpected exception: " + e.displayText());
	}
	return AgentConfig();
}

AgentConfig parseIni(const std::string& text)
{
	return parse([&]() { return AgentConfig::fromIni(text, SOURCE); });
}

AgentConfig parseXml(const std::string& text, const std::string& source)
{
	return parse([&]() { return AgentConfig::fromXml(text, source); });
}

std::string iniError(const std::string& text)
{
	return configError([&]() { AgentConfig::fromIni(text, SOURCE); });
}

void assertMentions(const std::string& message, std::initializer_list<std::string> parts)
{
	for (const auto& part : parts)
	{
		CPPUNIT_ASSERT_MESSAGE("\"" + part + "\" missing from: " + message, message.find(part) != std::string::npos);
	}
}

} // namespace

class AgentConfigTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(AgentConfigTest);
	CPPUNIT_TEST(testDefaultsMatchDesign);
	CPPUNIT_TEST(testEmptyIniGivesDefaults);
	CPPUNIT_TEST(testDefaultStartCommandIsRustAgentOrder);
	CPPUNIT_TEST(testNativeMemComesBeforeLogStderr);
	CPPUNIT_TEST(testZeroWallIntervalOmitsWall);
	CPPUNIT_TEST(testExtraArgsComeLast);
	CPPUNIT_TEST(testArgumentsAreStartCommandWithoutActionAndFile);
	CPPUNIT_TEST(testIniReadsEveryKey);
	CPPUNIT_TEST(testInlineAndHashCommentsAreIgnored);
	CPPUNIT_TEST(testLabelsKeepTheirOrder);
	CPPUNIT_TEST(testXmlUsesTheSameKeys);
	CPPUNIT_TEST(testXmlAcceptsReporterAndMetadataSections);
	CPPUNIT_TEST(testTopLevelReporterKeyIsRejected);
	CPPUNIT_TEST(testLoadPicksFormatByExtension);
	CPPUNIT_TEST(testBadDurationIsRejected);
	CPPUNIT_TEST(testReportingIntervalBelow100msIsRejected);
	CPPUNIT_TEST(testUnknownAgentKeyIsRejected);
	CPPUNIT_TEST(testMiscasedKeySuggestsTheRightOne);
	CPPUNIT_TEST(testUnknownProfilerKeyIsRejected);
	CPPUNIT_TEST(testUnknownSectionIsRejected);
	CPPUNIT_TEST(testBadEventIsRejected);
	CPPUNIT_TEST(testBadCstackIsRejected);
	CPPUNIT_TEST(testBadNativeMemIsRejected);
	CPPUNIT_TEST(testExtraArgsWithFileIsRejected);
	CPPUNIT_TEST(testExtraArgsWithLogIsRejected);
	CPPUNIT_TEST(testExtraArgsWithEventIsRejected);
	CPPUNIT_TEST(testRelativeLibraryPathIsRejected);
	CPPUNIT_TEST(testRelativePluginDirIsRejected);
	CPPUNIT_TEST(testMalformedLabelsAreRejected);
	CPPUNIT_TEST(testMissingFileIsRejectedNamingPath);
	CPPUNIT_TEST(testDirectoryPathIsRejectedNamingPath);
	CPPUNIT_TEST(testMalformedXmlIsRejected);
	CPPUNIT_TEST_SUITE_END();

public:
	void testDefaultsMatchDesign()
	{
		AgentConfig config = parse(&AgentConfig::defaults);
		CPPUNIT_ASSERT_EQUAL(std::string("libasyncProfiler.so"), config.library);
		CPPUNIT_ASSERT(config.pluginDir.empty());
		CPPUNIT_ASSERT_EQUAL(Timespan(30, 0), config.reportingInterval);
		CPPUNIT_ASSERT_EQUAL(std::string("local"), config.reporter);
		CPPUNIT_ASSERT(config.metadata == std::vector<std::string>{"auto"});
		CPPUNIT_ASSERT(config.labels.empty());
		CPPUNIT_ASSERT_EQUAL(Timespan(10, 0), config.flushTimeout);
		CPPUNIT_ASSERT(config.tempDir.empty());
		CPPUNIT_ASSERT_EQUAL(std::string("cpu"), config.profiler.event);
		CPPUNIT_ASSERT_EQUAL(Timespan(100 * Timespan::MILLISECONDS), config.profiler.cpuInterval);
		CPPUNIT_ASSERT_EQUAL(Timespan(1, 0), config.profiler.wallInterval);
		CPPUNIT_ASSERT_EQUAL(std::string("dwarf"), config.profiler.cstack);
		CPPUNIT_ASSERT(config.profiler.nativeMem.empty());
		CPPUNIT_ASSERT(config.profiler.extraArgs.empty());
		CPPUNIT_ASSERT(!config.configuration.isNull());
	}

	void testEmptyIniGivesDefaults()
	{
		AgentConfig config = parseIni("");
		CPPUNIT_ASSERT_EQUAL(SOURCE, config.source);
		CPPUNIT_ASSERT_EQUAL(Timespan(30, 0), config.reportingInterval);
		CPPUNIT_ASSERT_EQUAL(DEFAULT_COMMAND, config.profiler.startCommand("/proc/self/fd/7"));
	}

	void testDefaultStartCommandIsRustAgentOrder()
	{
		CPPUNIT_ASSERT_EQUAL(DEFAULT_COMMAND, parse(&AgentConfig::defaults).profiler.startCommand("/proc/self/fd/7"));
	}

	void testNativeMemComesBeforeLogStderr()
	{
		AgentConfig config = parseIni("[profiler]\nnativeMem = 10m\n");
		CPPUNIT_ASSERT_EQUAL(std::string("start,event=cpu,interval=100000000,wall=1000ms,jfr,cstack=dwarf,"
										 "file=/proc/self/fd/7,nativemem=10m,log=stderr"),
			config.profiler.startCommand("/proc/self/fd/7"));
	}

	void testZeroWallIntervalOmitsWall()
	{
		AgentConfig config = parseIni("[profiler]\nwallInterval = 0\n");
		CPPUNIT_ASSERT_EQUAL(Timespan(0), config.profiler.wallInterval);
		CPPUNIT_ASSERT_EQUAL(std::string("start,event=cpu,interval=100000000,jfr,cstack=dwarf,file=/proc/self/fd/7,log=stderr"),
			config.profiler.startCommand("/proc/self/fd/7"));
	}

	void testExtraArgsComeLast()
	{
		AgentConfig config = parseIni("[profiler]\nnativeMem = 512k\nextraArgs = alloc=2m,threads\n");
		CPPUNIT_ASSERT_EQUAL(std::string("start,event=cpu,interval=100000000,wall=1000ms,jfr,cstack=dwarf,"
										 "file=/proc/self/fd/7,nativemem=512k,log=stderr,alloc=2m,threads"),
			config.profiler.startCommand("/proc/self/fd/7"));
	}

	void testArgumentsAreStartCommandWithoutActionAndFile()
	{
		AgentConfig config = parseIni("[profiler]\nextraArgs = threads\n");
		CPPUNIT_ASSERT_EQUAL(
			std::string("event=cpu,interval=100000000,wall=1000ms,jfr,cstack=dwarf,log=stderr,threads"), config.profiler.arguments());
	}

	void testIniReadsEveryKey()
	{
		AgentConfig config = parseIni("[agent]\n"
									  "library = /opt/asprof/lib/libasyncProfiler.so\n"
									  "pluginDir = /opt/asprof/plugins\n"
									  "reportingInterval = 5m\n"
									  "reporter = disk\n"
									  "metadata = ec2, onprem\n"
									  "labels = service=checkout\n"
									  "flushTimeout = 2s\n"
									  "tempDir = /var/tmp\n"
									  "[profiler]\n"
									  "event = itimer\n"
									  "cpuInterval = 10ms\n"
									  "wallInterval = 250ms\n"
									  "cstack = fp\n"
									  "[reporter.disk]\n"
									  "type = local\n"
									  "directory = /var/profiles\n");
		CPPUNIT_ASSERT_EQUAL(std::string("/opt/asprof/lib/libasyncProfiler.so"), config.library);
		CPPUNIT_ASSERT_EQUAL(std::string("/opt/asprof/plugins"), config.pluginDir);
		CPPUNIT_ASSERT_EQUAL(Timespan(5 * Timespan::MINUTES), config.reportingInterval);
		CPPUNIT_ASSERT_EQUAL(std::string("disk"), config.reporter);
		CPPUNIT_ASSERT((config.metadata == std::vector<std::string>{"ec2", "onprem"}));
		CPPUNIT_ASSERT((config.labels == asprof::sdk::KeyValueList{{"service", "checkout"}}));
		CPPUNIT_ASSERT_EQUAL(Timespan(2, 0), config.flushTimeout);
		CPPUNIT_ASSERT_EQUAL(std::string("/var/tmp"), config.tempDir);
		CPPUNIT_ASSERT_EQUAL(std::string("start,event=itimer,interval=10000000,wall=250ms,jfr,cstack=fp,file=/x,log=stderr"),
			config.profiler.startCommand("/x"));
		CPPUNIT_ASSERT_EQUAL(std::string("/var/profiles"), config.configuration->getString("reporter.disk.directory"));
	}

	void testInlineAndHashCommentsAreIgnored()
	{
		AgentConfig config = parseIni("# agent.ini\n"
									  "; also a comment\n"
									  "[agent]\n"
									  "reportingInterval = 5s ; five seconds\n"
									  "   # indented comment\n"
									  "reporter = main\t# the main one\n"
									  "[reporter.main]\n"
									  "type = local ; comment\n");
		CPPUNIT_ASSERT_EQUAL(Timespan(5, 0), config.reportingInterval);
		CPPUNIT_ASSERT_EQUAL(std::string("main"), config.reporter);
		CPPUNIT_ASSERT_EQUAL(std::string("local"), config.configuration->getString("reporter.main.type"));
	}

	void testLabelsKeepTheirOrder()
	{
		AgentConfig config = parseIni("[agent]\nlabels = zone=b, service=checkout , app=web\n");
		asprof::sdk::KeyValueList expected = {{"zone", "b"}, {"service", "checkout"}, {"app", "web"}};
		CPPUNIT_ASSERT(expected == config.labels);
	}

	void testXmlUsesTheSameKeys()
	{
		AgentConfig config = parseXml("<asprof>"
									  "<agent><reportingInterval>5s</reportingInterval><labels>env=prod, app=web</labels></agent>"
									  "<profiler><wallInterval>0</wallInterval><cstack>fp</cstack></profiler>"
									  "</asprof>",
			"agent.xml");
		CPPUNIT_ASSERT_EQUAL(std::string("agent.xml"), config.source);
		CPPUNIT_ASSERT_EQUAL(Timespan(5, 0), config.reportingInterval);
		asprof::sdk::KeyValueList expected = {{"env", "prod"}, {"app", "web"}};
		CPPUNIT_ASSERT(expected == config.labels);
		CPPUNIT_ASSERT_EQUAL(
			std::string("start,event=cpu,interval=100000000,jfr,cstack=fp,file=/x,log=stderr"), config.profiler.startCommand("/x"));
	}

	void testXmlAcceptsReporterAndMetadataSections()
	{
		// In XML an element with children is also a property: that must not
		// be mistaken for a misplaced top-level "reporter" key.
		// The form AgentConfig.h documents; instance sections nest like INI's [reporter.local].
		AgentConfig config = parseXml("<asprof>"
									  "<agent><reportingInterval>5s</reportingInterval></agent>"
									  "<reporter><local><type>local</type></local></reporter>"
									  "<metadata><onprem><type>onprem</type></onprem></metadata>"
									  "</asprof>",
			"agent.xml");
		CPPUNIT_ASSERT_EQUAL(Timespan(5, 0), config.reportingInterval);
		CPPUNIT_ASSERT_EQUAL(std::string("local"), config.configuration->getString("reporter.local.type"));
		CPPUNIT_ASSERT_EQUAL(std::string("onprem"), config.configuration->getString("metadata.onprem.type"));
	}

	void testTopLevelReporterKeyIsRejected()
	{
		std::string message = iniError("reporter = s3\n[agent]\nreportingInterval = 30s\n");
		assertMentions(message, {SOURCE, "reporter = s3", "is outside any section", "[agent]"});
		// Also when instance sections exist beside it.
		message = iniError("reporter = s3\n[reporter.s3]\ntype = s3\n");
		assertMentions(message, {SOURCE, "reporter = s3", "is outside any section"});
	}

	void testLoadPicksFormatByExtension()
	{
		TemporaryDirectory directory;
		writeFile(directory.file("agent.ini"), "[agent]\nreportingInterval = 7s\n");
		writeFile(directory.file("agent.XML"), "<asprof><agent><reportingInterval>9s</reportingInterval></agent></asprof>");
		AgentConfig ini = parse([&]() { return AgentConfig::load(directory.file("agent.ini")); });
		CPPUNIT_ASSERT_EQUAL(directory.file("agent.ini"), ini.source);
		CPPUNIT_ASSERT_EQUAL(Timespan(7, 0), ini.reportingInterval);
		AgentConfig xml = parse([&]() { return AgentConfig::load(directory.file("agent.XML")); });
		CPPUNIT_ASSERT_EQUAL(Timespan(9, 0), xml.reportingInterval);
	}

	void testBadDurationIsRejected()
	{
		std::string message = iniError("[agent]\nreportingInterval = 30\n");
		assertMentions(message, {SOURCE, "[agent]", "reportingInterval", "30", "a duration such as 250ms, 30s, 5m or 1h"});
	}

	void testReportingIntervalBelow100msIsRejected()
	{
		std::string message = iniError("[agent]\nreportingInterval = 50ms\n");
		assertMentions(message, {SOURCE, "[agent]", "reportingInterval", "50ms", "from 100ms"});
		CPPUNIT_ASSERT_EQUAL(Timespan(100 * Timespan::MILLISECONDS), parseIni("[agent]\nreportingInterval = 100ms\n").reportingInterval);
	}

	void testUnknownAgentKeyIsRejected()
	{
		std::string message = iniError("[agent]\nreportingPeriod = 30s\n");
		assertMentions(message, {SOURCE, "[agent]", "unknown key", "reportingPeriod"});
	}

	void testMiscasedKeySuggestsTheRightOne()
	{
		std::string message = iniError("[agent]\nreportinginterval = 30s\n");
		assertMentions(message, {SOURCE, "[agent]", "reportinginterval", "did you mean reportingInterval?"});
	}

	void testUnknownProfilerKeyIsRejected()
	{
		std::string message = iniError("[profiler]\nevent = cpu\ninterval = 10ms\n");
		assertMentions(message, {SOURCE, "[profiler]", "unknown key", "interval"});
	}

	void testUnknownSectionIsRejected()
	{
		std::string message = iniError("[agnet]\nreportingInterval = 30s\n");
		assertMentions(message, {SOURCE, "unknown section [agnet]", "expected [agent]"});
	}

	void testBadEventIsRejected()
	{
		std::string message = iniError("[profiler]\nevent = wall\n");
		assertMentions(message, {SOURCE, "[profiler]", "event", "wall", "cpu | itimer | ctimer"});
	}

	void testBadCstackIsRejected()
	{
		std::string message = iniError("[profiler]\ncstack = deep\n");
		assertMentions(message, {SOURCE, "[profiler]", "cstack", "deep", "dwarf | fp"});
	}

	void testBadNativeMemIsRejected()
	{
		std::string message = iniError("[profiler]\nnativeMem = 10MiB\n");
		assertMentions(message, {SOURCE, "[profiler]", "nativeMem", "10MiB", "such as 0, 512k or 10m"});
	}

	void testExtraArgsWithFileIsRejected()
	{
		std::string message = iniError("[profiler]\nextraArgs = threads,file=/tmp/steal.jfr\n");
		assertMentions(message, {SOURCE, "[profiler]", "extraArgs", "file=/tmp/steal.jfr", "no file"});
	}

	void testExtraArgsWithLogIsRejected()
	{
		std::string message = iniError("[profiler]\nextraArgs = log=/tmp/asprof.log\n");
		assertMentions(message, {SOURCE, "[profiler]", "extraArgs", "log=/tmp/asprof.log", "no log"});
	}

	void testExtraArgsWithEventIsRejected()
	{
		std::string message = iniError("[profiler]\nextraArgs = event=alloc\n");
		assertMentions(message, {SOURCE, "[profiler]", "extraArgs", "event=alloc", "no event", "[profiler] keys"});
	}

	void testRelativeLibraryPathIsRejected()
	{
		std::string message = iniError("[agent]\nlibrary = ./lib.so\n");
		assertMentions(message, {SOURCE, "[agent]", "library", "./lib.so", "absolute path"});
	}

	void testRelativePluginDirIsRejected()
	{
		std::string message = iniError("[agent]\npluginDir = lib/plugins\n");
		assertMentions(message, {SOURCE, "[agent]", "pluginDir", "lib/plugins", "an absolute directory path"});
	}

	void testMalformedLabelsAreRejected()
	{
		std::string message = iniError("[agent]\nlabels = env=prod, team\n");
		assertMentions(message, {SOURCE, "[agent]", "labels", "env=prod, team", "name=value pairs"});
	}

	void testMissingFileIsRejectedNamingPath()
	{
		TemporaryDirectory directory;
		std::string missing = directory.file("missing-agent.ini");
		std::string message = configError([&]() { AgentConfig::load(missing); });
		assertMentions(message, {"cannot read agent configuration", missing});
	}

	void testDirectoryPathIsRejectedNamingPath()
	{
		// A directory must not read as an empty file (silently the defaults).
		TemporaryDirectory directory;
		std::string message = configError([&]() { AgentConfig::load(directory.path()); });
		assertMentions(message, {"cannot read agent configuration", directory.path()});
	}

	void testMalformedXmlIsRejected()
	{
		std::string message =
			configError([]() { AgentConfig::fromXml("<asprof><agent><reportingInterval>5s</agent></asprof>", "broken.xml"); });
		assertMentions(message, {"broken.xml", "not a valid XML file"});
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(AgentConfigTest);
