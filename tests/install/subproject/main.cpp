// Links asprof::agent from a subproject build: the C API and a public class
// (whose header needs Poco's, found through asprof::agent's usage requirements).
#include "asprof/agent.h"
#include "asprof/agent/AgentConfig.h"
#include <iostream>

int main()
{
	asprof::agent::AgentConfig config = asprof::agent::AgentConfig::defaults();
	std::cout << "asprof-agent " << asprof_agent_version() << ", reporter " << config.reporter << std::endl;
	return config.reporter == "local" ? 0 : 1;
}
