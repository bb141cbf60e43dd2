// Test reporter (type = newersdk): its note matches this agent (same ABI),
// but it calls an SDK function this agent's SDK does not have, as a plugin
// built against a newer SDK of the same ABI would. Linked without -z defs
// and -z now (tests/CMakeLists.txt), so a lazy loader would accept it and
// the host would die at the first call; the agent must bind every symbol
// first and refuse it, naming the plugin.
#include "MustNotRun.h"
#include "asprof/sdk/Plugin.h"

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

ASPROF_SDK_API void aFunctionOfANewerSdk();

}
} // namespace sdk
} // namespace asprof

namespace {

class NewerSdkReporter: public asprof::sdk::Reporter
{
public:
	void configure(asprof::sdk::PluginContext&) override
	{
		asprof::sdk::aFunctionOfANewerSdk();
	}

	asprof::sdk::ReportResult report(const asprof::sdk::Profile&) override
	{
		return asprof::sdk::ReportResult::ok();
	}
};

} // namespace

ASPROF_REPORTER_PLUGIN(NewerSdkReporter, "newersdk")
