// The export manifest only: the agent finds the reporter by this type name.
#include "asprof/sdk/Plugin.h"
#include "CustomReporter.h"

ASPROF_REPORTER_PLUGIN(CustomReporter, "custom")
