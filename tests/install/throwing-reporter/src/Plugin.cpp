// The export manifest only: the agent finds the reporter by this type name.
#include "asprof/sdk/Plugin.h"
#include "ThrowingReporter.h"

ASPROF_REPORTER_PLUGIN(ThrowingReporter, "throwing")
