// A metadata provider and its manifest in one file: every host is the kind
// its section names. The second plugin of this project.
#include "asprof/sdk/Plugin.h"
#include "asprof/sdk/PluginContext.h"

namespace {

/// [metadata.<name>] type = fixed. Keys:
///   kind = fixed   the host kind every profile carries
class FixedMetadata: public asprof::sdk::MetadataProvider
{
public:
	void configure(asprof::sdk::PluginContext& context) override
	{
		_kind = asprof::sdk::getString(context, "kind", "fixed");
	}

	asprof::sdk::HostMetadata detect() override
	{
		asprof::sdk::HostMetadata host;
		host.kind = _kind;
		return host;
	}

private:
	std::string _kind;
};

} // namespace

ASPROF_METADATA_PLUGIN(FixedMetadata, "fixed")
