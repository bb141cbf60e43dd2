#include "asprof/sdk/Recording.h"

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

Recording::~Recording() = default;

}
} // namespace sdk
} // namespace asprof
