#include "asprof/sdk/Version.h"

namespace asprof {
namespace sdk {

const char* version()
{
	return ASPROF_VERSION_STRING;
}

int abiVersion()
{
	return ASPROF_SDK_ABI_VERSION;
}

} } // namespace asprof::sdk
