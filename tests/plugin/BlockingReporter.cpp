// Test reporter (type = blocking) whose configure() or start() does not
// return, like a plugin stuck on a lock or a network call. Keys:
//   block        none | configure | start (default none)
//   releaseFile  the blocked call returns once this file exists (at most 120 s)
#include "asprof/sdk/Plugin.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/File.h"
#include <chrono>
#include <thread>

namespace {

void blockUntil(const std::string& releaseFile)
{
	auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(120);
	while (std::chrono::steady_clock::now() < giveUp && (releaseFile.empty() || !Poco::File(releaseFile).exists()))
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

class BlockingReporter: public asprof::sdk::Reporter
{
public:
	void configure(asprof::sdk::PluginContext& context) override
	{
		_block = getChoice(context, "block", "none", {"none", "configure", "start"});
		_releaseFile = getString(context, "releaseFile", "");
		if (_block == "configure") blockUntil(_releaseFile);
	}

	void start() override
	{
		if (_block == "start") blockUntil(_releaseFile);
	}

	asprof::sdk::ReportResult report(const asprof::sdk::Profile&) override
	{
		return asprof::sdk::ReportResult::ok();
	}

private:
	std::string _block;
	std::string _releaseFile;
};

} // namespace

ASPROF_REPORTER_PLUGIN(BlockingReporter, "blocking")
