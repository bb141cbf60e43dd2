//
// LaneReporter.h
//
// The Reporter a composite plugin (multi) gets for each child instance.
//

#ifndef Asprof_Agent_LaneReporter_INCLUDED
#define Asprof_Agent_LaneReporter_INCLUDED

#include "DeliveryLane.h"
#include "asprof/sdk/Reporter.h"
#include <memory>

namespace asprof {
namespace agent {

/// Hands each profile to the child's OWN delivery lane and returns Ok at
/// once: the child retries, spools and fails on its own, so one slow or
/// failing destination never delays another, and a destination that
/// already has a profile never receives it twice.
class LaneReporter: public sdk::Reporter
{
public:
	explicit LaneReporter(std::shared_ptr<DeliveryLane> lane): _lane(std::move(lane))
	{
	}

	void configure(sdk::PluginContext&) override
	{
	}

	sdk::ReportResult report(const sdk::Profile& profile) noexcept override
	{
		try
		{
			_lane->enqueue(std::make_shared<const sdk::Profile>(profile));
			return sdk::ReportResult::ok();
		}
		catch (std::exception& e)
		{
			return sdk::ReportResult::fail(std::string("cannot queue for ") + _lane->name() + ": " + e.what());
		}
	}

private:
	std::shared_ptr<DeliveryLane> _lane;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_LaneReporter_INCLUDED
