// The export manifest only; the code is in EcsMetadataProvider.cpp.
#include "asprof/sdk/Plugin.h"
#include "EcsMetadataProvider.h"

ASPROF_METADATA_PLUGIN(asprof::plugins::EcsMetadataProvider, "ecs")
