// The export manifest only; the code is in MultiReporter.cpp.
#include "asprof/sdk/Plugin.h"
#include "MultiReporter.h"

ASPROF_REPORTER_PLUGIN(asprof::plugins::MultiReporter, "multi")
