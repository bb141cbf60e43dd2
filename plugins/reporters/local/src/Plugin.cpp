// The export manifest only; the code is in LocalReporter.cpp.
#include "asprof/sdk/Plugin.h"
#include "LocalReporter.h"

ASPROF_REPORTER_PLUGIN(asprof::plugins::LocalReporter, "local")
