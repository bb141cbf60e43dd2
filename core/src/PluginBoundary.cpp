#include "PluginBoundary.h"
#include "Poco/Exception.h"
#include <exception>

namespace asprof {
namespace agent {

std::string describeCurrentException() noexcept
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
		return e.what();
	}
	catch (...)
	{
		return "an unknown exception";
	}
}

sdk::ReportResult reportGuarded(sdk::Reporter& reporter, const sdk::Profile& profile, const std::string& pluginName) noexcept
{
	try
	{
		return reporter.report(profile);
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

} } // namespace asprof::agent
