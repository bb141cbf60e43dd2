//
// DemoApp.cpp
//
// asprof-demo: a Poco ServerApplication profiled by the AgentSubsystem.
//

#include "Workload.h"
#include "asprof/agent/AgentSubsystem.h"
#include "asprof/sdk/Version.h"
#include "Poco/AutoPtr.h"
#include "Poco/ConsoleChannel.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/FormattingChannel.h"
#include "Poco/Logger.h"
#include "Poco/PatternFormatter.h"
#include "Poco/File.h"
#include "Poco/Path.h"
#include "Poco/Timestamp.h"
#include "Poco/Util/HelpFormatter.h"
#include "Poco/Util/Option.h"
#include "Poco/Util/OptionSet.h"
#include "Poco/Util/ServerApplication.h"
#include <csignal>
#include <iostream>
#include <pthread.h>
#include <map>
#include <thread>

namespace {

// The demo's default: JFR files every 5 s into ./profiles.
const char* const DEFAULT_CONFIG = R"(
[agent]
reportingInterval = 5s
reporter = local

[reporter.local]
type = local
directory = profiles
format = jfr
)";

} // namespace

class DemoApp: public Poco::Util::ServerApplication
{
public:
	DemoApp(): _subsystem(new asprof::agent::AgentSubsystem(DEFAULT_CONFIG))
	{
		// waitForTerminationRequest() sigwait()s for these in the main thread: every
		// thread must block them, or one of the demo's own threads may take a
		// SIGINT/SIGTERM with the default action and end the process unflushed.
		sigset_t signals;
		sigemptyset(&signals);
		for (int signal : {SIGINT, SIGTERM, SIGQUIT}) sigaddset(&signals, signal);
		pthread_sigmask(SIG_BLOCK, &signals, nullptr);
		addSubsystem(_subsystem);
	}

protected:
	void initialize(Poco::Util::Application& self) override
	{
		// One readable line per log message, on stderr (stdout is the demo's own output).
		Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(
			new Poco::PatternFormatter("%Y-%m-%d %H:%M:%S.%i [%p] %s: %t"), new Poco::ConsoleChannel(std::cerr)));
		Poco::Logger::setChannel("", channel);
		// --help and --version print and exit: the agent (a subsystem) never starts.
		if (!_exitEarly) ServerApplication::initialize(self);
	}

	void defineOptions(Poco::Util::OptionSet& options) override
	{
		ServerApplication::defineOptions(options);
		options.addOption(Poco::Util::Option("duration", "", "run for SECONDS, then stop cleanly (flushing the last profile)")
							  .argument("SECONDS")
							  .binding("demo.duration"));
		options.addOption(
			Poco::Util::Option("help", "h", "print this help").callback(Poco::Util::OptionCallback<DemoApp>(this, &DemoApp::handleHelp)));
		options.addOption(Poco::Util::Option("version", "", "print the version")
							  .callback(Poco::Util::OptionCallback<DemoApp>(this, &DemoApp::handleVersion)));
	}

	void handleHelp(const std::string&, const std::string&)
	{
		Poco::Util::HelpFormatter help(options());
		help.setCommand(commandName());
		help.setUsage("[--asprof-config=FILE] [--duration=SECONDS]");
		help.setHeader("A CPU-bound and a sleeping workload, profiled continuously by asprof-agent.");
		help.format(std::cout);
		_exitEarly = true;
		stopOptionsProcessing();
	}

	void handleVersion(const std::string&, const std::string&)
	{
		std::cout << "asprof-demo " << ASPROF_VERSION_STRING << std::endl;
		_exitEarly = true;
		stopOptionsProcessing();
	}

	int main(const ArgVec&) override
	{
		if (_exitEarly) return EXIT_OK;
		if (!_subsystem->agent())
		{
			std::cerr << "asprof-demo: the profiling agent did not start: " << _subsystem->lastError() << std::endl;
			return EXIT_SOFTWARE;
		}
		Poco::Timestamp started;
		asprof::demo::Workload workload;
		workload.start();
		std::cout << "asprof-demo: profiling with " << _subsystem->agent()->status().library << " (config: " << _subsystem->configSource()
				  << ")" << std::endl;
		int duration = config().getInt("demo.duration", 0);
		if (duration > 0)
		{
			std::thread([duration]() {
				std::this_thread::sleep_for(std::chrono::seconds(duration));
				terminate();
			}).detach();
		}
		else
		{
			std::cout << "asprof-demo: press Ctrl-C to stop" << std::endl;
		}
		waitForTerminationRequest();
		workload.stop();
		asprof::agent::Agent& agent = *_subsystem->agent();
		bool complete = agent.stop(); // true only when every profile reached every destination
		printProfiles(agent, started);
		return complete ? EXIT_OK : EXIT_TEMPFAIL;
	}

	// Lists what this run wrote when the reporter is a local one.
	static void printProfiles(const asprof::agent::Agent& agent, const Poco::Timestamp& started)
	{
		asprof::agent::AgentStatus status = agent.status();
		for (const auto& lane : status.lanes)
		{
			std::cout << "asprof-demo: reporter " << lane.name << ": " << lane.delivered << " profiles delivered, " << lane.failed
					  << " failed, " << lane.dropped() << " dropped, " << lane.leftInSpool << " left in the spool" << std::endl;
		}
		const asprof::agent::AgentConfig& config = agent.config();
		std::string section = "reporter." + config.reporter;
		if (config.configuration->getString(section + ".type", config.reporter) != "local") return;
		Poco::Path directory(config.configuration->getString(section + ".directory", "profiles"));
		directory.makeAbsolute();
		std::cout << "asprof-demo: profiles are in " << directory.toString() << std::endl;
		if (!Poco::File(directory).exists()) return;
		std::map<std::string, Poco::File::FileSize> written; // sorted by name = by time
		for (Poco::DirectoryIterator it(directory), end; it != end; ++it)
		{
			if (it.name()[0] != '.' && it->getLastModified() >= started - Poco::Timespan(1, 0)) written[it.name()] = it->getSize();
		}
		for (const auto& file : written) std::cout << "  " << file.first << "  " << file.second << " bytes" << std::endl;
	}

private:
	asprof::agent::AgentSubsystem* _subsystem;
	bool _exitEarly = false;
};

POCO_SERVER_MAIN(DemoApp)
