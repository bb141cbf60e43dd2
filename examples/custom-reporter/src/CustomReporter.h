//
// CustomReporter.h
//
// An example reporter: appends one line per profile to a file.
//

#ifndef Example_CustomReporter_INCLUDED
#define Example_CustomReporter_INCLUDED

#include "asprof/sdk/Reporter.h"
#include <string>

/// [reporter.<name>] type = custom. Keys:
///   file = (required)  the file to append to
/// Each profile adds "seq=<n> pid=<pid> bytes=<size> host=<kind> start=<ms> end=<ms>".
/// An I/O error is a Retry (the file system may come back).
class CustomReporter: public asprof::sdk::Reporter
{
public:
	void configure(asprof::sdk::PluginContext& context) override;
	asprof::sdk::ReportResult report(const asprof::sdk::Profile& profile) override;

private:
	std::string _file;
};

#endif // Example_CustomReporter_INCLUDED
