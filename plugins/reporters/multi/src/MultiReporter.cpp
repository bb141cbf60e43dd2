#include "MultiReporter.h"
#include "asprof/plugins/ErrorClassification.h"
#include "asprof/sdk/ConfigValue.h"
#include "asprof/sdk/PluginContext.h"
#include <exception>

namespace asprof {
namespace plugins {

void MultiReporter::configure(sdk::PluginContext& context)
{
	std::string list = getRequiredString(context, "reporters");
	std::vector<std::string> names = sdk::ConfigValue::parseList(list);
	for (const auto& name : names)
	{
		if (name == context.instanceName()) throwBadValue(context, "reporters", list, "other reporter instances (not this one)");
		for (const auto& child : _children)
		{
			if (child.name == name) throwBadValue(context, "reporters", list, "each instance once (" + name + " is repeated)");
		}
		_children.push_back(Child{name, context.createReporter(name)});
	}
	if (_children.empty()) throwBadValue(context, "reporters", list, "at least one reporter instance");
}

void MultiReporter::start()
{
	for (auto& child : _children) child.reporter->start();
}

sdk::ReportResult MultiReporter::report(const sdk::Profile& profile)
{
	std::string refused;
	for (auto& child : _children)
	{
		// One child throwing must not keep the profile from the others.
		sdk::ReportResult result = reportClassified(std::string(), [&] { return child.reporter->report(profile); });
		if (!result.isOk()) refused += (refused.empty() ? "" : "; ") + child.name + ": " + result.message;
	}
	// Honest aggregate: a child that refused is named, never hidden behind Ok.
	return refused.empty() ? sdk::ReportResult::ok() : sdk::ReportResult::fail("multi: not handed to " + refused);
}

void MultiReporter::stop()
{
	// Every child is stopped; then the first exception, if any, goes on to the agent.
	std::exception_ptr firstError;
	for (auto& child : _children)
	{
		try
		{
			child.reporter->stop();
		}
		catch (...)
		{
			if (!firstError) firstError = std::current_exception();
		}
	}
	if (firstError) std::rethrow_exception(firstError);
}

} // namespace plugins
} // namespace asprof
