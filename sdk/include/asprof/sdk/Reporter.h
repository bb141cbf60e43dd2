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

class PluginContext;

class ASPROF_SDK_API Reporter
	/// Sends profiles somewhere. Lifecycle, always in this order:
	///   construct (cheap, no I/O) -> configure() -> start() -> report()* -> stop().
	///
	/// Each reporter instance has its own delivery thread: report() is never
	/// called concurrently on one instance, but it runs on a different thread
	/// from configure() and stop(). report() must not throw; a reporter that
	/// throws anyway is treated as if it had returned Fail.
{
public:
	virtual ~Reporter();

	virtual void configure(PluginContext& context) = 0;
		/// Reads the instance's settings from context. Throws
		/// Poco::InvalidArgumentException naming the key on bad configuration
		/// (the typed getters of PluginContext do this). Must not start threads.

	virtual void start();
		/// Called once after configure(), before the first report(). May open
		/// connections or directories; throwing disables the instance.
		/// The default does nothing.

	virtual ReportResult report(const Profile& profile) noexcept = 0;
		/// Delivers one profile. Returns Ok when the destination has it, Retry
		/// for transient failures, Fail for permanent ones (see ReportResult).
		/// May block (network); the agent bounds the wait at shutdown.

	virtual void stop() noexcept;
		/// Called once at shutdown after the last report(). The default does nothing.
};

} } // namespace asprof::sdk

#endif // Asprof_Sdk_Reporter_INCLUDED
