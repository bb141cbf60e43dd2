#include "asprof/sdk/MetadataProvider.h"

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

// Out-of-line key function: the one vtable and typeinfo live in libasprof-sdk.
MetadataProvider::~MetadataProvider() = default;

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof
