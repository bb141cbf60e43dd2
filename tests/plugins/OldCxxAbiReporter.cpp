// Test reporter (type = oldcxxabi) compiled with -D_GLIBCXX_USE_CXX11_ABI=0
// (tests/CMakeLists.txt): its std::string is not the agent's. Loading it
// would corrupt memory on the first call; the agent must refuse it from its
// plugin note before anything of it runs (MustNotRun.h).
#include "MustNotRun.h"
#include "asprof/sdk/Plugin.h"

namespace {

class OldCxxAbiReporter: public asprof::sdk::Reporter
{
public:
	void configure(asprof::sdk::PluginContext&) override
	{
	}

	asprof::sdk::ReportResult report(const asprof::sdk::Profile&) override
	{
		return asprof::sdk::ReportResult::ok();
	}
};

} // namespace

ASPROF_REPORTER_PLUGIN(OldCxxAbiReporter, "oldcxxabi")
