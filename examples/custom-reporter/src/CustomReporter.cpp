#include "CustomReporter.h"
#include "asprof/sdk/PluginContext.h"
#include <fstream>

void CustomReporter::configure(asprof::sdk::PluginContext& context)
{
	// Throws Poco::InvalidArgumentException naming file, section and key.
	_file = getRequiredString(context, "file");
}

asprof::sdk::ReportResult CustomReporter::report(const asprof::sdk::Profile& profile)
{
	try
	{
		std::ofstream out(_file, std::ios::app);
		out << "seq=" << profile.seq << " pid=" << profile.pid << " bytes=" << profile.recording->size() << " host=" << profile.host.kind
			<< " start=" << profile.start.epochMicroseconds() / 1000 << " end=" << profile.end.epochMicroseconds() / 1000 << "\n";
		if (!out) return asprof::sdk::ReportResult::retry("cannot append to " + _file);
		return asprof::sdk::ReportResult::ok();
	}
	catch (std::exception& e)
	{
		return asprof::sdk::ReportResult::retry(std::string("custom reporter: ") + e.what());
	}
}
