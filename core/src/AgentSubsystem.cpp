#include "asprof/agent/AgentSubsystem.h"
#include "AsyncProfiler.h"
#include "asprof/agent/Exception.h"
#include "Poco/Logger.h"
#include "Poco/Util/Application.h"
#include "Poco/Util/ConfigurationView.h"
#include "Poco/Util/Option.h"
#include "Poco/Util/OptionCallback.h"
#include "Poco/Util/OptionSet.h"

namespace asprof {
namespace agent {

AgentSubsystem::AgentSubsystem() = default;

AgentSubsystem::AgentSubsystem(const std::string& defaultIni): _defaultIni(defaultIni)
{
}

AgentSubsystem::~AgentSubsystem()
{
	AsyncProfiler::removeExitHook(_exitHook);
	if (_agent) _agent->stop();
}

const char* AgentSubsystem::name() const
{
	return "asprof-agent";
}

Agent* AgentSubsystem::agent() const
{
	return _agent && _agent->isRunning() ? _agent.get() : nullptr;
}

const std::string& AgentSubsystem::lastError() const
{
	return _lastError;
}

const std::string& AgentSubsystem::configSource() const
{
	return _configSource;
}

void AgentSubsystem::defineOptions(Poco::Util::OptionSet& options)
{
	options.addOption(
		Poco::Util::Option("asprof-config", "", "read the profiling agent's configuration from FILE (INI, or XML if it ends in .xml)")
			.required(false)
			.repeatable(false)
			.argument("FILE")
			.callback(Poco::Util::OptionCallback<AgentSubsystem>(this, &AgentSubsystem::handleConfigOption)));
}

void AgentSubsystem::handleConfigOption(const std::string&, const std::string& value)
{
	_configFile = value;
}

AgentConfig AgentSubsystem::selectConfig(Poco::Util::Application& app)
{
	if (!_configFile.empty()) return AgentConfig::load(_configFile);
	Poco::Util::AbstractConfiguration& appConfig = app.config();
	if (appConfig.hasProperty("asprof.configFile")) return AgentConfig::load(appConfig.getString("asprof.configFile"));
	Poco::Util::AbstractConfiguration::Keys keys;
	appConfig.keys("asprof", keys);
	if (!keys.empty())
	{
		Poco::AutoPtr<Poco::Util::AbstractConfiguration> view(appConfig.createView("asprof"));
		return AgentConfig::fromConfiguration(view, "the application configuration (asprof.*)");
	}
	if (!_defaultIni.empty()) return AgentConfig::fromIni(_defaultIni, "<embedded default>");
	return AgentConfig::defaults();
}

void AgentSubsystem::initialize(Poco::Util::Application& app)
{
	Poco::Logger& logger = Poco::Logger::get("asprof.agent");
	try
	{
		AgentConfig config = selectConfig(app);
		_configSource = config.source;
		AsyncProfiler::removeExitHook(_exitHook); // a second initialize(): the old agent goes
		_exitHook = 0;
		_agent.reset(new Agent(std::move(config)));
		_agent->start();
		_lastError.clear();
		// An application that calls exit() never uninitializes its subsystems:
		// flush the last recording then, before async-profiler stops itself.
		Agent* agent = _agent.get();
		_exitHook = AsyncProfiler::addExitHook([agent]() { agent->stop(); });
	}
	catch (Poco::Exception& e)
	{
		_lastError = e.displayText();
		logger.error("profiling disabled: %s", _lastError);
	}
	catch (std::exception& e)
	{
		_lastError = e.what();
		logger.error("profiling disabled: %s", _lastError);
	}
}

void AgentSubsystem::uninitialize()
{
	AsyncProfiler::removeExitHook(_exitHook);
	_exitHook = 0;
	if (_agent) _agent->stop();
}

} // namespace agent
} // namespace asprof
