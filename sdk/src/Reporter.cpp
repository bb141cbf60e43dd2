#include "asprof/sdk/Reporter.h"

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

// Out-of-line key function: the one vtable and typeinfo live in libasprof-sdk.
Reporter::~Reporter() = default;

void Reporter::start()
{
}

void Reporter::stop()
{
}

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof
