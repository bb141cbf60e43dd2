#include "asprof/agent/Exception.h"
#include <typeinfo>

namespace asprof {
namespace agent {

POCO_IMPLEMENT_EXCEPTION(AgentException, Poco::RuntimeException, "asprof-agent error")
POCO_IMPLEMENT_EXCEPTION(ConfigException, Poco::DataException, "asprof-agent configuration error")
POCO_IMPLEMENT_EXCEPTION(PluginException, Poco::RuntimeException, "asprof-agent plugin error")

} // namespace agent
} // namespace asprof
