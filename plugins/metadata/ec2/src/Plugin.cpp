// The export manifest only; the code is in Ec2MetadataProvider.cpp.
#include "asprof/sdk/Plugin.h"
#include "Ec2MetadataProvider.h"

ASPROF_METADATA_PLUGIN(asprof::plugins::Ec2MetadataProvider, "ec2")
