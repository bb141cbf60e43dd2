// asprof-test-subsystem-exit --asprof-config=FILE: a Poco application with the
// AgentSubsystem that waits for one delivered profile, prints
// "delivered <n>" and ends with exit(0): its subsystems are never
// uninitialized, so only the agent's stop at exit saves the last recording.
#include "asprof/agent/AgentSubsystem.h"
#include "Poco/Util/Application.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

class ExitingApp: public Poco::Util::Application
{
public:
	ExitingApp(): _subsystem(new asprof::agent::AgentSubsystem)
	{
		addSubsystem(_subsystem);
	}

protected:
	int main(const ArgVec&) override
	{
		asprof::agent::Agent* agent = _subsystem->agent();
		if (!agent)
		{
			std::fprintf(stderr, "agent not running: %s\n", _subsystem->lastError().c_str());
			return EXIT_SOFTWARE;
		}
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
		while (agent->status().lanes.at(0).delivered < 1 && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::milliseconds(10)); // polls a condition with a deadline
		std::printf("delivered %llu\n", static_cast<unsigned long long>(agent->status().lanes.at(0).delivered));
		std::fflush(stdout);
		std::exit(0);
	}

private:
	asprof::agent::AgentSubsystem* _subsystem;
};

} // namespace

int main(int argc, char** argv)
{
	ExitingApp app;
	app.init(argc, argv);
	return app.run();
}
