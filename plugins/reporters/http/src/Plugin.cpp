// The export manifest only; the code is in HttpReporter.cpp.
#include "asprof/sdk/Plugin.h"
#include "HttpReporter.h"

ASPROF_REPORTER_PLUGIN(asprof::plugins::HttpReporter, "http")
