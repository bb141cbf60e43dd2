//
// ConfigFaultTest.cpp
//
// Fault injection: see tests/faults/README.md. Bad configuration, each case
// with its exact error; configuration files that would block; plugins whose
// configure() or start() never return; hostile library and plugin paths.
//

#include "LibraryPath.h"
#include "MetadataResolver.h"
#include "PluginFactory.h"
#include "PluginRegistry.h"
#include "SectionContext.h"
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/MetadataProvider.h"
#include "Poco/File.h"
#include "Poco/Logger.h"
#include "Poco/NumberFormatter.h"
#include "Poco/Process.h"
#include "Poco/String.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <future>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace asprof;
using namespace asprof::agent;
using asprof::test::readFile;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;
using asprof::test::writeFile;

namespace {

const std::string TEST_PLUGINS = ASPROF_TEST_PLUGIN_DIR;
const std::string BUILD_PLUGINS = ASPROF_BUILD_PLUGIN_DIR;
const std::string BLOCKING_REPORTER = TEST_PLUGINS + "/libasprof-reporter-blocking.so";
const std::string MULTI_REPORTER = BUILD_PLUGINS + "/libasprof-reporter-multi.so";

template <class Function>
std::string errorOf(Function function)
{
	try
	{
		function();
	}
	catch (Poco::Exception& e)
	{
		return e.message(); // displayText() adds the class's description
	}
	CPPUNIT_FAIL("expected an exception");
	return "";
}

std::string iniError(const std::string& text)
{
	return errorOf([&]() { AgentConfig::fromIni(text, "fault.ini"); });
}

std::string xmlError(const std::string& text)
{
	return errorOf([&]() { AgentConfig::fromXml(text, "fault.xml"); });
}

AgentConfig configWith(const std::string& sections, const std::string& agentKeys = "")
{
	return AgentConfig::fromIni(
		"[agent]\npluginDir = " + TEST_PLUGINS + "\nmetadata = onprem\nreporter = main\n" + agentKeys + "\n" + sections, "test.ini");
}

std::string buildError(const AgentConfig& config)
{
	PluginRegistry registry(config.pluginDir);
	return errorOf([&]() { PluginFactory(config, registry).buildLanes(config.reporter, nullptr); });
}

long elapsedMs(std::chrono::steady_clock::time_point since)
{
	return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count());
}

std::string copyPlugin(const std::string& directory, const std::string& name, const std::string& as)
{
	std::string target = directory + "/" + as;
	Poco::File(BUILD_PLUGINS + "/" + name).copyTo(target);
	::chmod(target.c_str(), 0755);
	return target;
}

// Whether this process has the file's inode mapped: a loaded library is.
bool isMapped(const std::string& path)
{
	struct stat st;
	if (::stat(path.c_str(), &st) != 0) return false;
	std::ifstream maps("/proc/self/maps");
	std::string line;
	std::string inode = " " + std::to_string(st.st_ino) + " ";
	while (std::getline(maps, line))
	{
		if (line.find(inode) != std::string::npos) return true;
	}
	return false;
}

struct ChildResult
{
	bool exited = false;
	int status = -1;
	std::string out;
	std::string err;
};

// Runs a program with its output in files (no pipe to fill up), killed at
// the deadline or once it prints "started".
ChildResult runChild(const std::string& program, const std::vector<std::string>& args, const std::string& directory,
	const Poco::Process::Env& env, Poco::Timespan deadline = Poco::Timespan(20, 0))
{
	TemporaryDirectory output;
	Poco::Process::Args shellArgs{"-c", "exec \"$0\" \"$@\" > " + output.file("out") + " 2> " + output.file("err"), program};
	shellArgs.insert(shellArgs.end(), args.begin(), args.end());
	Poco::ProcessHandle handle = Poco::Process::launch("/bin/sh", shellArgs, directory, nullptr, nullptr, nullptr, env);
	ChildResult result;
	// isRunning() is true for a zombie; tryWait() reaps.
	result.exited =
		waitUntil(
			[&]() {
				if ((result.status = Poco::Process::tryWait(handle)) != -1) return true;
				return Poco::File(output.file("out")).exists() && readFile(output.file("out")).find("started") != std::string::npos;
			},
			deadline) &&
		result.status != -1;
	if (result.status == -1)
	{
		Poco::Process::kill(handle);
		result.status = handle.wait();
	}
	result.out = readFile(output.file("out"));
	result.err = readFile(output.file("err"));
	return result;
}

} // namespace

class ConfigFaultTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ConfigFaultTest);
	// 5: bounded waits
	CPPUNIT_TEST(testFifoConfigIsRefusedWithoutWaiting);
	CPPUNIT_TEST(testDeviceConfigIsRefused);
	CPPUNIT_TEST(testConfigLargerThanOneMebibyteIsRefused);
	CPPUNIT_TEST(testAgentRunnerWithFifoConfigExitsAtOnce);
	CPPUNIT_TEST(testBlockingConfigureIsRefusedAtStartTimeout);
	CPPUNIT_TEST(testBlockingStartIsRefusedAtStartTimeout);
	CPPUNIT_TEST(testBlockingChildOfMultiIsNamed);
	CPPUNIT_TEST(testAgentStartReturnsWithinStartTimeout);
	CPPUNIT_TEST(testBlockingMetadataConfigureIsSkippedAtStartTimeout);
	CPPUNIT_TEST(testStartTimeoutOutOfRangeIsRefused);
	// 9: the current directory
	CPPUNIT_TEST(testLibraryInTheCurrentDirectoryNeverRuns);
	CPPUNIT_TEST(testSearchSkipsEmptyAndRelativeComponents);
	CPPUNIT_TEST(testLdCacheIsReadLikeDlopen);
	CPPUNIT_TEST(testRelativeLibraryPathIsRefused);
	// 14: plugin check and load
	CPPUNIT_TEST(testSymlinkedPluginIsRefusedAndNeverLoaded);
	CPPUNIT_TEST(testPluginBelowAWorldWritableAncestorIsRefused);
	CPPUNIT_TEST(testSwappedPluginFileIsNeverLoaded);
	CPPUNIT_TEST(testLoadingPluginIsLoggedBeforeTheLoad);
	// 16: extraArgs
	CPPUNIT_TEST(testExtraArgsAgentOwnedNamesAreRefusedInAnyCase);
	CPPUNIT_TEST(testExtraArgsOutsideTheAllowlistAreRefused);
	CPPUNIT_TEST(testExtraArgsAllowedArgumentsPass);
	// 17: silent accepts
	CPPUNIT_TEST(testEmptyConfigFileIsRefused);
	CPPUNIT_TEST(testUnclosedSectionHeaderIsRefused);
	CPPUNIT_TEST(testUtf8ByteOrderMarkIsAccepted);
	CPPUNIT_TEST(testDuplicateSectionIsRefused);
	CPPUNIT_TEST(testDuplicateKeyIsRefused);
	CPPUNIT_TEST(testSectionWithoutInstanceNameIsRefused);
	CPPUNIT_TEST(testUnusedReporterSectionIsRefused);
	CPPUNIT_TEST(testUnusedMetadataSectionIsRefused);
	CPPUNIT_TEST(testEmptyMetadataListIsRefused);
	CPPUNIT_TEST(testControlCharactersInLabelsAreRefused);
	CPPUNIT_TEST(testControlCharactersInHostnameAreRefused);
	CPPUNIT_TEST(testXmlAttributesAreRefused);
	CPPUNIT_TEST(testXmlWrongRootElementIsRefused);
	CPPUNIT_TEST(testReporterReachedTwiceThroughMultiIsRefused);
	CPPUNIT_TEST(testReporterCycleIsNamed);
	CPPUNIT_TEST_SUITE_END();

public:
	// ---- 5: every wait the host can feel is bounded ----

	void testFifoConfigIsRefusedWithoutWaiting()
	{
		TemporaryDirectory dir;
		std::string fifo = dir.file("agent.ini");
		CPPUNIT_ASSERT_EQUAL(0, ::mkfifo(fifo.c_str(), 0600));
		auto load = std::async(std::launch::async, [&]() { return errorOf([&]() { AgentConfig::load(fifo); }); });
		if (load.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
		{
			int writer = ::open(fifo.c_str(), O_WRONLY); // releases a reader stuck in open()
			if (writer >= 0) ::close(writer);
			load.wait();
			CPPUNIT_FAIL("AgentConfig::load of a FIFO blocked for 5 s");
		}
		CPPUNIT_ASSERT_EQUAL("cannot read agent configuration " + fifo + ": it is not a regular file (a FIFO)", load.get());
	}

	void testDeviceConfigIsRefused()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("cannot read agent configuration /dev/zero: it is not a regular file (a device)"),
			errorOf([]() { AgentConfig::load("/dev/zero"); }));
	}

	void testConfigLargerThanOneMebibyteIsRefused()
	{
		TemporaryDirectory dir;
		writeFile(dir.file("agent.ini"), "[agent]\n" + std::string(1024 * 1024, ';'));
		CPPUNIT_ASSERT_EQUAL("cannot read agent configuration " + dir.file("agent.ini") + ": it is larger than 1 MiB (1048584 bytes)",
			errorOf([&]() { AgentConfig::load(dir.file("agent.ini")); }));
	}

	void testAgentRunnerWithFifoConfigExitsAtOnce()
	{
		TemporaryDirectory dir;
		std::string fifo = dir.file("agent.ini");
		CPPUNIT_ASSERT_EQUAL(0, ::mkfifo(fifo.c_str(), 0600));
		auto started = std::chrono::steady_clock::now();
		ChildResult child = runChild(ASPROF_TEST_AGENT_RUNNER, {fifo}, dir.path(), {}, Poco::Timespan(10, 0));
		CPPUNIT_ASSERT_MESSAGE("the host waited on a FIFO: " + child.err, child.exited);
		CPPUNIT_ASSERT(elapsedMs(started) < 5000);
		CPPUNIT_ASSERT_EQUAL(1, child.status);
		CPPUNIT_ASSERT_EQUAL(
			"asprof-agent configuration error: cannot read agent configuration " + fifo + ": it is not a regular file (a FIFO)\n",
			child.err);
	}

	void testBlockingConfigureIsRefusedAtStartTimeout()
	{
		TemporaryDirectory dir;
		AgentConfig config = configWith(
			"[reporter.main]\ntype = blocking\nblock = configure\nreleaseFile = " + dir.file("release") + "\n", "startTimeout = 300ms\n");
		auto started = std::chrono::steady_clock::now();
		std::string error = buildError(config);
		long elapsed = elapsedMs(started);
		writeFile(dir.file("release"), "");
		CPPUNIT_ASSERT_EQUAL(BLOCKING_REPORTER +
				": configure() of [reporter.main] did not return within startTimeout (300ms); "
				"the instance is refused and the call abandoned",
			error);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(elapsed) + " ms", elapsed >= 250 && elapsed < 1300);
	}

	void testBlockingStartIsRefusedAtStartTimeout()
	{
		TemporaryDirectory dir;
		AgentConfig config = configWith(
			"[reporter.main]\ntype = blocking\nblock = start\nreleaseFile = " + dir.file("release") + "\n", "startTimeout = 300ms\n");
		auto started = std::chrono::steady_clock::now();
		std::string error = buildError(config);
		long elapsed = elapsedMs(started);
		writeFile(dir.file("release"), "");
		CPPUNIT_ASSERT_EQUAL(BLOCKING_REPORTER +
				": start() of [reporter.main] did not return within startTimeout (300ms); "
				"the instance is refused and the call abandoned",
			error);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(elapsed) + " ms", elapsed < 1300);
	}

	void testBlockingChildOfMultiIsNamed()
	{
		TemporaryDirectory dir;
		AgentConfig config = configWith("[reporter.main]\ntype = multi\nlibrary = " + MULTI_REPORTER +
				"\nreporters = stuck\n"
				"[reporter.stuck]\ntype = blocking\nblock = configure\nreleaseFile = " +
				dir.file("release") + "\n",
			"startTimeout = 400ms\n");
		auto started = std::chrono::steady_clock::now();
		std::string error = buildError(config);
		long elapsed = elapsedMs(started);
		writeFile(dir.file("release"), "");
		CPPUNIT_ASSERT_EQUAL(MULTI_REPORTER + ": configure() of [reporter.main] failed: asprof-agent plugin error: " + BLOCKING_REPORTER +
				": configure() of [reporter.stuck] did not return within startTimeout (400ms); the instance is refused and the call "
				"abandoned",
			error);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(elapsed) + " ms", elapsed < 1400);
	}

	void testAgentStartReturnsWithinStartTimeout()
	{
		TemporaryDirectory dir;
		AgentConfig config = AgentConfig::fromIni(
			test::fakeProfilerIni(
				"[reporter.main]\ntype = blocking\nblock = start\nreleaseFile = " + dir.file("release") + "\n", "startTimeout = 500ms\n"),
			"test.ini");
		Agent agent(config);
		auto started = std::chrono::steady_clock::now();
		std::string error = errorOf([&]() { agent.start(); });
		long elapsed = elapsedMs(started);
		writeFile(dir.file("release"), "");
		CPPUNIT_ASSERT_EQUAL(BLOCKING_REPORTER +
				": start() of [reporter.main] did not return within startTimeout (500ms); "
				"the instance is refused and the call abandoned",
			error);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(elapsed) + " ms", elapsed < 1500);
		CPPUNIT_ASSERT(!agent.isRunning());
	}

	void testBlockingMetadataConfigureIsSkippedAtStartTimeout()
	{
		TemporaryDirectory dir;
		AgentConfig config = AgentConfig::fromIni("[agent]\npluginDir = " + TEST_PLUGINS +
				"\nmetadata = host, stuck, late\nstartTimeout = 300ms\n"
				"[metadata.stuck]\ntype = blocking\nreleaseFile = " +
				dir.file("release") + "\n[metadata.host]\ntype = onprem\nlibrary = " + BUILD_PLUGINS +
				"/libasprof-metadata-onprem.so\n[metadata.late]\ntype = onprem\nlibrary = " + BUILD_PLUGINS +
				"/libasprof-metadata-onprem.so\n",
			"test.ini");
		test::LogCapture log("asprof.agent", Poco::Message::PRIO_ERROR);
		PluginRegistry registry(config.pluginDir);
		auto started = std::chrono::steady_clock::now();
		std::vector<MetadataResolver::Candidate> candidates;
		{
			PluginFactory factory(config, registry);
			candidates = factory.createMetadataCandidates();
		}
		long elapsed = elapsedMs(started);
		writeFile(dir.file("release"), "");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), candidates.size());
		CPPUNIT_ASSERT_EQUAL(std::string("host"), candidates[0].name);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(elapsed) + " ms", elapsed < 1300);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(log.text(), std::size_t(1),
			log.count("metadata stuck disabled: asprof-agent plugin error: " + TEST_PLUGINS +
				"/libasprof-metadata-blocking.so: configure() of [metadata.stuck] did not return within startTimeout (300ms)"));
		// What comes after a call that used up the time is not called at all.
		CPPUNIT_ASSERT_EQUAL_MESSAGE(log.text(), std::size_t(1),
			log.count("metadata late disabled: asprof-agent plugin error: " + BUILD_PLUGINS +
				"/libasprof-metadata-onprem.so: configure() of [metadata.late] not called: the startTimeout (300ms) of this start is used "
				"up"));
	}

	void testStartTimeoutOutOfRangeIsRefused()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("fault.ini: [agent] startTimeout = 10ms: expected a duration from 100ms to 10m"),
			iniError("[agent]\nstartTimeout = 10ms\n"));
		CPPUNIT_ASSERT(Poco::Timespan(10, 0) == AgentConfig::defaults().startTimeout);
	}

	// ---- 9: code from the current directory never runs ----

	void testLibraryInTheCurrentDirectoryNeverRuns()
	{
		TemporaryDirectory dir;
		Poco::File(ASPROF_FAKE_PROFILER).copyTo(dir.file("libasyncProfiler.so"));
		writeFile(dir.file("agent.ini"),
			"[agent]\nlibrary = libasyncProfiler.so\npluginDir = " + TEST_PLUGINS +
				"\nmetadata = onprem\nreporter = main\n[reporter.main]\ntype = capture\ndirectory = " + dir.file("out") + "\n");
		for (const std::string ldLibraryPath : {"/nonexistent:", ":/nonexistent", "."})
		{
			// LD_DEBUG=files: the loader says "calling init: <file>" before it runs a constructor.
			ChildResult child = runChild(ASPROF_TEST_AGENT_RUNNER, {dir.file("agent.ini")}, dir.path(),
				{{"LD_LIBRARY_PATH", ldLibraryPath}, {"LD_DEBUG", "files"}}, Poco::Timespan(20, 0));
			CPPUNIT_ASSERT_MESSAGE(
				ldLibraryPath + ": " + child.err, child.err.find("calling init: ./libasyncProfiler.so") == std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(
				ldLibraryPath + ": " + child.err, child.err.find("calling init: libasyncProfiler.so") == std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(ldLibraryPath + ": " + child.err, child.err.find("calling init: " + dir.path()) == std::string::npos);
			CPPUNIT_ASSERT_MESSAGE(
				child.err, child.err.find("cannot load async-profiler library 'libasyncProfiler.so': not found") != std::string::npos);
		}
	}

	void testSearchSkipsEmptyAndRelativeComponents()
	{
		std::vector<std::string> skipped;
		std::vector<std::string> dirs = LibraryPath::searchDirectories("/x::.:lib:/y/:", &skipped);
		CPPUNIT_ASSERT(dirs.size() >= 2);
		CPPUNIT_ASSERT_EQUAL(std::string("/x"), dirs[0]);
		CPPUNIT_ASSERT_EQUAL(std::string("/y/"), dirs[1]);
		for (const auto& dir : dirs) CPPUNIT_ASSERT_MESSAGE(dir, !dir.empty() && dir[0] == '/');
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), skipped.size());
		CPPUNIT_ASSERT_EQUAL(std::string(""), skipped[0]);
		CPPUNIT_ASSERT_EQUAL(std::string("."), skipped[1]);
		CPPUNIT_ASSERT_EQUAL(std::string("lib"), skipped[2]);
		CPPUNIT_ASSERT_EQUAL(std::string(""), skipped[3]);
	}

	void testLdCacheIsReadLikeDlopen()
	{
		std::vector<std::string> libc = LibraryPath::cacheEntries("/etc/ld.so.cache", "libc.so.6");
		CPPUNIT_ASSERT(!libc.empty());
		for (const auto& path : libc) CPPUNIT_ASSERT_MESSAGE(path, path[0] == '/' && Poco::File(path).exists());
		CPPUNIT_ASSERT(LibraryPath::cacheEntries("/etc/ld.so.cache", "libasprof-no-such-library.so").empty());
		CPPUNIT_ASSERT(LibraryPath::cacheEntries("/etc/hostname", "libc.so.6").empty());
		std::vector<std::string> found = LibraryPath::candidates("libc.so.6", {});
		CPPUNIT_ASSERT(!found.empty());
		for (const auto& path : found) CPPUNIT_ASSERT_MESSAGE(path, path[0] == '/');
	}

	void testRelativeLibraryPathIsRefused()
	{
		CPPUNIT_ASSERT_EQUAL(
			std::string("library './libasyncProfiler.so' is a relative path; refusing to load code relative to the current "
						"directory. Give an absolute path or a bare name"),
			errorOf([]() { LibraryPath::candidates("./libasyncProfiler.so", {}); }));
	}

	// ---- 14: the plugin checked is the plugin loaded ----

	void testSymlinkedPluginIsRefusedAndNeverLoaded()
	{
		TemporaryDirectory trusted;
		TemporaryDirectory open;
		::chmod(open.path().c_str(), 0777);
		std::string target = copyPlugin(open.path(), "libasprof-reporter-local.so", "libasprof-reporter-local.so");
		std::string link = trusted.file("libasprof-reporter-local.so");
		CPPUNIT_ASSERT_EQUAL(0, ::symlink(target.c_str(), link.c_str()));
		std::string error = errorOf([&]() { PluginRegistry(trusted.path()).createReporter("local", ""); });
		CPPUNIT_ASSERT_EQUAL("refusing plugin " + link +
				": it is a symbolic link; name the file itself (plugins are opened without "
				"following links)",
			error);
		CPPUNIT_ASSERT(!isMapped(target));
	}

	void testPluginBelowAWorldWritableAncestorIsRefused()
	{
		TemporaryDirectory open;
		::chmod(open.path().c_str(), 0777);
		Poco::File(open.file("plugins")).createDirectory();
		::chmod(open.file("plugins").c_str(), 0755);
		std::string plugin = copyPlugin(open.file("plugins"), "libasprof-reporter-local.so", "libasprof-reporter-local.so");
		std::string expected = "refusing plugin directory " + open.path() + ": it is writable by other users (mode 0777); chmod go-w it";
		CPPUNIT_ASSERT_EQUAL(expected, errorOf([&]() { PluginRegistry(open.file("plugins")).createReporter("local", ""); }));
		CPPUNIT_ASSERT_EQUAL(expected, errorOf([&]() { PluginRegistry(TEST_PLUGINS).createReporter("local", plugin); }));
		CPPUNIT_ASSERT(!isMapped(plugin));
	}

	void testSwappedPluginFileIsNeverLoaded()
	{
		// good and bad are the same code; bad is writable by others, so it
		// must never be loaded, whatever the name points to at the moment.
		TemporaryDirectory dir;
		std::string good = copyPlugin(dir.path(), "libasprof-reporter-local.so", "good.so");
		std::string bad = copyPlugin(dir.path(), "libasprof-reporter-local.so", "bad.so");
		::chmod(bad.c_str(), 0666);
		// A fresh directory per attempt: the loader knows a name it loaded once.
		std::atomic<int> current{0};
		std::atomic<bool> stop{false};
		std::thread swapper([&]() {
			for (unsigned i = 0; !stop; ++i)
			{
				std::string attempt = dir.file(std::to_string(current.load()));
				std::string temporary = attempt + "/swap.tmp";
				if (::link((i % 2 ? bad : good).c_str(), temporary.c_str()) == 0)
					::rename(temporary.c_str(), (attempt + "/libasprof-reporter-local.so").c_str());
			}
		});
		int loaded = 0;
		for (int i = 1; i <= 200; ++i)
		{
			std::string attempt = dir.file(std::to_string(i));
			Poco::File(attempt).createDirectory();
			::chmod(attempt.c_str(), 0755);
			current = i;
			waitUntil([&]() { return Poco::File(attempt + "/libasprof-reporter-local.so").exists(); }, Poco::Timespan(5, 0));
			try
			{
				PluginRegistry(attempt).createReporter("local", "");
				++loaded;
			}
			catch (PluginException&)
			{
				// refused: bad at the moment it was opened
			}
		}
		stop = true;
		swapper.join();
		CPPUNIT_ASSERT_MESSAGE(std::to_string(loaded) + " loads", !isMapped(bad));
	}

	void testLoadingPluginIsLoggedBeforeTheLoad()
	{
		TemporaryDirectory dir;
		std::string plugin = copyPlugin(dir.path(), "libasprof-reporter-local.so", "libasprof-reporter-local.so");
		test::LogCapture log("asprof.agent", Poco::Message::PRIO_INFORMATION);
		PluginRegistry(dir.path()).createReporter("local", "");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(log.text(), std::size_t(1), log.count("loading plugin " + plugin));
		CPPUNIT_ASSERT(isMapped(plugin));
	}

	// ---- 16: extraArgs as async-profiler reads them ----

	void testExtraArgsAgentOwnedNamesAreRefusedInAnyCase()
	{
		const std::string owned =
			" (async-profiler reads it as %s, which the agent sets itself or which would break the rotation; use the [profiler] keys)";
		struct Case
		{
			const char* extraArgs;
			const char* name;
			const char* readAs;
		};
		for (const Case& c : {Case{"threads,File=/path", "File", "file"}, Case{"LOG=/tmp/x", "LOG", "log"},
				 Case{"Timeout=1", "Timeout", "timeout"}, Case{"Interval=1s", "Interval", "interval"}, Case{"fIlE=/x", "fIlE", "file"},
				 Case{"loop=1m", "loop", "loop"}, Case{"EVENT=wall", "EVENT", "event"}, Case{"cpu", "cpu", "cpu"},
				 Case{"Wall=10ms", "Wall", "wall"}, Case{"CStack=fp", "CStack", "cstack"}})
		{
			std::string expected = "fault.ini: [profiler] extraArgs = " + std::string(c.extraArgs) + ": expected no " + c.name +
				Poco::replace(owned, std::string("%s"), std::string(c.readAs));
			CPPUNIT_ASSERT_EQUAL(expected, iniError("[profiler]\nextraArgs = " + std::string(c.extraArgs) + "\n"));
		}
	}

	void testExtraArgsOutsideTheAllowlistAreRefused()
	{
		std::string allowed = "alloc, live, lock, nativelock, nofree, tlab, threads, sched, record-cpu, alluser, jstackdepth, features, "
							  "include, exclude, filter, clock, mcache, proc, nobatch, memlimit";
		CPPUNIT_ASSERT_EQUAL("fault.ini: [profiler] extraArgs = threads,Record-CPUx: expected only the async-profiler arguments " +
				allowed + " (\"Record-CPUx\" is not one of them)",
			iniError("[profiler]\nextraArgs = threads,Record-CPUx\n"));
		CPPUNIT_ASSERT_EQUAL(
			std::string("fault.ini: [profiler] extraArgs = threads,fdtransfer: expected no fdtransfer (async-profiler reads it as "
						"fdtransfer, which the agent sets itself or which would break the rotation; use the [profiler] keys)"),
			iniError("[profiler]\nextraArgs = threads,fdtransfer\n"));
		CPPUNIT_ASSERT_EQUAL("fault.ini: [profiler] extraArgs = trace=a.b: expected only the async-profiler arguments " + allowed +
				" (\"trace\" is not one of them)",
			iniError("[profiler]\nextraArgs = trace=a.b\n"));
		CPPUNIT_ASSERT_EQUAL(
			std::string(
				"fault.ini: [profiler] extraArgs = threads, alloc: expected async-profiler arguments name[=value] "
				"separated by commas, such as alloc=2m,threads (\" alloc\" is not one: a name is letters and -, at most 12; a value has no "
				"spaces, quotes or control characters)"),
			iniError("[profiler]\nextraArgs = threads, alloc\n"));
	}

	void testExtraArgsAllowedArgumentsPass()
	{
		AgentConfig config = AgentConfig::fromIni("[profiler]\nextraArgs = threads,ALLOC=2m,,record-cpu,include=*Foo*\n", "fault.ini");
		CPPUNIT_ASSERT_EQUAL(std::string("threads,ALLOC=2m,,record-cpu,include=*Foo*"), config.profiler.extraArgs);
	}

	// ---- 17: what used to pass silently ----

	void testEmptyConfigFileIsRefused()
	{
		TemporaryDirectory dir;
		const std::string expected = ": the configuration file is empty (no section, no key); refusing to run on the built-in defaults "
									 "unasked. Write at least an [agent] section (see etc/agent.ini)";
		for (const std::string text : {"", "\n  \n", "; only a comment\n# and another\n"})
		{
			writeFile(dir.file("agent.ini"), text);
			CPPUNIT_ASSERT_EQUAL(dir.file("agent.ini") + expected, errorOf([&]() { AgentConfig::load(dir.file("agent.ini")); }));
		}
		writeFile(dir.file("agent.xml"), "<asprof/>");
		CPPUNIT_ASSERT_EQUAL(dir.file("agent.xml") + expected, errorOf([&]() { AgentConfig::load(dir.file("agent.xml")); }));
		writeFile(dir.file("agent.ini"), "[agent]\n");
		CPPUNIT_ASSERT_EQUAL(std::string("local"), AgentConfig::load(dir.file("agent.ini")).reporter);
	}

	void testUnclosedSectionHeaderIsRefused()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("fault.ini: line 2: '[reporter.local' is not a section header: the closing ] is missing"),
			iniError("[agent]\n[reporter.local\ntype = local\n"));
		CPPUNIT_ASSERT_EQUAL(
			std::string("fault.ini: line 1: '[agent] reporter = x' has text after the closing ]; put keys on lines of their own"),
			iniError("[agent] reporter = x\n"));
	}

	void testUtf8ByteOrderMarkIsAccepted()
	{
		AgentConfig config = AgentConfig::fromIni("\xEF\xBB\xBF[agent]\nreportingInterval = 5s\n", "fault.ini");
		CPPUNIT_ASSERT(config.reportingInterval == Poco::Timespan(5, 0));
	}

	void testDuplicateSectionIsRefused()
	{
		CPPUNIT_ASSERT_EQUAL(
			std::string("fault.ini: line 3: section [Agent] appears twice (first on line 1); merge the two: the later keys "
						"would silently replace the earlier"),
			iniError("[agent]\nreporter = a\n[Agent]\nreportingInterval = 5s\n"));
	}

	void testDuplicateKeyIsRefused()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("fault.ini: line 3: [agent] ReportingInterval is set twice (first on line 2); keep one: only the "
										 "last would count"),
			iniError("[agent]\nreportingInterval = 5s\nReportingInterval = 6s\n"));
	}

	void testSectionWithoutInstanceNameIsRefused()
	{
		CPPUNIT_ASSERT_EQUAL(
			std::string("fault.ini: line 2: [reporter.] is not a valid instance section; expected [reporter.<name>] with a "
						"name of letters, digits, _ or -"),
			iniError("[agent]\n[reporter.]\ntype = local\n"));
		CPPUNIT_ASSERT_EQUAL(
			std::string("fault.ini: line 1: [metadata.a b] is not a valid instance section; expected [metadata.<name>] with "
						"a name of letters, digits, _ or -"),
			iniError("[metadata.a b]\ntype = onprem\n"));
	}

	void testUnusedReporterSectionIsRefused()
	{
		TemporaryDirectory dir;
		AgentConfig config = configWith("[reporter.main]\ntype = capture\ndirectory = " + dir.path() +
			"\n[reporter.spare]\ntype = capture\n"
			"directroy = never checked\n");
		CPPUNIT_ASSERT_EQUAL(
			std::string("test.ini: unused section [reporter.spare]: neither [agent] reporter (main) nor a multi reporter's "
						"reporters = names it; remove it or name it"),
			buildError(config));
	}

	void testUnusedMetadataSectionIsRefused()
	{
		CPPUNIT_ASSERT_EQUAL(
			std::string("fault.ini: unused section [metadata.extra]: [agent] metadata = onprem does not name it (auto uses "
						"ecs, ec2 and onprem); remove it or add it to metadata ="),
			iniError("[agent]\nmetadata = onprem\n[metadata.extra]\ntype = onprem\n"));
		// auto reaches ecs, ec2 and onprem sections.
		AgentConfig::fromIni("[agent]\nmetadata = auto\n[metadata.ec2]\ntype = ec2\n", "fault.ini");
	}

	void testEmptyMetadataListIsRefused()
	{
		CPPUNIT_ASSERT_EQUAL(
			std::string("fault.ini: [agent] metadata = : expected auto, or a list of [metadata.<name>] sections or metadata "
						"types (empty is not a list)"),
			iniError("[agent]\nmetadata =\n"));
		CPPUNIT_ASSERT_EQUAL(
			std::string("fault.ini: [agent] metadata = ,: expected auto, or a list of [metadata.<name>] sections or metadata "
						"types (empty is not a list)"),
			iniError("[agent]\nmetadata = ,\n"));
	}

	void testControlCharactersInLabelsAreRefused()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("fault.ini: line 2: control character 0x0D in the line; only printable text and tabs are allowed"),
			iniError("[agent]\nlabels = a=b\rX-Injected: yes\n"));
		CPPUNIT_ASSERT_EQUAL(std::string("fault.ini: line 2: control character 0x1B in the line; only printable text and tabs are allowed"),
			iniError("[agent]\nlabels = a=\x1b[31mred\n"));
		CPPUNIT_ASSERT_EQUAL(
			std::string("fault.xml: [agent] labels = a=b\\x0D\\x0AX-Injected: yes: expected labels without control characters "
						"(CR, LF, tab, ...)"),
			xmlError("<asprof><agent><labels>a=b&#13;&#10;X-Injected: yes</labels></agent></asprof>"));
		// A CRLF file is fine: the CR ends the line.
		CPPUNIT_ASSERT_EQUAL(std::string("env"), AgentConfig::fromIni("[agent]\r\nlabels = env=prod\r\n", "fault.ini").labels.at(0).first);
	}

	void testControlCharactersInHostnameAreRefused()
	{
		auto providerConfigure = [](const std::vector<std::pair<std::string, std::string>>& keys) {
			PluginRegistry registry(BUILD_PLUGINS);
			std::unique_ptr<sdk::MetadataProvider> provider = registry.createMetadataProvider("onprem", "");
			std::unique_ptr<SectionContext> context = test::makeSectionContext("metadata.onprem", keys);
			provider->configure(*context);
		};
		CPPUNIT_ASSERT_EQUAL(std::string("test-agent.ini: [metadata.onprem] hostname = box\\x0D\\x0AX-Injected: yes: expected a host name "
										 "without control characters (CR, LF, tab, ...)"),
			errorOf([&]() {
				providerConfigure({{"hostname", "box\r\nX-Injected: yes"}});
			}));
		CPPUNIT_ASSERT_EQUAL(
			std::string("test-agent.ini: [metadata.onprem] labels = team=a\\x0Ab: expected labels without control characters "
						"(CR, LF, tab, ...)"),
			errorOf([&]() {
				test::makeSectionContext("metadata.onprem", {{"labels", "team=a\nb"}})->readLabels();
			}));
	}

	void testXmlAttributesAreRefused()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("fault.xml: <agent> has the attribute reporter; the agent reads elements only (write "
										 "<reporter>...</reporter> inside it)"),
			xmlError("<asprof><agent reporter=\"s3\"/></asprof>"));
		CPPUNIT_ASSERT_EQUAL(std::string("fault.xml: <asprof> has the attribute version; the agent reads elements only (write "
										 "<version>...</version> inside it)"),
			xmlError("<asprof version=\"2\"><agent/></asprof>"));
	}

	void testXmlWrongRootElementIsRefused()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("fault.xml: the root element is <config>; expected <asprof>"),
			xmlError("<config><agent><reporter>local</reporter></agent></config>"));
	}

	void testReporterReachedTwiceThroughMultiIsRefused()
	{
		TemporaryDirectory dir;
		std::string multi = "type = multi\nlibrary = " + MULTI_REPORTER + "\n";
		AgentConfig config = configWith("[reporter.main]\n" + multi + "reporters = a, b\n[reporter.a]\n" + multi +
			"reporters = x\n"
			"[reporter.b]\n" +
			multi + "reporters = x\n[reporter.x]\ntype = capture\ndirectory = " + dir.path() + "\n");
		CPPUNIT_ASSERT_EQUAL(std::string("test.ini: [reporter.x] is reached twice, from [reporter.a] and from [reporter.b]; every profile "
										 "would be delivered to it twice. Name each reporter instance once"),
			buildError(config));
	}

	void testReporterCycleIsNamed()
	{
		std::string multi = "type = multi\nlibrary = " + MULTI_REPORTER + "\n";
		AgentConfig config = configWith("[reporter.main]\n" + multi + "reporters = a\n[reporter.a]\n" + multi + "reporters = main\n");
		CPPUNIT_ASSERT_EQUAL(std::string("test.ini: reporters form a cycle: main -> a -> main"), buildError(config));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigFaultTest);
