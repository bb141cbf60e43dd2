// Test reporter (type = throwing) whose configure() always throws.
#include "asprof/sdk/Plugin.h"
#include "Poco/Exception.h"

namespace {

class ThrowingReporter: public asprof::sdk::Reporter
{
public:
	void configure(asprof::sdk::PluginContext&) override
	{
		throw Poco::IllegalStateException("throwing reporter: configure refuses on purpose");
	}

	asprof::sdk::ReportResult report(const asprof::sdk::Profile&) override
	{
		return asprof::sdk::ReportResult::ok();
	}
};

} // namespace

ASPROF_REPORTER_PLUGIN(ThrowingReporter, "throwing")
