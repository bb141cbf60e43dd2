#include "asprof/sdk/Version.h"

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

const char* version()
{
	return ASPROF_VERSION_STRING;
}

int abiVersion()
{
	return ASPROF_SDK_ABI_VERSION;
}

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof
