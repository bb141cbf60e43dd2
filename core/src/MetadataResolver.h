//
// MetadataResolver.h
//
// Finds the host's identity once, on a thread of its own, and never makes a
// profile wait for it longer than metadataTimeout.
//

#ifndef Asprof_Agent_MetadataResolver_INCLUDED
#define Asprof_Agent_MetadataResolver_INCLUDED

#include "asprof/sdk/HostMetadata.h"
#include "asprof/sdk/MetadataProvider.h"
#include "Poco/Timespan.h"
#include <memory>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

/// Tries the configured providers in order, once, and caches the first
/// answer. A provider that throws, or answers with control characters in
/// its kind, fields or labels, is logged and the next one is tried;
/// when none answers, the built-in onprem fallback (the hostname) is used.
///
/// Detection runs on its own thread (asprof-metadata), started by start()
/// or by the first resolve(). resolve() waits for it at most `timeout`:
/// a provider that hangs never holds delivery hostage; profiles go out
/// with kind "unknown" (and the hostname) until detection ends, which is
/// logged once. A thread stuck in a provider is abandoned, never joined.
/// Thread-safe; never throws a provider's exception.
class MetadataResolver
{
public:
	struct Candidate
	{
		std::string name;
		std::unique_ptr<sdk::MetadataProvider> provider;
		sdk::KeyValueList labels; ///< [metadata.<name>] labels, added after the provider's own
	};

	explicit MetadataResolver(std::vector<Candidate> candidates = {}, Poco::Timespan timeout = Poco::Timespan(5 * Poco::Timespan::SECONDS));

	/// Before start() or the first resolve() only.
	void setCandidates(std::vector<Candidate> candidates);

	/// Begins detection in the background; later calls do nothing.
	void start();

	/// The detected metadata, waiting at most the timeout (from this call)
	/// for detection to end; unknown() when it has not. After one call has
	/// waited the whole timeout, the next ones return at once.
	sdk::HostMetadata resolve();

	/// kind "onprem" with the hostname field.
	static sdk::HostMetadata fallback();

	/// kind "unknown" with the hostname field: detection still running.
	static sdk::HostMetadata unknown();

private:
	struct State;
	static void detect(std::shared_ptr<State> state);

	std::shared_ptr<State> _state;
	Poco::Timespan _timeout;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_MetadataResolver_INCLUDED
