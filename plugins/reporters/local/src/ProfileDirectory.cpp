#include "ProfileDirectory.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/RegularExpression.h"
#include <climits>
#include <cstdlib>
#include <tuple>

namespace asprof {
namespace plugins {

namespace {

const std::size_t BASE_LENGTH = 20; // "2025-03-20T16-41-24Z"

} // namespace

bool ProfileName::operator<(const ProfileName& other) const
{
	return std::tie(base, suffix, fileName) < std::tie(other.base, other.suffix, other.fileName);
}

ProfileName ProfileName::make(const std::string& base, int suffix, const std::string& extension)
{
	ProfileName name;
	name.base = base;
	name.suffix = suffix;
	name.fileName = (suffix == 0 ? base : base + "-" + std::to_string(suffix)) + "." + extension;
	return name;
}

std::optional<ProfileName> ProfileName::parse(const std::string& fileName)
{
	// At most 9 digits: a suffix always fits an int, with room to count on.
	static const Poco::RegularExpression pattern("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}Z(-[0-9]{1,9})?\\.(jfr|zip)$");
	if (!pattern.match(fileName)) return std::nullopt;
	ProfileName name;
	name.base = fileName.substr(0, BASE_LENGTH);
	name.suffix = fileName[BASE_LENGTH] == '-' ? std::atoi(fileName.c_str() + BASE_LENGTH + 1) : 0;
	name.fileName = fileName;
	return name;
}

ProfileDirectory::ProfileDirectory(bool keepRecord): _keepRecord(keepRecord)
{
}

void ProfileDirectory::scan(const std::string& directory)
{
	std::set<ProfileName> record;
	std::optional<ProfileName> newest;
	for (Poco::DirectoryIterator it(directory), end; it != end; ++it)
	{
		std::optional<ProfileName> name = ProfileName::parse(it.name());
		if (!name) continue;
		if (!newest || *newest < *name) newest = name;
		if (_keepRecord) record.insert(std::move(*name));
	}
	// Never below what this instance wrote itself: a file deleted by someone
	// else must not make a later profile of that second sort before it.
	if (!_newest || (newest && *_newest < *newest)) _newest = newest;
	_record = std::move(record);
	++_scans;
}

int ProfileDirectory::firstSuffix(const std::string& base) const
{
	if (_newest && _newest->base == base) return _newest->suffix + 1;
	if (!_keepRecord || !_newest || _newest->base < base) return 0;
	// An older second (the clock stepped back, a profile replayed from a spool):
	// the record knows its names; the last one below base+1 is its highest.
	auto above = _record.upper_bound(ProfileName{base, INT_MAX, std::string()});
	if (above == _record.begin()) return 0;
	--above;
	return above->base == base ? above->suffix + 1 : 0;
}

void ProfileDirectory::added(const ProfileName& name)
{
	if (!_newest || *_newest < name) _newest = name;
	if (_keepRecord) _record.insert(name);
}

std::vector<std::string> ProfileDirectory::takeOldest(std::size_t keep)
{
	std::vector<std::string> oldest;
	while (_record.size() > keep)
	{
		oldest.push_back(_record.begin()->fileName);
		_record.erase(_record.begin());
	}
	return oldest;
}

void ProfileDirectory::forgetFiles()
{
	_record.clear();
}

std::size_t ProfileDirectory::recorded() const
{
	return _record.size();
}

std::size_t ProfileDirectory::scans() const
{
	return _scans;
}

} // namespace plugins
} // namespace asprof
