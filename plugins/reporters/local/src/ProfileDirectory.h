//
// ProfileDirectory.h
//
// What the local reporter remembers of its directory, so that naming a
// profile and applying retention cost the same with ten files or a million.
//

#ifndef Asprof_Plugins_ProfileDirectory_INCLUDED
#define Asprof_Plugins_ProfileDirectory_INCLUDED

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace asprof {
namespace plugins {

/// A file name the local reporter writes: <base>[-<suffix>].<extension>,
/// base the profile's end second ("2025-03-20T16-41-24Z").
struct ProfileName
{
	std::string base;
	int suffix = 0;       ///< 0 when the name has none
	std::string fileName; ///< as on disk

	/// By base (the time), then suffix numerically ("Z-9" before "Z-10"),
	/// then file name: the order the profiles were written in.
	bool operator<(const ProfileName& other) const;

	/// "base.jfr" for suffix 0, else "base-<suffix>.jfr".
	static ProfileName make(const std::string& base, int suffix, const std::string& extension);

	/// The parts of a name of that form (suffix of at most 9 digits,
	/// extension jfr or zip); nullopt for any other name.
	static std::optional<ProfileName> parse(const std::string& fileName);
};

/// The local reporter's memory of its directory, filled by one listing
/// (scan()) and kept up to date by the reporter after each file it writes
/// or deletes, so that a report costs O(1) (O(log n) in memory) however
/// many files the directory holds.
///
/// It knows the newest profile name, for naming, and, when it keeps a
/// record (retention is on), every profile file in name order, for
/// retention. Others may change the directory meanwhile: link() never
/// replaces a file, so a stale memory costs at most a few probes, and the
/// reporter scans again from time to time when it keeps a record.
/// Not thread-safe (a lane calls its reporter from one thread at a time).
class ProfileDirectory
{
public:
	/// keepRecord: remember every profile file (for retention); otherwise
	/// only the newest name, whatever the directory holds.
	explicit ProfileDirectory(bool keepRecord);

	/// Forgets what it knew and lists the directory once. Throws
	/// Poco::FileException (errno kept) when it cannot be read.
	void scan(const std::string& directory);

	/// The suffix to try first for a new profile of base: one above the
	/// highest known for that second, so that names sort in the order
	/// written; 0 for a second not known (for a second older than the
	/// newest one without a record: link() then takes the first free name).
	int firstSuffix(const std::string& base) const;

	/// A file the reporter just wrote.
	void added(const ProfileName& name);

	/// Forgets and returns the file names of the oldest recorded profiles
	/// beyond the newest keep ones, oldest first, for the caller to delete.
	std::vector<std::string> takeOldest(std::size_t keep);

	/// The directory was deleted: no file of the record is left (the
	/// newest name stays, so later names still sort after it).
	void forgetFiles();

	/// The number of profile files in the record.
	std::size_t recorded() const;

	/// How many times scan() listed the directory.
	std::size_t scans() const;

private:
	bool _keepRecord;
	std::optional<ProfileName> _newest;
	std::set<ProfileName> _record;
	std::size_t _scans = 0;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_ProfileDirectory_INCLUDED
