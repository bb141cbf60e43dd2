//
// MetadataProvider.h
//
// The interface a metadata plugin implements.
//

#ifndef Asprof_Sdk_MetadataProvider_INCLUDED
#define Asprof_Sdk_MetadataProvider_INCLUDED

#include "asprof/sdk/Export.h"
#include "asprof/sdk/HostMetadata.h"

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

class PluginContext;

/// Detects the identity of the host (cloud instance, container, machine).
/// Lifecycle: construct (cheap) -> configure() -> detect() (at most once
/// per agent run, off the profiling thread, the result cached).
class ASPROF_SDK_API MetadataProvider
{
public:
	virtual ~MetadataProvider();

	/// Reads the instance's settings. Throws Poco::InvalidArgumentException
	/// naming the key on bad configuration.
	virtual void configure(PluginContext& context) = 0;

	/// Returns the host's metadata. Throws Poco::Exception with a clear
	/// message when not on this platform; the agent then tries the next
	/// provider. Should finish within a few seconds (bounded timeouts).
	virtual HostMetadata detect() = 0;
};

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_MetadataProvider_INCLUDED
