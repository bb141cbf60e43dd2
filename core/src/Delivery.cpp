#include "Delivery.h"
#include "PluginFactory.h"
#include "ProfilingLoop.h"
#include "asprof/agent/Exception.h"
#include "Poco/Logger.h"

namespace asprof {
namespace agent {

Delivery::Delivery(const AgentConfig& config, PluginRegistry& registry)
{
	PluginFactory factory(config, registry);
	_resolver = std::make_shared<MetadataResolver>(std::vector<MetadataResolver::Candidate>(), config.metadataTimeout);
	_assembler = std::make_shared<const ProfileAssembler>(config, _resolver);
	_lanes = factory.buildLanes(config.reporter, _assembler);
	_resolver->setCandidates(factory.createMetadataCandidates());
}

Delivery::~Delivery()
{
	stop(Poco::Timestamp());
}

void Delivery::start()
{
	_resolver->start(); // detection begins now, usually done before the first profile
	for (auto& lane : _lanes)
	{
		try
		{
			lane->start();
		}
		catch (Poco::Exception& e)
		{
			throw AgentException("[reporter." + lane->name() + "] cannot start delivery: " + e.displayText());
		}
	}
}

void Delivery::accept(FinishedRecording&& finished)
{
	_lanes.back()->enqueue(_assembler->draft(std::move(finished)));
}

bool Delivery::stop(const Poco::Timestamp& deadline) noexcept
{
	if (_stopped) return true;
	_stopped = true;
	auto& top = _lanes.back();
	top->requestStop();
	top->awaitStop(deadline);
	for (auto it = _lanes.rbegin() + 1; it != _lanes.rend(); ++it) (*it)->requestStop();
	for (auto it = _lanes.rbegin() + 1; it != _lanes.rend(); ++it) (*it)->awaitStop(deadline);
	bool allDelivered = true;
	Poco::Logger& logger = Poco::Logger::get("asprof.agent");
	for (const auto& status : this->status())
	{
		allDelivered = allDelivered && status.failed + status.dropped() + status.leftInSpool == 0;
		logger.information("stopped %s: %s delivered, %s failed, %s dropped, %s left in the spool for the next start", status.name,
			std::to_string(status.delivered), std::to_string(status.failed), std::to_string(status.dropped()),
			std::to_string(status.leftInSpool));
	}
	return allDelivered;
}

std::vector<LaneStatus> Delivery::status() const
{
	std::vector<LaneStatus> statuses;
	for (auto it = _lanes.rbegin(); it != _lanes.rend(); ++it) statuses.push_back((*it)->status());
	return statuses;
}

} // namespace agent
} // namespace asprof
