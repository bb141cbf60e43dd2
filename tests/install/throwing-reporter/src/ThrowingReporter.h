//
// ThrowingReporter.h
//
// A reporter whose report() always throws (install-tests).
//

#ifndef Asprof_InstallTests_ThrowingReporter_INCLUDED
#define Asprof_InstallTests_ThrowingReporter_INCLUDED

#include "asprof/sdk/Reporter.h"

class ThrowingReporter: public asprof::sdk::Reporter
	/// [reporter.<name>] type = throwing, no keys. Every report() throws
	/// std::runtime_error("throwing reporter: refused profile on purpose")
	/// from a helper that is not noexcept, as a third-party plugin might:
	/// the agent must count the profile as failed, log the plugin's path and
	/// the text, and never end the host.
{
public:
	void configure(asprof::sdk::PluginContext& context) override;

	asprof::sdk::ReportResult report(const asprof::sdk::Profile& profile) override;
		/// Never returns: throws std::runtime_error.
};

#endif // Asprof_InstallTests_ThrowingReporter_INCLUDED
