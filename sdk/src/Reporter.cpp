#include "asprof/sdk/Reporter.h"

namespace asprof {
namespace sdk {

// Out-of-line key function: the one vtable and typeinfo live in libasprof-sdk.
Reporter::~Reporter() = default;

void Reporter::start()
{
}

void Reporter::stop()
{
}

} } // namespace asprof::sdk
