// Test reporter (type = capture): stores what it receives so tests can check
// it, and answers as told. Keys:
//   directory   (required) where it writes
//   result      ok | retry | fail (default ok)
//   retryFirst  answer Retry to the first N calls
//   controlFile a file whose first word, read at every call, overrides
//               result: ok, retry, fail, hang (block until the word changes,
//               at most 120 s), delay:<ms> (then ok)
//   retryAfter  the retryAfter sent with Retry (default 1ms)
// Per delivered profile it writes <pid>-<seq>.jfr and <pid>-<seq>.json (metadata.json);
// every call appends "<thread id> <seq> <answer> <pid>" to calls.log.
#include "asprof/sdk/Plugin.h"
#include "asprof/sdk/PluginContext.h"
#include "asprof/sdk/ProfileArchive.h"
#include "Poco/File.h"
#include "Poco/FileStream.h"
#include <chrono>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace {

std::string firstWord(const std::string& path)
{
	std::string word;
	try
	{
		Poco::FileInputStream in(path);
		in >> word;
	}
	catch (Poco::Exception&)
	{
	}
	return word;
}

class CaptureReporter: public asprof::sdk::Reporter
{
public:
	void configure(asprof::sdk::PluginContext& context) override
	{
		_directory = getRequiredString(context, "directory");
		_result = getChoice(context, "result", "ok", {"ok", "retry", "fail"});
		_retryFirst = getInt(context, "retryFirst", 0, 0, 1000);
		_controlFile = getString(context, "controlFile", "");
		_retryAfter = getDuration(context, "retryAfter", Poco::Timespan(1000));
	}

	void start() override
	{
		Poco::File(_directory).createDirectories();
	}

	asprof::sdk::ReportResult report(const asprof::sdk::Profile& profile) override
	{
		try
		{
			std::string answer = decide();
			{
				Poco::FileOutputStream log(_directory + "/calls.log", std::ios::app);
				log << ::syscall(SYS_gettid) << " " << profile.seq << " " << answer << " " << profile.pid << "\n";
			}
			if (answer == "retry") return asprof::sdk::ReportResult::retry("capture: told to retry", _retryAfter);
			if (answer == "fail") return asprof::sdk::ReportResult::fail("capture: told to fail");
			std::string base = _directory + "/" + std::to_string(profile.pid) + "-" + std::to_string(profile.seq);
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
	std::string decide()
	{
		++_calls;
		if (_calls <= _retryFirst) return "retry";
		if (_controlFile.empty()) return _result;
		std::string word = firstWord(_controlFile);
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
		while (word == "hang" && std::chrono::steady_clock::now() < deadline)
		{
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
			word = firstWord(_controlFile);
		}
		if (word.compare(0, 6, "delay:") == 0)
		{
			std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(word.substr(6))));
			return "ok";
		}
		return word == "retry" || word == "fail" ? word : std::string("ok");
	}

	std::string _directory;
	std::string _result;
	std::int64_t _retryFirst = 0;
	std::int64_t _calls = 0;
	std::string _controlFile;
	Poco::Timespan _retryAfter;
};

} // namespace

ASPROF_REPORTER_PLUGIN(CaptureReporter, "capture")
