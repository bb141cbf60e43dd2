#include "ThrowingReporter.h"
#include <stdexcept>

namespace {

// Out of line and not noexcept, like library code a real plugin calls.
[[noreturn]] void refuse(const asprof::sdk::Profile&)
{
	throw std::runtime_error("throwing reporter: refused profile on purpose");
}

} // namespace

void ThrowingReporter::configure(asprof::sdk::PluginContext&)
{
}

asprof::sdk::ReportResult ThrowingReporter::report(const asprof::sdk::Profile& profile)
{
	refuse(profile);
}
