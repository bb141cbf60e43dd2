//
// AcceptedKeys.h
//
// The keys the agent and its plugins read, found by letting them read.
//

#ifndef Asprof_Tests_AcceptedKeys_INCLUDED
#define Asprof_Tests_AcceptedKeys_INCLUDED

#include <map>
#include <set>
#include <string>
#include <utility>

namespace asprof {
namespace test {

/// What the code reads in one kind of section.
struct SectionKeys
{
	std::set<std::string> keys;     ///< every key asked for, present or not
	std::set<std::string> prefixes; ///< key families enumerated: "headers" stands for headers.<Name>

	/// key is read, or is <prefix>.<something> of an enumerated prefix.
	bool accepts(const std::string& key) const;
};

/// The configuration keys the code accepts, by section kind. Found by
/// probing, not by listing: AgentConfig, PluginFactory and the real
/// plugins (from the build's plugin directory, each type configured as
/// the agent does) read their settings through a configuration that
/// records every key asked for. TrackingConfiguration refuses any key
/// nobody asked for, so what was asked for is exactly what is accepted.
struct AcceptedKeys
{
	using PluginType = std::pair<std::string, std::string>; // kind, type

	std::map<std::string, SectionKeys> fixedSections; ///< agent, profiler, endpoint
	std::map<std::string, SectionKeys> agentShare;    ///< reporter, metadata: read by the agent in every instance section
	std::map<PluginType, SectionKeys> plugins;        ///< the plugin's own keys (its reads less the agent's share)

	/// Throws Poco::Exception when a probe configuration is refused: a
	/// plugin type that needs a key the probe table does not give it.
	static AcceptedKeys probe(const std::string& pluginDir, const std::string& testPluginDir);
};

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_AcceptedKeys_INCLUDED
