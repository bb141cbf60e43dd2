//
// Spool.h
//
// A lane's crash-safe on-disk queue of profiles not yet delivered.
//

#ifndef Asprof_Agent_Spool_INCLUDED
#define Asprof_Agent_Spool_INCLUDED

#include "asprof/sdk/Profile.h"
#include "Poco/Mutex.h"
#include "Poco/Timespan.h"
#include <cstdint>
#include <map>
#include <memory>
#include <functional>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

/// One directory per reporter lane (spoolDir), holding every profile the
/// lane has not delivered yet, so that even kill -9 loses at most the
/// recording in progress.
///
/// An entry is asprof-spool-<id>.jfr (the recording) plus
/// asprof-spool-<id>.json (the profile's fields and the time the entry was
/// written); each is written to a hidden temporary file with an
/// unpredictable name created exclusively (O_EXCL|O_NOFOLLOW), fsynced and
/// renamed, the .json last, so an entry exists only once it is complete.
/// Ids sort by the recording's start time, so replay is oldest first,
/// across restarts.
///
/// The spool removes only files it can prove it wrote: names of exactly
/// that form (its entries, their temporaries, an entry's .jfr whose .json
/// was never committed). Every other file is left alone and named in one
/// warning at open.
///
/// The directory is trusted only when it is this process's user's and
/// writable by nobody else: open() refuses one owned by another user or
/// writable by group or others. All file operations go through one
/// descriptor of the directory taken at open(); entries are opened with
/// O_NOFOLLOW|O_NONBLOCK and must be regular files, a recording must
/// start with the JFR magic, and an entry's times must be plausible
/// (start <= end, none before 2000 or more than a day ahead).
///
/// Caps: entries written more than maxAge ago (the time recorded inside
/// the entry, not the file's mtime) and, beyond maxBytes, the oldest
/// entries are removed on every add() and on open(), whether or not
/// deliveries succeed. An entry that fails the checks is moved to
/// <dir>/corrupt (a private directory; the newest 16 entries are kept
/// there, other files in it are never removed) with a log line. The
/// directory is locked (flock on <dir>/.lock): a second agent using it is
/// refused. All methods are thread-safe.
class Spool
{
public:
	struct Evicted
	{
		std::vector<std::string> expired; ///< ids older than maxAge
		std::vector<std::string> overCap; ///< oldest ids removed to stay within maxBytes
	};

	/// All ids, oldest first.
	std::vector<std::string> ids() const;

	Spool(const std::string& directory, std::uint64_t maxBytes, Poco::Timespan maxAge);
	~Spool();

	Spool(const Spool&) = delete;
	Spool& operator=(const Spool&) = delete;

	/// Creates the directory (mode 0700) if missing. Refuses a path that
	/// is not a directory, a directory owned by another user or writable
	/// by group or others. Takes the lock, indexes the entries, removes
	/// the spool's own incomplete files, logs the foreign ones it leaves
	/// alone, enforces the caps. Throws Poco::Exception naming the
	/// directory and the reason (the lock holder's pid when another agent
	/// has it).
	Evicted open();

	/// Releases the directory lock (the index stays readable). After
	/// close, add() throws (an add that was writing removes its files) and
	/// remove() does nothing, so a lane abandoned at a stop deadline never
	/// touches a directory that another agent may have opened since.
	void close();

	/// Stores the profile; returns its id. Room is made first (oldest
	/// entries evicted), so the spool never exceeds maxBytes on disk.
	/// Throws Poco::Exception on I/O errors (the caller keeps the profile
	/// in memory then); the exception's code() is the errno.
	std::string add(const sdk::Profile& profile, Evicted& evicted);

	/// Deletes a delivered (or permanently failed) entry; no-op if gone.
	void remove(const std::string& id);

	bool contains(const std::string& id) const;

	/// The oldest id, or an empty string when the spool is empty.
	std::string oldest() const;

	/// Reads an entry back. One that fails the checks (unreadable, not
	/// a regular file, a symbolic link, not JFR, implausible times) is
	/// moved aside (not after close()) and nullptr returned.
	std::shared_ptr<sdk::Profile> load(const std::string& id);

	Evicted enforceCaps();

	std::size_t size() const;
	std::uint64_t bytes() const;
	const std::string& directory() const;

	/// "<start ms, 16 digits>-<pid>-<seq, 10 digits>"
	static std::string makeId(const sdk::Profile& profile);

	/// "asprof-spool-<id><extension>": the name of an entry's file.
	static std::string fileName(const std::string& id, const std::string& extension);

private:
	struct Entry
	{
		std::uint64_t bytes = 0;
		Poco::Timestamp created;
	};

	void openDirectory();
	void lock();
	void indexEntries();
	Poco::Timestamp createdTime(const std::string& id) const;
	std::shared_ptr<sdk::Profile> readEntry(const std::string& id) const;
	void writeDurably(const std::string& name, const std::string& content);

	/// The same, with the content written by write(fd, path) (e.g. streamed
	/// from a recording instead of held in a string).
	void writeDurably(const std::string& name, const std::function<void(int, const std::string&)>& write);
	void quarantine(const std::string& id, const std::string& reason);
	void moveToCorrupt(const std::string& id);
	void removeFiles(const std::string& id);
	Evicted enforceCapsLocked(std::uint64_t incomingBytes = 0);

	std::string _directory;
	std::uint64_t _maxBytes;
	Poco::Timespan _maxAge;
	int _directoryFd = -1; // every file operation is relative to it; closed only by the destructor
	int _lockFd = -1;
	mutable Poco::FastMutex _mutex;
	std::map<std::string, Entry> _entries; // sorted: oldest first
	std::uint64_t _bytes = 0;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_Spool_INCLUDED
