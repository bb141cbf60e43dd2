#include "MetadataResolver.h"
#include "PluginBoundary.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/Logger.h"

namespace asprof {
namespace agent {

MetadataResolver::MetadataResolver(std::vector<Candidate> candidates): _candidates(std::move(candidates))
{
}

void MetadataResolver::setCandidates(std::vector<Candidate> candidates)
{
	_candidates = std::move(candidates);
}

sdk::HostMetadata MetadataResolver::fallback()
{
	sdk::HostMetadata metadata;
	metadata.kind = "onprem";
	std::string hostname;
	try
	{
		hostname = Poco::Environment::nodeName();
	}
	catch (Poco::Exception&)
	{
	}
	metadata.setField("hostname", hostname);
	return metadata;
}

sdk::HostMetadata MetadataResolver::resolve()
{
	Poco::FastMutex::ScopedLock lock(_mutex);
	if (_resolved) return *_resolved;
	Poco::Logger& logger = Poco::Logger::get("asprof.agent");
	for (auto& candidate : _candidates)
	{
		std::string error = callGuarded([&]() { _resolved = candidate.provider->detect(); });
		if (error.empty())
		{
			logger.information("host metadata from %s: kind %s", candidate.name, _resolved->kind);
			break;
		}
		_resolved.reset();
		logger.warning("metadata %s: %s; trying the next provider", candidate.name, error);
	}
	if (!_resolved)
	{
		_resolved = fallback();
		logger.information("host metadata: no provider answered; using onprem (hostname %s)", _resolved->field("hostname"));
	}
	return *_resolved;
}

} } // namespace asprof::agent
