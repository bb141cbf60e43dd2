// Test reporter (type = capture): stores what it receives so tests can check
// it. Keys: directory (required), result = ok|retry|fail, retryFirst = N.
// Per profile it writes <seq>.jfr and <seq>.json (metadata.json) and appends
// "<thread id> <seq> <result>" to calls.log.
#include "asprof/sdk/Plugin.h"
#include "asprof/sdk/PluginContext.h"
#include "asprof/sdk/ProfileArchive.h"
#include "Poco/File.h"
#include "Poco/FileStream.h"
#include <sys/syscall.h>
#include <unistd.h>

namespace {

class CaptureReporter: public asprof::sdk::Reporter
{
public:
	void configure(asprof::sdk::PluginContext& context) override
	{
		_directory = context.getRequiredString("directory");
		_result = context.getChoice("result", "ok", {"ok", "retry", "fail"});
		_retryFirst = context.getInt("retryFirst", 0, 0, 1000);
	}

	void start() override
	{
		Poco::File(_directory).createDirectories();
	}

	asprof::sdk::ReportResult report(const asprof::sdk::Profile& profile) noexcept override
	{
		try
		{
			++_calls;
			std::string outcome = _calls <= _retryFirst ? "retry" : _result;
			{
				Poco::FileOutputStream log(_directory + "/calls.log", std::ios::app);
				log << ::syscall(SYS_gettid) << " " << profile.seq << " " << outcome << "\n";
			}
			if (outcome == "retry") return asprof::sdk::ReportResult::retry("capture: told to retry", Poco::Timespan(1000));
			if (outcome == "fail") return asprof::sdk::ReportResult::fail("capture: told to fail");
			std::string base = _directory + "/" + std::to_string(profile.seq);
			{
				Poco::FileOutputStream jfr(base + ".jfr");
				profile.recording->copyTo(jfr);
			}
			Poco::FileOutputStream json(base + ".json");
			json << asprof::sdk::ProfileArchive::metadataJson(profile);
			return asprof::sdk::ReportResult::ok();
		}
		catch (Poco::Exception& e)
		{
			return asprof::sdk::ReportResult::fail(e.displayText());
		}
	}

private:
	std::string _directory;
	std::string _result;
	std::int64_t _retryFirst = 0;
	std::int64_t _calls = 0;
};

} // namespace

ASPROF_REPORTER_PLUGIN(CaptureReporter, "capture")
