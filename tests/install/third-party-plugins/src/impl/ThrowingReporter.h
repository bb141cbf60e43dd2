//
// ThrowingReporter.h
//
// A third-party reporter whose report() always throws.
//

#ifndef ThirdParty_ThrowingReporter_INCLUDED
#define ThirdParty_ThrowingReporter_INCLUDED

#include "asprof/sdk/Reporter.h"

/// [reporter.<name>] type = throwing, no keys. report() throws
/// std::runtime_error("throwing reporter: refused profile on purpose"),
/// as library code a real plugin calls may: the agent must count it as a
/// failed profile and keep the host running.
class ThrowingReporter: public asprof::sdk::Reporter
{
public:
	void configure(asprof::sdk::PluginContext& context) override;
	asprof::sdk::ReportResult report(const asprof::sdk::Profile& profile) override;
};

#endif // ThirdParty_ThrowingReporter_INCLUDED
