//
// Export.h
//
// Symbol visibility for the SDK. Plugins are built with hidden visibility;
// everything a plugin uses from the SDK is marked ASPROF_SDK_API so there is
// exactly one vtable, one typeinfo and one copy of each function: the SDK's.
//

#ifndef Asprof_Sdk_Export_INCLUDED
#define Asprof_Sdk_Export_INCLUDED

#include "asprof/sdk/Abi.h"

#define ASPROF_SDK_API __attribute__((visibility("default")))

#endif // Asprof_Sdk_Export_INCLUDED
