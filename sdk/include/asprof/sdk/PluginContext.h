//
// PluginContext.h
//
// What the agent gives a plugin while it is configured, and the typed
// getters that read the plugin's section.
//

#ifndef Asprof_Sdk_PluginContext_INCLUDED
#define Asprof_Sdk_PluginContext_INCLUDED

#include "asprof/sdk/Export.h"
#include "asprof/sdk/HostMetadata.h"
#include "Poco/Timespan.h"
#include <cstdint>
#include <initializer_list>
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
inline namespace ASPROF_SDK_ABI_NAMESPACE {

class Reporter;

/// The plugin's view of the agent during configure(); valid only during
/// that call. The agent implements it; a plugin only uses it.
///
/// config() is a read-only view of the plugin instance's own section
/// ([reporter.<name>] or [metadata.<name>]), without the section prefix.
/// Every key a plugin reads (through config() or the getters below)
/// counts as known: after configure() the agent reports any key of the
/// section that nobody read as an unknown key, naming file, section and key.
class ASPROF_SDK_API PluginContext
{
public:
	virtual ~PluginContext();

	/// The instance name, e.g. "local" for [reporter.local].
	virtual const std::string& instanceName() const = 0;

	/// The full section name, e.g. "reporter.local".
	virtual const std::string& sectionName() const = 0;

	/// The configuration's origin for messages: a file path, or a
	/// description such as "<embedded default>".
	virtual const std::string& configSource() const = 0;

	/// The instance's section. Keys are relative: config().getString("directory").
	virtual const Poco::Util::AbstractConfiguration& config() const = 0;

	/// A logger named asprof.reporter.<name> or asprof.metadata.<name>.
	virtual Poco::Logger& logger() const = 0;

	/// Creates, configures and returns the reporter instance
	/// [reporter.<instanceName>] (for composite reporters such as multi).
	/// Throws Poco::Exception naming the instance and the reason when it
	/// cannot be created.
	virtual std::unique_ptr<Reporter> createReporter(const std::string& instanceName) const = 0;

	/// The agent's version string.
	virtual std::string agentVersion() const = 0;

protected:
	PluginContext() = default;
	PluginContext(const PluginContext&) = default;
	PluginContext& operator=(const PluginContext&) = default;
};

// Typed getters for the section of a PluginContext; key is relative to the
// section. On a bad value each throws Poco::InvalidArgumentException whose
// message names the file, section and key, the value found (control
// characters escaped, never for getSecret) and the form expected; a plugin's
// configure() simply lets it propagate.

/// The value, or defaultValue when the key is absent.
ASPROF_SDK_API std::string getString(const PluginContext& context, const std::string& key, const std::string& defaultValue);

/// The value; throws when the key is missing or empty.
ASPROF_SDK_API std::string getRequiredString(const PluginContext& context, const std::string& key);

/// The value; throws when it is not one of choices.
ASPROF_SDK_API std::string getChoice(
	const PluginContext& context, const std::string& key, const std::string& defaultValue, std::initializer_list<const char*> choices);

/// A decimal integer from min to max.
ASPROF_SDK_API std::int64_t getInt(
	const PluginContext& context, const std::string& key, std::int64_t defaultValue, std::int64_t min, std::int64_t max);

/// yes/no, true/false, on/off, 1/0 (ConfigValue::parseBool).
ASPROF_SDK_API bool getBool(const PluginContext& context, const std::string& key, bool defaultValue);

/// A duration such as 250ms or 30s (ConfigValue::parseDuration).
ASPROF_SDK_API Poco::Timespan getDuration(const PluginContext& context, const std::string& key, const Poco::Timespan& defaultValue);

/// A size such as 64KiB (ConfigValue::parseSize).
ASPROF_SDK_API std::uint64_t getSize(const PluginContext& context, const std::string& key, std::uint64_t defaultValue);

/// "name=value, name2=value2" (ConfigValue::parseKeyValueList); empty when absent.
ASPROF_SDK_API KeyValueList getKeyValueList(const PluginContext& context, const std::string& key);

/// A credential or token: the value, or an empty string when absent.
/// Refuses a value holding control characters (a line break would end
/// an HTTP header); its message says "(value hidden)" and never shows
/// any part of the value. Pass secrets to throwBadSecret(), never to
/// throwBadValue().
ASPROF_SDK_API std::string getSecret(const PluginContext& context, const std::string& key);

/// Throws Poco::InvalidArgumentException:
/// "<source>: [<section>] <key> = <value>: expected <expected>", the
/// value with control characters escaped and cut at 200 characters.
[[noreturn]] ASPROF_SDK_API void throwBadValue(
	const PluginContext& context, const std::string& key, const std::string& value, const std::string& expected);

/// Throws Poco::InvalidArgumentException:
/// "<source>: [<section>] <key> (value hidden): expected <expected>".
[[noreturn]] ASPROF_SDK_API void throwBadSecret(const PluginContext& context, const std::string& key, const std::string& expected);

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_PluginContext_INCLUDED
