// Test reporter in libasprof-reporter-mislabeled.so that declares itself a
// metadata plugin of type "other": must be refused.
#include "MustNotRun.h"
#include "asprof/sdk/Plugin.h"
#include "asprof/sdk/MetadataProvider.h"

namespace {

class Other: public asprof::sdk::MetadataProvider
{
public:
	void configure(asprof::sdk::PluginContext&) override
	{
	}

	asprof::sdk::HostMetadata detect() override
	{
		return asprof::sdk::HostMetadata();
	}
};

} // namespace

ASPROF_METADATA_PLUGIN(Other, "other")
