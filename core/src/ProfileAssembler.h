//
// ProfileAssembler.h
//
// Turns a finished recording into a Profile: the one place that decides
// what a profile carries.
//

#ifndef Asprof_Agent_ProfileAssembler_INCLUDED
#define Asprof_Agent_ProfileAssembler_INCLUDED

#include "MetadataResolver.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/sdk/Profile.h"
#include <memory>

namespace asprof {
namespace agent {

struct FinishedRecording;

/// Assembles a profile in two steps, because host metadata may be slow
/// (the first detection asks cloud endpoints) and the control thread must
/// never wait:
///   draft()    on the control thread: recording, seq, start, end, pid,
///              reporting interval, profiler arguments, the agent's labels;
///   complete() on the top lane's intake thread: host metadata (resolved
///              once, then cached) and the host's labels after the agent's.
/// A draft already carries everything the spool's entry id needs.
class ProfileAssembler
{
public:
	ProfileAssembler(const AgentConfig& config, std::shared_ptr<MetadataResolver> resolver);

	/// Cheap: no I/O, no plugin call.
	std::shared_ptr<sdk::Profile> draft(FinishedRecording&& finished) const;

	/// Adds host metadata and labels. May block on the first metadata
	/// detection; never throws a plugin's exception (see MetadataResolver).
	sdk::Profile complete(const sdk::Profile& draft) const;

private:
	sdk::KeyValueList _labels;
	Poco::Timespan _reportingInterval;
	std::string _profilerArgs;
	int _pid;
	std::shared_ptr<MetadataResolver> _resolver;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_ProfileAssembler_INCLUDED
