//
// Exception.h
//
// Exceptions thrown by the agent's public API.
//

#ifndef Asprof_Agent_Exception_INCLUDED
#define Asprof_Agent_Exception_INCLUDED

#include "asprof/agent/Export.h"
#include "Poco/Exception.h"

namespace asprof {
namespace agent {

POCO_DECLARE_EXCEPTION(ASPROF_AGENT_API, AgentException, Poco::RuntimeException)
///< The agent could not start: async-profiler missing or refusing the
///< command, no usable reporter. displayText() says what and where.

POCO_DECLARE_EXCEPTION(ASPROF_AGENT_API, ConfigException, Poco::DataException)
///< Bad configuration. displayText() names the file, section, key, the
///< value found and the form expected.

POCO_DECLARE_EXCEPTION(ASPROF_AGENT_API, PluginException, Poco::RuntimeException)
///< A plugin could not be loaded, configured or started. displayText()
///< names the plugin file and the reason.

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_Exception_INCLUDED
