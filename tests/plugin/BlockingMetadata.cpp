// Test metadata provider (type = blocking) whose configure() does not return
// until releaseFile exists (at most 120 s). It answers kind "blocking".
#include "asprof/sdk/Plugin.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/File.h"
#include <chrono>
#include <thread>

namespace {

class BlockingMetadata: public asprof::sdk::MetadataProvider
{
public:
	void configure(asprof::sdk::PluginContext& context) override
	{
		std::string releaseFile = getString(context, "releaseFile", "");
		auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(120);
		while (std::chrono::steady_clock::now() < giveUp && (releaseFile.empty() || !Poco::File(releaseFile).exists()))
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}

	asprof::sdk::HostMetadata detect() override
	{
		asprof::sdk::HostMetadata metadata;
		metadata.kind = "blocking";
		return metadata;
	}
};

} // namespace

ASPROF_METADATA_PLUGIN(BlockingMetadata, "blocking")
