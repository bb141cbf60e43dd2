#include "ProfileAssembler.h"
#include "ProfilingLoop.h"
#include "Poco/Process.h"

namespace asprof {
namespace agent {

namespace {

// The agent's labels, then the host's labels whose names are not taken.
sdk::KeyValueList mergeLabels(const sdk::KeyValueList& agentLabels, const sdk::KeyValueList& hostLabels)
{
	sdk::KeyValueList labels = agentLabels;
	for (const auto& label : hostLabels)
	{
		bool taken = false;
		for (const auto& existing : labels) taken = taken || existing.first == label.first;
		if (!taken) labels.push_back(label);
	}
	return labels;
}

} // namespace

ProfileAssembler::ProfileAssembler(const AgentConfig& config, std::shared_ptr<MetadataResolver> resolver):
	_labels(config.labels),
	_reportingInterval(config.reportingInterval),
	_profilerArgs(config.profiler.arguments()),
	_pid(static_cast<int>(Poco::Process::id())),
	_resolver(std::move(resolver))
{
}

std::shared_ptr<sdk::Profile> ProfileAssembler::draft(FinishedRecording&& finished) const
{
	auto profile = std::make_shared<sdk::Profile>();
	profile->seq = finished.seq;
	profile->start = finished.start;
	profile->end = finished.end;
	profile->reportingInterval = _reportingInterval;
	profile->pid = _pid;
	profile->profilerArgs = _profilerArgs;
	profile->labels = _labels;
	profile->recording = std::move(finished.recording);
	return profile;
}

sdk::Profile ProfileAssembler::complete(const sdk::Profile& draft) const
{
	sdk::Profile profile = draft;
	profile.host = _resolver ? _resolver->resolve() : MetadataResolver::fallback();
	profile.labels = mergeLabels(_labels, profile.host.labels);
	return profile;
}

} // namespace agent
} // namespace asprof
