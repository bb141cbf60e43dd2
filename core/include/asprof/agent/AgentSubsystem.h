//
// AgentSubsystem.h
//
// The agent as a Poco::Util::Subsystem for Poco applications.
//

#ifndef Asprof_Agent_AgentSubsystem_INCLUDED
#define Asprof_Agent_AgentSubsystem_INCLUDED

#include "asprof/agent/Agent.h"
#include "asprof/agent/Export.h"
#include "Poco/Util/Subsystem.h"
#include <cstdint>
#include <memory>
#include <string>

namespace asprof {
namespace agent {

/// Runs an Agent for the lifetime of a Poco::Util::Application:
///
///     addSubsystem(new asprof::agent::AgentSubsystem);
///
/// The configuration is taken from the first of:
///   1. the command-line option --asprof-config=FILE (INI, or XML by extension);
///   2. the application property asprof.configFile;
///   3. the application's own configuration under the prefix "asprof."
///      (asprof.agent.reportingInterval, asprof.reporter.local.directory, ...);
///   4. the default INI text given to the constructor;
///   5. the built-in defaults.
///
/// initialize() never throws and never exits the application: when the
/// agent cannot start, the error is logged (logger "asprof.agent") and
/// available from lastError(); the application keeps running unprofiled.
/// uninitialize() stops the agent within its flushTimeout. An application
/// that ends with exit() while the agent runs (and so never uninitializes
/// its subsystems) gets the same stop at exit, before async-profiler's own
/// exit handling deactivates the profiler: the last recording is delivered.
class ASPROF_AGENT_API AgentSubsystem: public Poco::Util::Subsystem
{
public:
	AgentSubsystem();

	/// defaultIni is used when neither the command line nor the
	/// application's configuration configure the agent.
	explicit AgentSubsystem(const std::string& defaultIni);

	/// "asprof-agent".
	const char* name() const override;

	/// The running agent, or nullptr if it is not running.
	Agent* agent() const;

	/// Why the agent did not start; empty if it did.
	const std::string& lastError() const;

	/// Where the configuration came from (a file path or a description).
	const std::string& configSource() const;

protected:
	void initialize(Poco::Util::Application& app) override;
	void uninitialize() override;
	void defineOptions(Poco::Util::OptionSet& options) override;

	~AgentSubsystem() override;

private:
	void handleConfigOption(const std::string& name, const std::string& value);
	AgentConfig selectConfig(Poco::Util::Application& app);

	std::string _defaultIni;
	std::string _configFile;
	std::string _configSource;
	std::string _lastError;
	std::unique_ptr<Agent> _agent;
	std::uint64_t _exitHook = 0;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_AgentSubsystem_INCLUDED
