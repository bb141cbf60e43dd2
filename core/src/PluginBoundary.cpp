#include "PluginBoundary.h"
#include "Poco/Exception.h"
#include <exception>

namespace asprof {
namespace agent {

namespace {

// what() and displayText() are the plugin's code too: they may return null or throw.
std::string describe()
{
	try
	{
		throw;
	}
	catch (Poco::Exception& e)
	{
		return e.displayText();
	}
	catch (std::exception& e)
	{
		const char* what = e.what();
		return what ? std::string(what) : std::string("an exception with a null message");
	}
	catch (...)
	{
		return "an unknown exception";
	}
}

} // namespace

std::string describeCurrentException() noexcept
{
	try
	{
		return describe();
	}
	catch (...)
	{
		try
		{
			return "an exception whose message could not be read";
		}
		catch (...)
		{
			return std::string(); // out of memory
		}
	}
}

ASPROF_CATCHES_FORCED_UNWIND sdk::ReportResult reportGuarded(
	sdk::Reporter& reporter, const sdk::Profile& profile, const std::string& pluginName)
{
	try
	{
		return reporter.report(profile);
	}
	catch (abi::__forced_unwind&)
	{
		throw; // pthread_exit() in the plugin: its thread ends (see callGuarded)
	}
	catch (...)
	{
		try
		{
			return sdk::ReportResult::fail(pluginName + " threw from report(): " + describeCurrentException());
		}
		catch (...)
		{
			return sdk::ReportResult{sdk::ReportResult::Status::Fail, std::string(), std::nullopt}; // out of memory
		}
	}
}

} // namespace agent
} // namespace asprof
