//
// PluginContext.h
//
// What the agent gives a plugin while it is configured.
//

#ifndef Asprof_Sdk_PluginContext_INCLUDED
#define Asprof_Sdk_PluginContext_INCLUDED

#include "asprof/sdk/Export.h"
#include "asprof/sdk/HostMetadata.h"
#include "Poco/Timespan.h"
#include <cstdint>
#include <memory>
#include <string>

namespace Poco {
class Logger;
namespace Util {
class AbstractConfiguration;
}
} // namespace Poco

namespace asprof {
namespace sdk {

class Reporter;

class ASPROF_SDK_API PluginContext
	/// The plugin's view of the agent during configure().
	///
	/// config() holds only the plugin instance's own section
	/// ([reporter.<name>] or [metadata.<name>]), without the section prefix.
	/// Every key a plugin reads through config() (or the typed getters below)
	/// counts as known: after configure() the agent reports any key of the
	/// section that nobody read as an unknown key, naming file, section and key.
	///
	/// The typed getters throw Poco::InvalidArgumentException with a message
	/// that names the file, section, key, the value found and the form
	/// expected; a plugin's configure() should simply let it propagate.
{
public:
	virtual ~PluginContext();

	virtual const std::string& instanceName() const = 0;
		/// The instance name, e.g. "local" for [reporter.local].

	virtual const std::string& sectionName() const = 0;
		/// The full section name, e.g. "reporter.local".

	virtual const std::string& configSource() const = 0;
		/// The configuration's origin for messages: a file path, or a
		/// description such as "<embedded default>".

	virtual Poco::Util::AbstractConfiguration& config() = 0;
		/// The instance's section. Keys are relative: config().getString("directory").

	virtual Poco::Logger& logger() = 0;
		/// A logger named asprof.reporter.<name> or asprof.metadata.<name>.

	virtual std::unique_ptr<Reporter> createReporter(const std::string& instanceName) = 0;
		/// Creates the reporter instance [reporter.<instanceName>] (for
		/// composite reporters such as multi). Throws Poco::Exception naming
		/// the instance and the reason when it cannot be created.

	virtual std::string agentVersion() const = 0;
		/// The agent's version string.

	// Typed getters; "key" is relative to the section.

	std::string getString(const std::string& key, const std::string& defaultValue);
	std::string getRequiredString(const std::string& key);
		/// Throws when the key is missing or empty.
	std::string getChoice(const std::string& key, const std::string& defaultValue, std::initializer_list<const char*> choices);
		/// Throws when the value is not one of choices.
	std::int64_t getInt(const std::string& key, std::int64_t defaultValue, std::int64_t min, std::int64_t max);
	bool getBool(const std::string& key, bool defaultValue);
	Poco::Timespan getDuration(const std::string& key, const Poco::Timespan& defaultValue);
	std::uint64_t getSize(const std::string& key, std::uint64_t defaultValue);
	KeyValueList getKeyValueList(const std::string& key);

	[[noreturn]] void throwBadValue(const std::string& key, const std::string& value, const std::string& expected);
		/// Throws Poco::InvalidArgumentException:
		/// "<source>: [<section>] <key> = <value>: expected <expected>".
};

} } // namespace asprof::sdk

#endif // Asprof_Sdk_PluginContext_INCLUDED
