#include "TrackingConfiguration.h"
#include "Poco/String.h"

namespace asprof {
namespace agent {

TrackingConfiguration::TrackingConfiguration(Poco::AutoPtr<Poco::Util::AbstractConfiguration> root, const std::string& section):
	_root(root),
	_prefix(section + ".")
{
}

void TrackingConfiguration::markKnown(const std::string& key)
{
	Poco::FastMutex::ScopedLock lock(_mutex);
	_readKeys.insert(key);
}

bool TrackingConfiguration::getRaw(const std::string& key, std::string& value) const
{
	{
		Poco::FastMutex::ScopedLock lock(_mutex);
		_readKeys.insert(key);
	}
	if (!_root->hasProperty(_prefix + key)) return false;
	value = _root->getRawString(_prefix + key);
	return true;
}

void TrackingConfiguration::setRaw(const std::string& key, const std::string& value)
{
	_root->setString(_prefix + key, value);
}

void TrackingConfiguration::enumerate(const std::string& key, Keys& range) const
{
	{
		Poco::FastMutex::ScopedLock lock(_mutex);
		_enumeratedPrefixes.insert(key);
	}
	_root->keys(key.empty() ? _prefix.substr(0, _prefix.size() - 1) : _prefix + key, range);
}

void TrackingConfiguration::collectLeaves(const std::string& prefix, std::vector<std::string>& leaves) const
{
	Keys children;
	_root->keys(_prefix + prefix, children);
	for (const auto& child : children)
	{
		std::string key = prefix.empty() ? child : prefix + "." + child;
		if (_root->hasProperty(_prefix + key)) leaves.push_back(key);
		collectLeaves(key, leaves);
	}
}

bool TrackingConfiguration::isKnown(const std::string& key) const
{
	if (_readKeys.count(key)) return true;
	for (const auto& prefix : _enumeratedPrefixes)
	{
		if (prefix.empty() || (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0 && key[prefix.size()] == '.'))
			return true;
	}
	return false;
}

std::vector<std::string> TrackingConfiguration::unknownKeys() const
{
	std::vector<std::string> leaves;
	Keys top;
	_root->keys(_prefix.substr(0, _prefix.size() - 1), top);
	for (const auto& child : top)
	{
		if (_root->hasProperty(_prefix + child)) leaves.push_back(child);
		collectLeaves(child, leaves);
	}
	Poco::FastMutex::ScopedLock lock(_mutex);
	std::vector<std::string> unknown;
	for (const auto& key : leaves)
	{
		if (!isKnown(key)) unknown.push_back(key);
	}
	return unknown;
}

std::string TrackingConfiguration::suggestion(const std::string& unknownKey) const
{
	Poco::FastMutex::ScopedLock lock(_mutex);
	for (const auto& key : _readKeys)
	{
		if (Poco::icompare(key, unknownKey) == 0) return key;
	}
	return std::string();
}

std::string TrackingConfiguration::knownKeys() const
{
	Poco::FastMutex::ScopedLock lock(_mutex);
	std::string keys;
	for (const auto& key : _readKeys) keys += (keys.empty() ? "" : ", ") + key;
	for (const auto& prefix : _enumeratedPrefixes)
	{
		if (!prefix.empty()) keys += (keys.empty() ? "" : ", ") + prefix + ".*";
	}
	return keys;
}

} // namespace agent
} // namespace asprof
