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
#include <cxxabi.h>
#include <string>

// A function that catches abi::__forced_unwind binds a reference to an
// exception that has no C++ object (libstdc++'s own code does the same);
// UBSan's null check would report it.
#if defined(__GNUC__)
#define ASPROF_CATCHES_FORCED_UNWIND __attribute__((no_sanitize("null")))
#else
#define ASPROF_CATCHES_FORCED_UNWIND
#endif

namespace asprof {
namespace agent {

/// Inside a catch block: displayText() for a Poco::Exception, what() for a
/// std::exception, "an unknown exception" for anything else. Never
/// throws, even for an exception whose what() is null or throws itself.
std::string describeCurrentException() noexcept;

/// Runs function(); returns an empty string, or the description of
/// whatever it threw. Throws nothing, with one exception on purpose: the
/// forced unwinding of a plugin that calls pthread_exit() (or is
/// cancelled) passes through, so that the thread ends as the plugin asked
/// (swallowing it would abort the process). Agent threads that run plugin
/// code account for their own end when it passes.
template <class Function>
ASPROF_CATCHES_FORCED_UNWIND std::string callGuarded(Function&& function)
{
	try
	{
		function();
		return std::string();
	}
	catch (abi::__forced_unwind&)
	{
		throw;
	}
	catch (...)
	{
		std::string text = describeCurrentException();
		return text.empty() ? std::string("an exception without a message") : text;
	}
}

/// reporter.report(profile); an exception becomes a Fail result whose
/// message names the plugin and the exception's text:
/// "<pluginName> threw from report(): <text>". Like callGuarded, lets only
/// a forced unwind (pthread_exit) through.
sdk::ReportResult reportGuarded(sdk::Reporter& reporter, const sdk::Profile& profile, const std::string& pluginName);

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_PluginBoundary_INCLUDED
