// Built into the static library asprof-reporter-throwing-impl, apart from the
// manifest: a std exception thrown here needs position-independent code to
// link into the plugin (R_X86_64_PC32 against std::runtime_error's typeinfo).
#include "impl/ThrowingReporter.h"
#include <stdexcept>

void ThrowingReporter::configure(asprof::sdk::PluginContext&)
{
}

asprof::sdk::ReportResult ThrowingReporter::report(const asprof::sdk::Profile&)
{
	throw std::runtime_error("throwing reporter: refused profile on purpose");
}
