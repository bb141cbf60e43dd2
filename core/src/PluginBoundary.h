//
// PluginBoundary.h
//
// Where the agent calls code it did not write: every plugin call goes
// through here, so nothing a plugin throws reaches the host.
//

#ifndef Asprof_Agent_PluginBoundary_INCLUDED
#define Asprof_Agent_PluginBoundary_INCLUDED

#include "asprof/sdk/Profile.h"
#include "asprof/sdk/ReportResult.h"
#include "asprof/sdk/Reporter.h"
#include <string>

namespace asprof {
namespace agent {

std::string describeCurrentException() noexcept;
	/// Inside a catch block: "<text>" for a Poco::Exception (displayText()),
	/// what() for a std::exception, "an unknown exception" for anything else.

template <class Function>
std::string callGuarded(Function&& function) noexcept
	/// Runs function(); returns an empty string, or the description of
	/// whatever it threw. Never throws.
{
	try
	{
		function();
		return std::string();
	}
	catch (...)
	{
		std::string text = describeCurrentException();
		return text.empty() ? std::string("an exception without a message") : text;
	}
}

sdk::ReportResult reportGuarded(sdk::Reporter& reporter, const sdk::Profile& profile, const std::string& pluginName) noexcept;
	/// reporter.report(profile); an exception becomes a Fail result whose
	/// message names the plugin and the exception's text:
	/// "<pluginName> threw from report(): <text>".

} } // namespace asprof::agent

#endif // Asprof_Agent_PluginBoundary_INCLUDED
