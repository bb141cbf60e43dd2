//
// TrackingConfiguration.h
//
// A configuration view that remembers which keys were asked for.
//

#ifndef Asprof_Agent_TrackingConfiguration_INCLUDED
#define Asprof_Agent_TrackingConfiguration_INCLUDED

#include "Poco/AutoPtr.h"
#include "Poco/Mutex.h"
#include "Poco/Util/AbstractConfiguration.h"
#include <set>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

/// Wraps one section of a configuration. Every key read (get, has) and
/// every prefix enumerated is recorded, so that after a component has
/// read its settings, unknownKeys() lists what the user wrote that nobody
/// understood: typos that would otherwise silently disable a feature.
class TrackingConfiguration: public Poco::Util::AbstractConfiguration
{
public:
	TrackingConfiguration(Poco::AutoPtr<Poco::Util::AbstractConfiguration> root, const std::string& section);

	/// Declares a key as known without reading it.
	void markKnown(const std::string& key);

	/// Returns the keys (relative to the section) that hold a value but
	/// were never read and are not below an enumerated prefix.
	std::vector<std::string> unknownKeys() const;

	/// Returns a known key that differs only in case, or an empty string.
	std::string suggestion(const std::string& unknownKey) const;

	/// The keys read so far, comma-separated, for error messages.
	std::string knownKeys() const;

protected:
	bool getRaw(const std::string& key, std::string& value) const override;
	void setRaw(const std::string& key, const std::string& value) override;
	void enumerate(const std::string& key, Keys& range) const override;

private:
	void collectLeaves(const std::string& prefix, std::vector<std::string>& leaves) const;
	bool isKnown(const std::string& key) const;

	Poco::AutoPtr<Poco::Util::AbstractConfiguration> _root;
	std::string _prefix;
	mutable Poco::FastMutex _mutex;
	mutable std::set<std::string> _readKeys;
	mutable std::set<std::string> _enumeratedPrefixes;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_TrackingConfiguration_INCLUDED
