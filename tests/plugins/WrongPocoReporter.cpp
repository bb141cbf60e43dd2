// Test reporter (type = wrongpoco) that says it was built against Poco 1.12: must be refused
// before anything of it runs (MustNotRun.h).
#define ASPROF_PLUGIN_POCO_VERSION 0x010C0100
#include "MustNotRun.h"
#include "asprof/sdk/Plugin.h"

namespace {

class WrongPocoReporter: public asprof::sdk::Reporter
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

ASPROF_REPORTER_PLUGIN(WrongPocoReporter, "wrongpoco")
