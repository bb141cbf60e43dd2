//
// Reporter.h
//
// The interface a reporter plugin implements.
//

#ifndef Asprof_Sdk_Reporter_INCLUDED
#define Asprof_Sdk_Reporter_INCLUDED

#include "asprof/sdk/Export.h"
#include "asprof/sdk/Profile.h"
#include "asprof/sdk/ReportResult.h"

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

class PluginContext;

/// Sends profiles somewhere. Lifecycle, always in this order:
///   construct (cheap, no I/O) -> configure() -> start() -> report()* -> stop().
///
/// Each reporter instance has its own delivery thread: report() is never
/// called concurrently on one instance, but it runs on a different thread
/// from configure() and stop().
///
/// Every call into a reporter is a boundary: the agent catches whatever
/// configure(), start(), report() or stop() throw (Poco::Exception,
/// std::exception or anything else). A throwing configure() or start()
/// disables the instance with an error naming the plugin; a throwing
/// report() counts as a Fail result (the profile is counted as failed and
/// the log names the plugin and the exception's text); a throwing stop()
/// is logged. None of them ends the host process. For this to hold, do
/// NOT declare your overrides noexcept: an exception leaving a noexcept
/// function calls std::terminate before the agent can catch it.
///
/// Delivery is at least once: report() may see the same profile (same
/// seq, pid and start) again after a restart, when the spool replays an
/// entry whose earlier report() was abandoned at a stop deadline. A
/// destination keyed by the profile (as s3 and local are) stays correct.
/// If a report() outlives the stop deadline, the agent abandons it (its
/// thread is left to finish on its own) and does NOT call stop(): stop()
/// never runs while a report() is in progress.
class ASPROF_SDK_API Reporter
{
public:
	virtual ~Reporter();

	/// Reads the instance's settings from context. Throws
	/// Poco::InvalidArgumentException naming the key on bad configuration
	/// (the getters of asprof/sdk/PluginContext.h do this). Must not start threads.
	virtual void configure(PluginContext& context) = 0;

	/// Called once after configure(), before the first report(). May open
	/// connections or directories; throwing disables the instance.
	/// The default does nothing.
	virtual void start();

	/// Delivers one profile. Returns Ok when the destination has it, Retry
	/// for transient failures, Fail for permanent ones (see ReportResult).
	/// May block (network); the agent bounds the wait at shutdown. Any
	/// exception counts as Fail (see above).
	virtual ReportResult report(const Profile& profile) = 0;

	/// Called once at shutdown after the last report() returned (not at all
	/// when a report() was abandoned, see above). The agent waits for it at
	/// most until the stop deadline. The default does nothing.
	virtual void stop();
};

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof

#endif // Asprof_Sdk_Reporter_INCLUDED
