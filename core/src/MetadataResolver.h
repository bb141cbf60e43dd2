//
// MetadataResolver.h
//
// Finds the host's identity once, lazily, off the control thread.
//

#ifndef Asprof_Agent_MetadataResolver_INCLUDED
#define Asprof_Agent_MetadataResolver_INCLUDED

#include "asprof/sdk/HostMetadata.h"
#include "asprof/sdk/MetadataProvider.h"
#include "Poco/Mutex.h"
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

class MetadataResolver
	/// Tries the configured providers in order on the first resolve() and
	/// caches the first answer. A provider that throws is logged and the next
	/// one is tried; when none answers, the built-in onprem fallback (the
	/// hostname) is used. resolve() never throws and is thread-safe.
{
public:
	struct Candidate
	{
		std::string name;
		std::unique_ptr<sdk::MetadataProvider> provider;
	};

	explicit MetadataResolver(std::vector<Candidate> candidates = {});

	void setCandidates(std::vector<Candidate> candidates);
		/// Before the first resolve() only (not thread-safe with it).

	sdk::HostMetadata resolve();
		/// Returns the cached metadata, detecting it on the first call.

	static sdk::HostMetadata fallback();
		/// kind "onprem" with the hostname field.

private:
	std::vector<Candidate> _candidates;
	Poco::FastMutex _mutex;
	std::optional<sdk::HostMetadata> _resolved;
};

} } // namespace asprof::agent

#endif // Asprof_Agent_MetadataResolver_INCLUDED
