// Test metadata provider (type = slow) whose detect() takes its time, like a
// cloud metadata service that answers late. Keys:
//   delay   how long detect() sleeps before it answers (default 0)
// It answers kind "slow", with the field delay = the delay in milliseconds.
#include "asprof/sdk/Plugin.h"
#include "asprof/sdk/PluginContext.h"
#include <chrono>
#include <string>
#include <thread>

namespace {

class SlowMetadata: public asprof::sdk::MetadataProvider
{
public:
	void configure(asprof::sdk::PluginContext& context) override
	{
		_delay = getDuration(context, "delay", Poco::Timespan());
	}

	asprof::sdk::HostMetadata detect() override
	{
		std::this_thread::sleep_for(std::chrono::microseconds(_delay.totalMicroseconds()));
		asprof::sdk::HostMetadata metadata;
		metadata.kind = "slow";
		metadata.setField("delay", std::to_string(_delay.totalMilliseconds()));
		return metadata;
	}

private:
	Poco::Timespan _delay;
};

} // namespace

ASPROF_METADATA_PLUGIN(SlowMetadata, "slow")
