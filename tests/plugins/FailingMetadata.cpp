// Test metadata provider (type = failing) whose detect() always throws.
#include "asprof/sdk/Plugin.h"
#include "Poco/Exception.h"

namespace {

class FailingMetadata: public asprof::sdk::MetadataProvider
{
public:
	void configure(asprof::sdk::PluginContext&) override
	{
	}

	asprof::sdk::HostMetadata detect() override
	{
		throw Poco::IOException("failing metadata: not on this platform");
	}
};

} // namespace

ASPROF_METADATA_PLUGIN(FailingMetadata, "failing")
