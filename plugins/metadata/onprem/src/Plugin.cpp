// The export manifest only; the code is in OnpremMetadataProvider.cpp.
#include "asprof/sdk/Plugin.h"
#include "OnpremMetadataProvider.h"

ASPROF_METADATA_PLUGIN(asprof::plugins::OnpremMetadataProvider, "onprem")
