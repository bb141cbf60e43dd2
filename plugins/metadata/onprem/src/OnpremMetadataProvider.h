//
// OnpremMetadataProvider.h
//
// Host metadata for machines that are not in a cloud: the hostname plus
// whatever fields the user configures.
//

#ifndef Asprof_Plugins_OnpremMetadataProvider_INCLUDED
#define Asprof_Plugins_OnpremMetadataProvider_INCLUDED

#include "asprof/sdk/MetadataProvider.h"
#include <string>

namespace asprof {
namespace plugins {

/// [metadata.onprem] keys:
///   hostname = <name>        default: the system's hostname
///   fields   = k=v, k2=v2    extra fields, after hostname (e.g. rack, datacenter)
/// labels = is read by the agent (see HostMetadata). detect() never throws: every machine is "onprem".
class OnpremMetadataProvider: public sdk::MetadataProvider
{
public:
	void configure(sdk::PluginContext& context) override;
	sdk::HostMetadata detect() override;

private:
	std::string _hostname;
	sdk::KeyValueList _fields;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_OnpremMetadataProvider_INCLUDED
