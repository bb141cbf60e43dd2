// Plugin loading: the registry's checks, broken plugins, instance sections.
#include "MetadataResolver.h"
#include "PluginRegistry.h"
#include "PluginFactory.h"
#include "TestSupport.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/agent/Exception.h"
#include "Poco/Environment.h"
#include "Poco/File.h"
#include "Poco/Path.h"
#include <cppunit/extensions/HelperMacros.h>
#include <dlfcn.h>
#include <sys/stat.h>

using namespace asprof;
using namespace asprof::agent;
using asprof::test::TemporaryDirectory;

namespace {

const std::string TEST_PLUGINS = ASPROF_TEST_PLUGIN_DIR;
const std::string BUILD_PLUGINS = ASPROF_BUILD_PLUGIN_DIR;

template <class Function>
std::string errorOf(Function function)
{
	try
	{
		function();
	}
	catch (Poco::Exception& e)
	{
		return e.displayText();
	}
	CPPUNIT_FAIL("expected an exception");
	return "";
}

bool contains(const std::string& text, const std::string& part)
{
	return text.find(part) != std::string::npos;
}

AgentConfig configWith(const std::string& sections, const std::string& agentKeys = "")
{
	return AgentConfig::fromIni("[agent]\npluginDir = " + TEST_PLUGINS + "\n" + agentKeys + "\n" + sections, "test.ini");
}

std::string copyPlugin(const TemporaryDirectory& dir, const std::string& name)
{
	std::string target = dir.file(name);
	Poco::File(BUILD_PLUGINS + "/" + name).copyTo(target);
	::chmod(target.c_str(), 0755);
	return target;
}

std::string names(const std::vector<MetadataResolver::Candidate>& candidates)
{
	std::string text;
	for (const auto& candidate : candidates) text += (text.empty() ? "" : " ") + candidate.name;
	return text;
}

} // namespace

class PluginRegistryTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PluginRegistryTest);
	CPPUNIT_TEST(testLoadsTheLocalReporterFromTheBuiltPluginDir);
	CPPUNIT_TEST(testDefaultPluginDirIsNextToTheAgentLibrary);
	CPPUNIT_TEST(testPluginExportsOnlyItsManifest);
	CPPUNIT_TEST(testWrongAbiIsRefusedNamingFileAndVersions);
	CPPUNIT_TEST(testLibraryWithoutManifestIsRefused);
	CPPUNIT_TEST(testPluginOfAnotherKindIsRefused);
	CPPUNIT_TEST(testMissingPluginNamesTheFile);
	CPPUNIT_TEST(testPluginFileWritableByOthersIsRefused);
	CPPUNIT_TEST(testPluginDirWritableByOthersIsRefused);
	CPPUNIT_TEST(testThrowingConfigureNamesThePlugin);
	CPPUNIT_TEST(testUnknownKeyInPluginSectionIsAnError);
	CPPUNIT_TEST(testSectionWithoutTypeIsAnError);
	CPPUNIT_TEST(testUnknownInstanceWithoutSectionIsAnError);
	CPPUNIT_TEST(testInstanceNameDoublesAsTypeWithoutSection);
	CPPUNIT_TEST(testLibraryKeyLoadsAPluginFromElsewhere);
	CPPUNIT_TEST(testFailingMetadataFallsThroughToTheNextProvider);
	CPPUNIT_TEST(testNoMetadataProviderFallsBackToOnprem);
	CPPUNIT_TEST(testAutoMetadataTriesEcsOnlyOnEcsThenEc2ThenOnprem);
	CPPUNIT_TEST(testAutoMetadataSkipsPluginsThatAreNotInstalled);
	CPPUNIT_TEST(testBrokenMetadataInstanceIsDisabledOthersRun);
	CPPUNIT_TEST_SUITE_END();

public:
	void testLoadsTheLocalReporterFromTheBuiltPluginDir()
	{
		PluginRegistry registry(BUILD_PLUGINS);
		CPPUNIT_ASSERT(registry.hasPlugin("reporter", "local"));
		CPPUNIT_ASSERT(registry.createReporter("local", "") != nullptr);
		CPPUNIT_ASSERT(registry.createMetadataProvider("onprem", "") != nullptr);
	}

	void testDefaultPluginDirIsNextToTheAgentLibrary()
	{
		Poco::Path expected(BUILD_PLUGINS);
		Poco::Path actual(PluginRegistry::defaultPluginDir());
		CPPUNIT_ASSERT_EQUAL(Poco::File(expected).path(), Poco::File(actual).path());
		CPPUNIT_ASSERT_EQUAL(BUILD_PLUGINS, PluginRegistry("").pluginDir());
	}

	void testPluginExportsOnlyItsManifest()
	{
		void* handle = ::dlopen((BUILD_PLUGINS + "/libasprof-reporter-local.so").c_str(), RTLD_NOW | RTLD_LOCAL);
		CPPUNIT_ASSERT(handle);
		CPPUNIT_ASSERT(::dlsym(handle, "asprofPluginInfo"));
		CPPUNIT_ASSERT(::dlsym(handle, "pocoBuildManifestReporterV1"));
		// The reporter's own code is hidden: plugins loaded RTLD_GLOBAL cannot interpose.
		CPPUNIT_ASSERT(!::dlsym(handle, "_ZN6asprof7plugins13LocalReporter9configureERNS_3sdk13PluginContextE"));
		CPPUNIT_ASSERT(!::dlsym(handle, "_ZN6asprof7plugins13LocalReporter8baseNameERKN4Poco9TimestampE"));
	}

	void testWrongAbiIsRefusedNamingFileAndVersions()
	{
		PluginRegistry registry(TEST_PLUGINS);
		std::string error = errorOf([&]() { registry.createReporter("wrongabi", ""); });
		CPPUNIT_ASSERT(contains(error, TEST_PLUGINS + "/libasprof-reporter-wrongabi.so"));
		CPPUNIT_ASSERT(contains(error, "built for plugin ABI 99"));
		CPPUNIT_ASSERT(contains(error, "expects ABI 1"));
	}

	void testLibraryWithoutManifestIsRefused()
	{
		PluginRegistry registry(TEST_PLUGINS);
		std::string error = errorOf([&]() { registry.createReporter("nomanifest", ""); });
		CPPUNIT_ASSERT(contains(error, "libasprof-reporter-nomanifest.so"));
		CPPUNIT_ASSERT(contains(error, "no asprof-agent manifest"));
	}

	void testPluginOfAnotherKindIsRefused()
	{
		PluginRegistry registry(TEST_PLUGINS);
		std::string error = errorOf([&]() { registry.createReporter("mislabeled", ""); });
		CPPUNIT_ASSERT(contains(error, "libasprof-reporter-mislabeled.so is a metadata plugin of type 'other'"));
	}

	void testMissingPluginNamesTheFile()
	{
		PluginRegistry registry(TEST_PLUGINS);
		std::string error = errorOf([&]() { registry.createReporter("nosuch", ""); });
		CPPUNIT_ASSERT(contains(error, TEST_PLUGINS + "/libasprof-reporter-nosuch.so does not exist"));
	}

	void testPluginFileWritableByOthersIsRefused()
	{
		TemporaryDirectory dir;
		std::string plugin = copyPlugin(dir, "libasprof-reporter-local.so");
		::chmod(plugin.c_str(), 0777);
		PluginRegistry registry(dir.path());
		std::string error = errorOf([&]() { registry.createReporter("local", ""); });
		CPPUNIT_ASSERT(contains(error, plugin));
		CPPUNIT_ASSERT(contains(error, "writable by other users"));
		// The library= path is checked the same way.
		error = errorOf([&]() { PluginRegistry(BUILD_PLUGINS).createReporter("local", plugin); });
		CPPUNIT_ASSERT(contains(error, "writable by other users"));
	}

	void testPluginDirWritableByOthersIsRefused()
	{
		TemporaryDirectory dir;
		copyPlugin(dir, "libasprof-reporter-local.so");
		::chmod(dir.path().c_str(), 0777);
		std::string error = errorOf([&]() { PluginRegistry(dir.path()).createReporter("local", ""); });
		CPPUNIT_ASSERT(contains(error, "directory " + dir.path()));
		CPPUNIT_ASSERT(contains(error, "writable by other users"));
	}

	void testThrowingConfigureNamesThePlugin()
	{
		AgentConfig config = configWith("[reporter.main]\ntype = throwing\n");
		PluginRegistry registry(config.pluginDir);
		PluginFactory factory(config, registry);
		std::string error;
		try
		{
			factory.buildLanes("main", nullptr);
			CPPUNIT_FAIL("expected PluginException");
		}
		catch (PluginException& e)
		{
			error = e.displayText();
		}
		CPPUNIT_ASSERT(contains(error, TEST_PLUGINS + "/libasprof-reporter-throwing.so"));
		CPPUNIT_ASSERT(contains(error, "[reporter.main]"));
		CPPUNIT_ASSERT(contains(error, "configure refuses on purpose"));
	}

	void testUnknownKeyInPluginSectionIsAnError()
	{
		TemporaryDirectory dir;
		AgentConfig config = configWith("[reporter.main]\ntype = capture\ndirectory = " + dir.path() + "\ndirectroy = typo\n");
		PluginRegistry registry(config.pluginDir);
		PluginFactory factory(config, registry);
		std::string error;
		try
		{
			factory.buildLanes("main", nullptr);
			CPPUNIT_FAIL("expected ConfigException");
		}
		catch (ConfigException& e)
		{
			error = e.displayText();
		}
		CPPUNIT_ASSERT(contains(error, "test.ini: [reporter.main] unknown key directroy"));
	}

	void testSectionWithoutTypeIsAnError()
	{
		AgentConfig config = configWith("[reporter.main]\ndirectory = /tmp\n");
		PluginRegistry registry(config.pluginDir);
		PluginFactory factory(config, registry);
		std::string error = errorOf([&]() { factory.buildLanes("main", nullptr); });
		CPPUNIT_ASSERT(contains(error, "test.ini: [reporter.main] type is required"));
	}

	void testUnknownInstanceWithoutSectionIsAnError()
	{
		AgentConfig config = configWith("", "reporter = elsewhere\n");
		PluginRegistry registry(config.pluginDir);
		PluginFactory factory(config, registry);
		std::string error = errorOf([&]() { factory.buildLanes(config.reporter, nullptr); });
		CPPUNIT_ASSERT(contains(error, "no [reporter.elsewhere] section"));
		CPPUNIT_ASSERT(contains(error, "libasprof-reporter-elsewhere.so"));
	}

	void testInstanceNameDoublesAsTypeWithoutSection()
	{
		TemporaryDirectory dir;
		AgentConfig config = AgentConfig::fromIni("[agent]\nreporter = local\n", "test.ini");
		PluginRegistry registry(BUILD_PLUGINS);
		PluginFactory factory(config, registry);
		auto lanes = factory.buildLanes("local", nullptr);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), lanes.size());
		CPPUNIT_ASSERT_EQUAL(std::string("local"), lanes.back()->name());
		CPPUNIT_ASSERT_EQUAL(std::size_t(16), lanes.back()->settings().queueCapacity);
		Poco::File("profiles").remove(true);
	}

	void testLibraryKeyLoadsAPluginFromElsewhere()
	{
		TemporaryDirectory dir;
		AgentConfig config = configWith("[reporter.main]\ntype = local\nlibrary = " + BUILD_PLUGINS +
			"/libasprof-reporter-local.so\ndirectory = " + dir.file("out") + "\nqueueCapacity = 3\n");
		PluginRegistry registry(config.pluginDir);
		PluginFactory factory(config, registry);
		auto lanes = factory.buildLanes("main", nullptr);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), lanes.back()->settings().queueCapacity);
		CPPUNIT_ASSERT(Poco::File(dir.file("out")).isDirectory()); // started: directory created
	}

	void testFailingMetadataFallsThroughToTheNextProvider()
	{
		AgentConfig config = configWith("[metadata.bad]\ntype = failing\n[metadata.host]\ntype = onprem\nlibrary = " + BUILD_PLUGINS +
			"/libasprof-metadata-onprem.so\nhostname = box-1\nfields = rack=r7\n", "metadata = bad, host\n");
		PluginRegistry registry(config.pluginDir);
		PluginFactory factory(config, registry);
		auto candidates = factory.createMetadataCandidates();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), candidates.size());
		MetadataResolver resolver(std::move(candidates));
		sdk::HostMetadata host = resolver.resolve();
		CPPUNIT_ASSERT_EQUAL(std::string("onprem"), host.kind);
		CPPUNIT_ASSERT_EQUAL(std::string("box-1"), host.field("hostname"));
		CPPUNIT_ASSERT_EQUAL(std::string("r7"), host.field("rack"));
	}

	void testNoMetadataProviderFallsBackToOnprem()
	{
		AgentConfig config = configWith("[metadata.bad]\ntype = failing\n", "metadata = bad\n");
		PluginRegistry registry(config.pluginDir);
		PluginFactory factory(config, registry);
		MetadataResolver resolver(factory.createMetadataCandidates());
		sdk::HostMetadata host = resolver.resolve();
		CPPUNIT_ASSERT_EQUAL(std::string("onprem"), host.kind);
		CPPUNIT_ASSERT_EQUAL(Poco::Environment::nodeName(), host.field("hostname"));
	}

	void testAutoMetadataTriesEcsOnlyOnEcsThenEc2ThenOnprem()
	{
		AgentConfig config = AgentConfig::fromIni("[agent]\nmetadata = auto\n", "test.ini");
		PluginRegistry registry(BUILD_PLUGINS);
		PluginFactory factory(config, registry);
		::unsetenv("ECS_CONTAINER_METADATA_URI_V4");
		CPPUNIT_ASSERT_EQUAL(std::string("ec2 onprem"), names(factory.createMetadataCandidates()));
		asprof::test::ScopedEnv ecs("ECS_CONTAINER_METADATA_URI_V4", "http://127.0.0.1:9/v4");
		CPPUNIT_ASSERT_EQUAL(std::string("ecs ec2 onprem"), names(factory.createMetadataCandidates()));
	}

	void testAutoMetadataSkipsPluginsThatAreNotInstalled()
	{
		asprof::test::ScopedEnv ecs("ECS_CONTAINER_METADATA_URI_V4", "http://127.0.0.1:9/v4");
		TemporaryDirectory dir;
		copyPlugin(dir, "libasprof-metadata-onprem.so");
		AgentConfig config = AgentConfig::fromIni("[agent]\nmetadata = auto\npluginDir = " + dir.path() + "\n", "test.ini");
		PluginRegistry registry(config.pluginDir);
		PluginFactory factory(config, registry);
		// Only onprem is installed there; ecs and ec2 are skipped without an error.
		CPPUNIT_ASSERT_EQUAL(std::string("onprem"), names(factory.createMetadataCandidates()));
	}

	void testBrokenMetadataInstanceIsDisabledOthersRun()
	{
		AgentConfig config = configWith("[metadata.broken]\ntype = nosuch\n[metadata.host]\ntype = onprem\nlibrary = " + BUILD_PLUGINS +
			"/libasprof-metadata-onprem.so\n", "metadata = broken, host\n");
		PluginRegistry registry(config.pluginDir);
		PluginFactory factory(config, registry);
		auto candidates = factory.createMetadataCandidates();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), candidates.size());
		CPPUNIT_ASSERT_EQUAL(std::string("host"), candidates[0].name);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginRegistryTest);
