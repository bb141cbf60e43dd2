//
// MultiReporter.h
//
// Sends every profile to several reporter instances.
//

#ifndef Asprof_Plugins_MultiReporter_INCLUDED
#define Asprof_Plugins_MultiReporter_INCLUDED

#include "asprof/sdk/Reporter.h"
#include <memory>
#include <string>
#include <vector>

namespace asprof {
namespace plugins {

/// [reporter.<name>] type = multi. Keys:
///   reporters = a, b    the [reporter.a] and [reporter.b] instances (required)
///
/// Each child is created through PluginContext::createReporter, which in
/// the agent gives it its OWN delivery lane (queue, retries, spool): report()
/// only hands the profile to every child's lane. So one slow or failing
/// destination never delays another, and a destination that already has
/// a profile never receives it again. Set spoolDir on the children, not
/// here: this instance's lane finishes at once.
///
/// report() returns Ok when every child took the profile; otherwise Fail
/// naming the children that did not (a retry would duplicate the profile
/// at those that did). A child that throws counts as refusing (its text
/// from classifyException); the others still get the profile.
///
/// The children share the profile's one recording (the same shared_ptr,
/// the agent's file): none of the built-in reporters copies it, each
/// streams it (docs/formats.md, "How the bytes travel"), so n children
/// cost no n copies of the recording.
class MultiReporter: public sdk::Reporter
{
public:
	void configure(sdk::PluginContext& context) override;
	void start() override;
	sdk::ReportResult report(const sdk::Profile& profile) override;

	/// Stops every child, even when one throws; then rethrows the first
	/// exception (the agent catches and logs it).
	void stop() override;

private:
	struct Child
	{
		std::string name;
		std::unique_ptr<sdk::Reporter> reporter;
	};

	std::vector<Child> _children;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_MultiReporter_INCLUDED
