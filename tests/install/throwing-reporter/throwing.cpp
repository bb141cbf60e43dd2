// A reporter whose report() throws, all in one file with its manifest (no
// src/Plugin.cpp): asprof_add_plugin finds the manifest among the sources.
#include "asprof/sdk/Plugin.h"
#include <stdexcept>

namespace {

// Out of line and not noexcept, like library code a real plugin calls.
[[noreturn]] void refuse(const asprof::sdk::Profile&)
{
	throw std::runtime_error("throwing reporter: refused profile on purpose");
}

class ThrowingReporter: public asprof::sdk::Reporter
{
public:
	void configure(asprof::sdk::PluginContext&) override
	{
	}

	asprof::sdk::ReportResult report(const asprof::sdk::Profile& profile) override
	{
		refuse(profile);
	}
};

} // namespace

ASPROF_REPORTER_PLUGIN(ThrowingReporter, "throwing")
