// Test reporter (type = wrongabi) built for plugin ABI 99: must be refused
// before anything of it runs (MustNotRun.h).
#define ASPROF_PLUGIN_ABI_VERSION 99
#include "MustNotRun.h"
#include "asprof/sdk/Plugin.h"

namespace {

class WrongAbiReporter: public asprof::sdk::Reporter
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

ASPROF_REPORTER_PLUGIN(WrongAbiReporter, "wrongabi")
