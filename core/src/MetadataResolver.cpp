#include "MetadataResolver.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/Logger.h"

namespace asprof {
namespace agent {

MetadataResolver::MetadataResolver(std::vector<Candidate> candidates): _candidates(std::move(candidates))
{
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
		try
		{
			_resolved = candidate.provider->detect();
			logger.information("host metadata from %s: kind %s", candidate.name, _resolved->kind);
			break;
		}
		catch (Poco::Exception& e)
		{
			logger.warning("metadata %s: %s; trying the next provider", candidate.name, e.displayText());
		}
		catch (std::exception& e)
		{
			logger.warning("metadata %s: %s; trying the next provider", candidate.name, std::string(e.what()));
		}
		catch (...)
		{
			logger.warning("metadata %s: unknown exception; trying the next provider", candidate.name);
		}
	}
	if (!_resolved)
	{
		_resolved = fallback();
		logger.information("host metadata: no provider answered; using onprem (hostname %s)", _resolved->field("hostname"));
	}
	return *_resolved;
}

} } // namespace asprof::agent
