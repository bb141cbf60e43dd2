// The throwing reporter's export manifest, in a file not named Plugin.cpp:
// asprof_add_plugin finds it among the sources.
#include "asprof/sdk/Plugin.h"
#include "impl/ThrowingReporter.h"

ASPROF_REPORTER_PLUGIN(ThrowingReporter, "throwing")
