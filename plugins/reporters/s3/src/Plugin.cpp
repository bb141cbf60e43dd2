// The export manifest only; the code is in S3Reporter.cpp.
#include "asprof/sdk/Plugin.h"
#include "S3Reporter.h"

ASPROF_REPORTER_PLUGIN(asprof::plugins::S3Reporter, "s3")
