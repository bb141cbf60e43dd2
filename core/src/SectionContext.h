//
// SectionContext.h
//
// The PluginContext for one section of the configuration.
//

#ifndef Asprof_Agent_SectionContext_INCLUDED
#define Asprof_Agent_SectionContext_INCLUDED

#include "TrackingConfiguration.h"
#include "asprof/sdk/PluginContext.h"
#include "Poco/AutoPtr.h"
#include <functional>
#include <memory>
#include <string>

namespace asprof {
namespace agent {

/// Gives a plugin instance (or the agent's own [agent] and [profiler]
/// sections) its section, with the SDK's typed getters, and records the
/// keys read so that checkUnknownKeys() can name every key nobody used.
class SectionContext: public sdk::PluginContext
{
public:
	using ReporterFactory = std::function<std::unique_ptr<sdk::Reporter>(const std::string&)>;

	SectionContext(Poco::AutoPtr<Poco::Util::AbstractConfiguration> root, const std::string& section, const std::string& source,
		const std::string& loggerName, ReporterFactory reporterFactory = nullptr);

	const std::string& instanceName() const override;
	const std::string& sectionName() const override;
	const std::string& configSource() const override;
	const Poco::Util::AbstractConfiguration& config() const override;
	Poco::Logger& logger() const override;
	std::unique_ptr<sdk::Reporter> createReporter(const std::string& instanceName) const override;
	std::string agentVersion() const override;

	/// The section's labels = name=value list, checked: labels end up in
	/// object keys, HTTP headers and JSON, so each name and value must be
	/// one line of text. Throws Poco::InvalidArgumentException naming the
	/// file, section and key. The agent reads labels for [agent] and for
	/// every [metadata.<name>] (a provider never reads them itself).
	sdk::KeyValueList readLabels() const;

	/// Declares a key that the agent itself handles (e.g. type).
	void markKnown(const std::string& key);

	/// Throws ConfigException naming the source, section and the first
	/// unknown key (with a case-corrected suggestion when there is one).
	void checkUnknownKeys() const;

private:
	Poco::AutoPtr<TrackingConfiguration> _config;
	std::string _section;
	std::string _instance;
	std::string _source;
	Poco::Logger& _logger;
	ReporterFactory _reporterFactory;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_SectionContext_INCLUDED
