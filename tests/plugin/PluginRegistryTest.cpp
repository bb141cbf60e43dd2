// Plugin loading: the registry's checks, broken plugins, instance sections.
#include "MetadataResolver.h"
#include "PluginRegistry.h"
#include "PluginFactory.h"
#include "PluginNote.h"
#include "asprof/sdk/Plugin.h"
#include "TestSupport.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/agent/Exception.h"
#include "Poco/Environment.h"
#include "Poco/File.h"
#include "Poco/Path.h"
#include <cppunit/extensions/HelperMacros.h>
#include <algorithm>
#include <cstddef>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <unistd.h>
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

std::string readFileBytes(const std::string& path)
{
	std::ifstream in(path, std::ios::binary);
	return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeFileBytes(const std::string& path, const std::string& content)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out.write(content.data(), static_cast<std::streamsize>(content.size()));
	CPPUNIT_ASSERT(out.good());
	out.close();
	::chmod(path.c_str(), 0755);
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
	CPPUNIT_TEST(testPluginNoteIsReadFromTheFile);
	CPPUNIT_TEST(testWrongAbiIsRefusedNamingFileAndVersions);
	CPPUNIT_TEST(testOtherPocoIsRefusedNamingBothVersions);
	CPPUNIT_TEST(testOtherCxxLibraryAbiIsRefused);
	CPPUNIT_TEST(testLibraryWithoutManifestIsRefused);
	CPPUNIT_TEST(testPluginNeedingAMissingSdkSymbolIsRefusedBeforeItRuns);
	CPPUNIT_TEST(testPluginNoteSurvivesGcSections);
	CPPUNIT_TEST(testFilesThatAreNotPluginsAreRefusedWithTheReason);
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
		CPPUNIT_ASSERT(::dlsym(handle, ("pocoBuildManifestReporterV" + std::to_string(ASPROF_SDK_ABI_VERSION)).c_str()));
		// The note is data in a section, read from the file: no symbol.
		CPPUNIT_ASSERT(!::dlsym(handle, "asprofPluginNote"));
		// The reporter's own code is hidden: plugins loaded RTLD_GLOBAL cannot interpose.
		CPPUNIT_ASSERT(!::dlsym(handle, "_ZN6asprof7plugins13LocalReporter8baseNameERKN4Poco9TimestampE"));
	}

	void testPluginNoteIsReadFromTheFile()
	{
		int fd = ::open((BUILD_PLUGINS + "/libasprof-reporter-local.so").c_str(), O_RDONLY | O_CLOEXEC);
		CPPUNIT_ASSERT(fd >= 0);
		PluginNote note = PluginNote::read(fd, "local");
		::close(fd);
		CPPUNIT_ASSERT_EQUAL(std::string("reporter"), note.kind);
		CPPUNIT_ASSERT_EQUAL(std::string("local"), note.type);
		CPPUNIT_ASSERT_EQUAL(unsigned(ASPROF_SDK_ABI_VERSION), note.abiVersion);
		CPPUNIT_ASSERT_EQUAL(std::string(ASPROF_VERSION_STRING), note.sdkVersion);
		CPPUNIT_ASSERT_EQUAL(std::string(), note.mismatch(PluginNote::expected("reporter", "local")));
	}

	// Each of these plugins aborts the process from a static initialiser if
	// anything of it is loaded (tests/plugins/MustNotRun.h): reaching the
	// asserts proves the refusal came before loading.
	void testWrongAbiIsRefusedNamingFileAndVersions()
	{
		PluginRegistry registry(TEST_PLUGINS);
		std::string error = errorOf([&]() { registry.createReporter("wrongabi", ""); });
		const std::string abi = std::to_string(ASPROF_SDK_ABI_VERSION);
		CPPUNIT_ASSERT_MESSAGE(error,
			contains(error,
				"refusing plugin " + TEST_PLUGINS +
					"/libasprof-reporter-wrongabi.so: "
					"built with SDK ABI 99, this agent with SDK ABI " +
					abi + "; rebuild the plugin against this agent's SDK"));
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "(plugin: SDK " ASPROF_VERSION_STRING " (ABI 99), Poco "));
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "; agent: SDK " ASPROF_VERSION_STRING " (ABI " + abi + "), Poco "));
	}

	void testOtherPocoIsRefusedNamingBothVersions()
	{
		PluginRegistry registry(TEST_PLUGINS);
		std::string error = errorOf([&]() { registry.createReporter("wrongpoco", ""); });
		std::string ours = std::to_string(POCO_VERSION >> 24) + "." + std::to_string((POCO_VERSION >> 16) & 0xff);
		CPPUNIT_ASSERT_MESSAGE(
			error, contains(error, "libasprof-reporter-wrongpoco.so: built with Poco 1.12, this agent with Poco " + ours + ";"));
	}

	void testOtherCxxLibraryAbiIsRefused()
	{
		PluginRegistry registry(TEST_PLUGINS);
		std::string error = errorOf([&]() { registry.createReporter("oldcxxabi", ""); });
		CPPUNIT_ASSERT_MESSAGE(error,
			contains(error,
				"libasprof-reporter-oldcxxabi.so: built with libstdc++ pre-C++11 ABI "
				"(_GLIBCXX_USE_CXX11_ABI=0), this agent with libstdc++ C++11 ABI;"));
	}

	void testPluginNeedingAMissingSdkSymbolIsRefusedBeforeItRuns()
	{
		PluginRegistry registry(TEST_PLUGINS);
		std::string error = errorOf([&]() { registry.createReporter("newersdk", ""); });
		CPPUNIT_ASSERT_MESSAGE(error,
			contains(
				error, "refusing plugin " + TEST_PLUGINS + "/libasprof-reporter-newersdk.so: it needs what this agent does not provide"));
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "aFunctionOfANewerSdk"));
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "rebuild the plugin against this agent's SDK"));
	}

	void testPluginNoteSurvivesGcSections()
	{
		// libasprof-reporter-capture.so is linked with --gc-sections.
		PluginRegistry registry(TEST_PLUGINS);
		CPPUNIT_ASSERT(registry.createReporter("capture", "") != nullptr);
	}

	void testLibraryWithoutManifestIsRefused()
	{
		PluginRegistry registry(TEST_PLUGINS);
		std::string error = errorOf([&]() { registry.createReporter("nomanifest", ""); });
		CPPUNIT_ASSERT_MESSAGE(error, contains(error, "libasprof-reporter-nomanifest.so: not a plugin of this SDK: it has no plugin note"));
	}

	void testFilesThatAreNotPluginsAreRefusedWithTheReason()
	{
		TemporaryDirectory dir;
		std::string good = readFileBytes(BUILD_PLUGINS + "/libasprof-reporter-local.so");
		auto refusal = [&](const std::string& content) {
			std::string path = dir.file("libasprof-reporter-local.so");
			::unlink(path.c_str());
			writeFileBytes(path, content);
			return errorOf([&]() { PluginRegistry(dir.path()).createReporter("local", ""); });
		};
		CPPUNIT_ASSERT(contains(refusal("#!/bin/sh\necho hello\n"), ": not an ELF file"));
		CPPUNIT_ASSERT(contains(refusal(""), "not a valid ELF shared object (its header lies beyond the end of the file)"));

		std::string badClass = good;
		badClass[EI_CLASS] = 3;
		CPPUNIT_ASSERT(contains(refusal(badClass), "not a valid ELF file (ELF class byte 3)"));

		std::string thirtyTwo = good;
		thirtyTwo[EI_CLASS] = ELFCLASS32;
		CPPUNIT_ASSERT(contains(refusal(thirtyTwo), "built for 32-bit code; this agent is 64-bit"));

		std::string cut = good.substr(0, good.size() / 2); // the section table is at the end
		CPPUNIT_ASSERT(contains(refusal(cut), "not a valid ELF shared object (its section table lies beyond the end of the file)"));

		// A note from a future SDK: layout 2.
		std::string future = good;
		std::size_t magic = future.find(std::string("asprof-plugin\0\0\0", 16));
		CPPUNIT_ASSERT(magic != std::string::npos);
		future[magic + 16] = 2;
		CPPUNIT_ASSERT(contains(refusal(future), "its plugin note has layout 2, newer than this agent reads (1)"));

		// An unterminated type name.
		std::string unterminated = good;
		std::fill_n(&unterminated[magic + offsetof(AsprofPluginNote, type)], sizeof(AsprofPluginNote::type), 'x');
		CPPUNIT_ASSERT(contains(refusal(unterminated), "its plugin note is malformed (type is not terminated)"));

		// The intact copy, written the same way, loads.
		std::string path = dir.file("libasprof-reporter-local.so");
		::unlink(path.c_str());
		writeFileBytes(path, good);
		CPPUNIT_ASSERT(PluginRegistry(dir.path()).createReporter("local", "") != nullptr);
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
				"/libasprof-metadata-onprem.so\nhostname = box-1\nfields = rack=r7\n",
			"metadata = bad, host\n");
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
				"/libasprof-metadata-onprem.so\n",
			"metadata = broken, host\n");
		PluginRegistry registry(config.pluginDir);
		PluginFactory factory(config, registry);
		auto candidates = factory.createMetadataCandidates();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), candidates.size());
		CPPUNIT_ASSERT_EQUAL(std::string("host"), candidates[0].name);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginRegistryTest);
