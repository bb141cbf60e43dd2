//
// Version.h
//
// The version and plugin ABI of the SDK library loaded at run time.
//

#ifndef Asprof_Sdk_Version_INCLUDED
#define Asprof_Sdk_Version_INCLUDED

#include "asprof/sdk/Export.h"

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

/// Returns the version of the SDK library loaded at run time
/// (ASPROF_VERSION_STRING of the build that made it).
ASPROF_SDK_API const char* version();

/// Returns the plugin ABI version of the SDK library loaded at run time.
ASPROF_SDK_API int abiVersion();

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_Version_INCLUDED
