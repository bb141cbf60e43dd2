// Included by test plugins that the agent must refuse BEFORE loading them:
// if any code of the library ever runs (a static initialiser), the test
// process aborts, so a test that passes proves nothing of the plugin ran.
#include <cstdlib>
#include <unistd.h>

namespace {

__attribute__((constructor)) void asprofTestPluginMustNotRun()
{
	static const char message[] = "asprof test plugin: loaded although it should have been refused\n";
	(void)!::write(2, message, sizeof(message) - 1);
	std::abort();
}

} // namespace
