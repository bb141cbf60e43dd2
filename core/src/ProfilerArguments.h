//
// ProfilerArguments.h
//
// The [profiler] extraArgs, read the way async-profiler reads them.
//

#ifndef Asprof_Agent_ProfilerArguments_INCLUDED
#define Asprof_Agent_ProfilerArguments_INCLUDED

#include <optional>
#include <string>

namespace asprof {
namespace agent {

/// async-profiler splits its argument string at commas (skipping empty
/// items), takes name[=value], and matches a name by the low five bits of
/// each character: "File", "FILE" and "file" are all file, and '-' is
/// the same as 'm'. So a list of forbidden spellings can never be
/// complete; the agent allows a fixed set of arguments instead, matched
/// the same way.
class ProfilerArguments
{
public:
	/// Returns an empty string when every item of extraArgs is an allowed
	/// argument, else the "expected ..." part of the error, naming the
	/// first item refused and why: an argument the agent owns (file,
	/// log, loop, timeout, interval, event, ...), one it does not allow,
	/// or one that is not of the form name[=value] (a name of letters
	/// and '-', at most 12 characters; a value without spaces, quotes,
	/// commas or control characters).
	static std::string refusal(const std::string& extraArgs);

	/// The value of the last item of extraArgs that async-profiler reads
	/// as name (matched like async-profiler, see above): what it uses,
	/// since a later item overrides an earlier one. An empty string for
	/// an item without a value; nothing when no item has that name.
	static std::optional<std::string> lastValue(const std::string& extraArgs, const std::string& name);

	/// The allowed names, nullptr-terminated: alloc, live, lock,
	/// nativelock, nofree, tlab, threads, sched, record-cpu, alluser,
	/// jstackdepth, features, include, exclude, filter, clock, mcache,
	/// proc, nobatch, memlimit.
	static const char* const ALLOWED[];
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_ProfilerArguments_INCLUDED
