// AgentSubsystem inside a real Poco::Util::Application.
#include "TestSupport.h"
#include "asprof/agent/AgentSubsystem.h"
#include "Poco/Util/Application.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace asprof;
using namespace asprof::agent;
using asprof::test::assertEveryProfileAccounted;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;

namespace {

/// Runs main() once: records whether the agent ran and waits for one delivery.
class TestApp: public Poco::Util::Application
{
public:
	explicit TestApp(const std::vector<std::pair<std::string, std::string>>& properties = {}):
		_subsystem(new AgentSubsystem),
		_properties(properties)
	{
		addSubsystem(_subsystem);
	}

	bool agentRan = false;
	std::uint64_t deliveredInMain = 0;
	std::string lastError;
	AgentStatus statusAfterStop; ///< once uninitialize() has stopped the agent

protected:
	void initialize(Poco::Util::Application& self) override
	{
		for (const auto& property : _properties) config().setString(property.first, property.second);
		Poco::Util::Application::initialize(self);
	}

	int main(const ArgVec&) override
	{
		lastError = _subsystem->lastError();
		Agent* agent = _subsystem->agent();
		agentRan = agent != nullptr;
		_agent = agent;
		if (agent)
		{
			waitUntil([&]() { return agent->status().lanes[0].delivered >= 1; });
			deliveredInMain = agent->status().lanes[0].delivered;
		}
		return EXIT_OK;
	}

	void uninitialize() override
	{
		Poco::Util::Application::uninitialize(); // stops the agent, which the subsystem still owns
		if (_agent) statusAfterStop = _agent->status();
	}

private:
	AgentSubsystem* _subsystem;
	Agent* _agent = nullptr;
	std::vector<std::pair<std::string, std::string>> _properties;
};

int runApp(TestApp& app, std::vector<std::string> args)
{
	args.insert(args.begin(), "test-app");
	app.init(args);
	return app.run();
}

} // namespace

class AgentSubsystemTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(AgentSubsystemTest);
	CPPUNIT_TEST(testConfigFileOptionStartsAndStopsTheAgent);
	CPPUNIT_TEST(testApplicationConfigurationConfiguresTheAgent);
	CPPUNIT_TEST(testBadConfigLeavesTheApplicationRunning);
	CPPUNIT_TEST_SUITE_END();

public:
	void testConfigFileOptionStartsAndStopsTheAgent()
	{
		TemporaryDirectory dir;
		asprof::test::writeFile(
			dir.file("agent.ini"), asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + dir.file("out") + "\n"));
		TestApp app;
		CPPUNIT_ASSERT_EQUAL(0, runApp(app, {"--asprof-config=" + dir.file("agent.ini")}));
		CPPUNIT_ASSERT_MESSAGE(app.lastError, app.agentRan);
		CPPUNIT_ASSERT(app.deliveredInMain >= 1);
		// uninitialize() stopped the agent and flushed the last recording.
		CPPUNIT_ASSERT(!app.statusAfterStop.running && !app.statusAfterStop.lanes.empty());
		assertEveryProfileAccounted(app.statusAfterStop);
		std::size_t files = asprof::test::listFiles(dir.file("out")).size();
		CPPUNIT_ASSERT(files >= 2 * app.deliveredInMain + 1);
	}

	void testApplicationConfigurationConfiguresTheAgent()
	{
		TemporaryDirectory dir;
		TestApp app({{"asprof.agent.library", ASPROF_FAKE_PROFILER}, {"asprof.agent.pluginDir", ASPROF_TEST_PLUGIN_DIR},
			{"asprof.agent.reportingInterval", "100ms"}, {"asprof.agent.reporter", "main"}, {"asprof.agent.metadata", "failing"},
			{"asprof.reporter.main.type", "capture"}, {"asprof.reporter.main.directory", dir.path()}});
		CPPUNIT_ASSERT_EQUAL(0, runApp(app, {}));
		CPPUNIT_ASSERT_MESSAGE(app.lastError, app.agentRan);
		CPPUNIT_ASSERT(app.deliveredInMain >= 1);
		CPPUNIT_ASSERT(!app.statusAfterStop.running && !app.statusAfterStop.lanes.empty());
		assertEveryProfileAccounted(app.statusAfterStop);
	}

	void testBadConfigLeavesTheApplicationRunning()
	{
		TemporaryDirectory dir;
		asprof::test::writeFile(dir.file("agent.ini"), "[agent]\nreportingInterval = often\n");
		TestApp app;
		CPPUNIT_ASSERT_EQUAL(0, runApp(app, {"--asprof-config=" + dir.file("agent.ini")}));
		CPPUNIT_ASSERT(!app.agentRan);
		CPPUNIT_ASSERT(
			app.lastError.find(dir.file("agent.ini") + ": [agent] reportingInterval = often: expected a duration") != std::string::npos);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(AgentSubsystemTest);
