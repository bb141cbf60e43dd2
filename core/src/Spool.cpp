#include "Spool.h"
#include "SpoolFiles.h"
#include "asprof/sdk/RecordingStream.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/File.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Logger.h"
#include "Poco/NumberFormatter.h"
#include "Poco/Path.h"
#include "Poco/RegularExpression.h"
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sstream>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace asprof {
namespace agent {

using namespace spoolfiles;

namespace {

const std::size_t MAX_CORRUPT_KEPT = 16;
const std::size_t MAX_NAMES_LOGGED = 10;
const std::string PREFIX = "asprof-spool-";
// Plausible times for an entry: after 2000-01-01, at most a day ahead of the clock.
const Poco::Int64 EARLIEST_US = 946684800LL * 1000 * 1000;
const Poco::Int64 FUTURE_SLACK_US = 24LL * 3600 * 1000 * 1000;

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.spool");
}

// Only names of exactly these forms are the spool's; nothing else is ever removed.
const Poco::RegularExpression& entryPattern()
{
	static const Poco::RegularExpression pattern("^asprof-spool-([0-9]{16}-[0-9]{1,10}-[0-9]{10})\\.(jfr|json)$");
	return pattern;
}

const Poco::RegularExpression& temporaryPattern()
{
	static const Poco::RegularExpression pattern("^\\.asprof-spool-[0-9]{16}-[0-9]{1,10}-[0-9]{10}\\.(jfr|json)\\.[0-9a-f]{16}\\.tmp$");
	return pattern;
}

void checkTime(Poco::Int64 us, const std::string& what)
{
	Poco::Int64 latest = Poco::Timestamp().epochMicroseconds() + FUTURE_SLACK_US;
	if (us < EARLIEST_US || us > latest)
		throw Poco::DataFormatException(what + " " + std::to_string(us) + "us is implausible (before 2000 or more than a day ahead)");
}

std::string profileJson(const sdk::Profile& profile, const Poco::Timestamp& created)
{
	Poco::JSON::Object::Ptr root = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
	root->set("seq", static_cast<Poco::UInt64>(profile.seq));
	root->set("startUs", profile.start.epochMicroseconds());
	root->set("endUs", profile.end.epochMicroseconds());
	root->set("createdUs", created.epochMicroseconds());
	root->set("reportingIntervalUs", profile.reportingInterval.totalMicroseconds());
	root->set("pid", profile.pid);
	root->set("hostKind", profile.host.kind);
	auto pairs = [](const sdk::KeyValueList& list) {
		Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
		for (const auto& entry : list)
		{
			Poco::JSON::Array::Ptr pair = new Poco::JSON::Array;
			pair->add(entry.first);
			pair->add(entry.second);
			array->add(pair);
		}
		return array;
	};
	root->set("hostFields", pairs(profile.host.fields));
	root->set("hostLabels", pairs(profile.host.labels));
	root->set("labels", pairs(profile.labels));
	root->set("profilerArgs", profile.profilerArgs);
	std::ostringstream out;
	root->stringify(out);
	return out.str();
}

sdk::KeyValueList readPairs(const Poco::JSON::Object::Ptr& root, const std::string& name)
{
	sdk::KeyValueList list;
	Poco::JSON::Array::Ptr array = root->getArray(name);
	if (!array) throw Poco::DataFormatException("missing " + name);
	for (std::size_t i = 0; i < array->size(); ++i)
	{
		Poco::JSON::Array::Ptr pair = array->getArray(static_cast<unsigned>(i));
		if (!pair || pair->size() != 2) throw Poco::DataFormatException("malformed " + name);
		list.emplace_back(pair->getElement<std::string>(0), pair->getElement<std::string>(1));
	}
	return list;
}

Poco::JSON::Object::Ptr parseObject(const std::string& text)
{
	Poco::JSON::Object::Ptr root = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
	if (!root) throw Poco::DataFormatException("the metadata is not a JSON object");
	return root;
}

} // namespace

Spool::Spool(const std::string& directory, std::uint64_t maxBytes, Poco::Timespan maxAge):
	_directory(directory),
	_maxBytes(maxBytes),
	_maxAge(maxAge)
{
}

Spool::~Spool()
{
	if (_lockFd >= 0) ::close(_lockFd); // releases the flock
	if (_directoryFd >= 0) ::close(_directoryFd);
}

std::string Spool::makeId(const sdk::Profile& profile)
{
	return Poco::NumberFormatter::format0(profile.start.epochMicroseconds() / 1000, 16) + "-" + std::to_string(profile.pid) + "-" +
		Poco::NumberFormatter::format0(static_cast<Poco::UInt64>(profile.seq), 10);
}

std::string Spool::fileName(const std::string& id, const std::string& extension)
{
	return PREFIX + id + extension;
}

const std::string& Spool::directory() const
{
	return _directory;
}

// Created 0700 if missing; an existing one must already be private (checkPrivate).
void Spool::openDirectory()
{
	bool created = false;
	struct stat info;
	if (::stat(_directory.c_str(), &info) != 0 && errno == ENOENT)
	{
		Poco::File(Poco::Path(_directory).parent()).createDirectories();
		if (::mkdir(_directory.c_str(), 0700) != 0 && errno != EEXIST) throwErrno("cannot create spool directory " + _directory);
		created = true;
	}
	_directoryFd = ::open(_directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (_directoryFd < 0 && errno == ENOTDIR) throw Poco::IOException("spool directory " + _directory + " is not a directory", ENOTDIR);
	if (_directoryFd < 0) throwErrno("cannot open spool directory " + _directory);
	try
	{
		if (created) ::fchmod(_directoryFd, 0700); // profiles are the host's data, whatever the umask
		checkPrivate(_directoryFd, _directory);
	}
	catch (...)
	{
		::close(_directoryFd);
		_directoryFd = -1;
		throw;
	}
}

void Spool::lock()
{
	std::string lockPath = _directory + "/.lock";
	_lockFd = ::openat(_directoryFd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (_lockFd < 0 && errno == ELOOP) throw Poco::IOException("spool lock " + lockPath + " is a symbolic link; refusing to use it", ELOOP);
	if (_lockFd < 0) throwErrno("cannot open spool lock " + lockPath);
	struct stat info;
	if (::fstat(_lockFd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_nlink != 1 || info.st_uid != ::geteuid())
	{
		::close(_lockFd);
		_lockFd = -1;
		throw Poco::IOException("spool lock " + lockPath + " is not a regular file of this process's user; refusing to use it", EPERM);
	}
	if (::flock(_lockFd, LOCK_EX | LOCK_NB) != 0)
	{
		char holder[32] = {0};
		ssize_t n = ::pread(_lockFd, holder, sizeof(holder) - 1, 0);
		::close(_lockFd);
		_lockFd = -1;
		throw Poco::IOException("spool directory " + _directory + " is in use by another agent" +
			(n > 0 ? std::string(" (pid ") + printable(std::string(holder, static_cast<std::size_t>(n))) + ")" : std::string()) +
			"; give each agent its own spoolDir");
	}
	std::string pid = std::to_string(::getpid());
	if (::ftruncate(_lockFd, 0) == 0) writeAll(_lockFd, pid.data(), pid.size(), lockPath);
}

Spool::Evicted Spool::open()
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	openDirectory();
	lock();
	indexEntries();
	return enforceCapsLocked();
}

// Every asprof-spool-<id>.json is an entry (load() checks it); the spool's
// own half-written files are removed; everything else is left alone, and said so.
void Spool::indexEntries()
{
	std::vector<std::string> names = listNames(_directoryFd, _directory);
	std::vector<std::string> recordings, leftAlone;
	for (const auto& name : names)
	{
		std::vector<std::string> parts;
		if (name == ".lock" || name == "corrupt") continue;
		if (temporaryPattern().match(name) && isRegularFile(_directoryFd, name))
			::unlinkat(_directoryFd, name.c_str(), 0); // a write interrupted by a crash
		else if (entryPattern().split(name, parts) == 3 && parts[2] == "json")
			_entries[parts[1]] = Entry();
		else if (parts.size() == 3)
			recordings.push_back(parts[1]);
		else
			leftAlone.push_back(name);
	}
	for (const auto& id : recordings)
	{
		// A .jfr without its .json was never committed (crash between the two renames).
		if (_entries.count(id)) continue;
		if (isRegularFile(_directoryFd, fileName(id, ".jfr")))
			::unlinkat(_directoryFd, fileName(id, ".jfr").c_str(), 0);
		else
			leftAlone.push_back(fileName(id, ".jfr"));
	}
	for (auto& entry : _entries)
	{
		std::uint64_t size = 0;
		if (isRegularFile(_directoryFd, fileName(entry.first, ".json"), &size)) entry.second.bytes += size;
		if (isRegularFile(_directoryFd, fileName(entry.first, ".jfr"), &size)) entry.second.bytes += size;
		entry.second.created = createdTime(entry.first);
		_bytes += entry.second.bytes;
	}
	if (leftAlone.empty()) return;
	std::sort(leftAlone.begin(), leftAlone.end());
	std::string listed;
	for (std::size_t i = 0; i < leftAlone.size() && i < MAX_NAMES_LOGGED; ++i) listed += (i ? ", " : "") + printable(leftAlone[i]);
	if (leftAlone.size() > MAX_NAMES_LOGGED) listed += " and " + std::to_string(leftAlone.size() - MAX_NAMES_LOGGED) + " more";
	logger().warning("spool %s: leaving alone %s files it did not write: %s (it only ever removes its own %s* files)", _directory,
		std::to_string(leftAlone.size()), listed, PREFIX);
}

// The time written inside the entry, never the file's mtime. An entry whose
// time cannot be read counts as new: load() quarantines it when its turn comes.
Poco::Timestamp Spool::createdTime(const std::string& id) const
{
	try
	{
		Poco::Int64 createdUs = parseObject(readMetadata(_directoryFd, fileName(id, ".json")))->getValue<Poco::Int64>("createdUs");
		checkTime(createdUs, "createdUs");
		return Poco::Timestamp(createdUs);
	}
	catch (Poco::Exception&)
	{
		return Poco::Timestamp();
	}
}

void Spool::close()
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	if (_lockFd >= 0) ::close(_lockFd);
	_lockFd = -1;
}

// A hidden temporary with an unpredictable name, created exclusively, fsynced,
// renamed: the name appears only with complete content, and nothing planted is followed.
void Spool::writeDurably(const std::string& name, const std::string& content)
{
	writeDurably(name, [&](int fd, const std::string& path) { writeAll(fd, content.data(), content.size(), path); });
}

void Spool::writeDurably(const std::string& name, const std::function<void(int, const std::string&)>& write)
{
	std::string temporary;
	int fd = -1;
	for (int attempt = 0; attempt < 8 && fd < 0; ++attempt)
	{
		temporary = "." + name + "." + randomHex() + ".tmp";
		fd = ::openat(_directoryFd, temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) break;
	}
	if (fd < 0) throwErrno("cannot create a temporary file in " + _directory);
	try
	{
		write(fd, _directory + "/" + temporary);
		if (::fsync(fd) != 0) throwErrno("cannot sync " + _directory + "/" + temporary);
	}
	catch (...)
	{
		::close(fd);
		::unlinkat(_directoryFd, temporary.c_str(), 0);
		throw;
	}
	::close(fd);
	if (::renameat(_directoryFd, temporary.c_str(), _directoryFd, name.c_str()) != 0)
	{
		int error = errno;
		::unlinkat(_directoryFd, temporary.c_str(), 0);
		errno = error;
		throwErrno("cannot rename " + _directory + "/" + temporary);
	}
}

std::string Spool::add(const sdk::Profile& profile, Evicted& evicted)
{
	std::string id = makeId(profile);
	Poco::Timestamp created;
	std::string json = profileJson(profile, created);
	std::uint64_t entryBytes = profile.recording->size() + json.size();
	{
		Poco::FastMutex::ScopedLock guard(_mutex);
		if (_lockFd < 0) throw Poco::IllegalStateException("the spool " + _directory + " is closed");
		evicted = enforceCapsLocked(entryBytes); // make room first: never over the cap on disk
	}
	// Streamed from the recording's file, 64 KiB at a time: never a copy on the heap.
	writeDurably(fileName(id, ".jfr"), [&](int fd, const std::string& path) {
		sdk::RecordingInputStream in(*profile.recording);
		std::vector<char> buffer(64 * 1024);
		while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
			writeAll(fd, buffer.data(), static_cast<std::size_t>(in.gcount()), path);
	});
	writeDurably(fileName(id, ".json"), json);
	::fsync(_directoryFd);
	Poco::FastMutex::ScopedLock guard(_mutex);
	if (_lockFd < 0)
	{
		// Closed while writing (a stop deadline): the directory may belong to
		// another agent now, and the lane has counted this profile as lost.
		removeFiles(id);
		throw Poco::IllegalStateException("the spool " + _directory + " was closed while writing");
	}
	Entry entry;
	entry.bytes = entryBytes;
	entry.created = created;
	auto result = _entries.emplace(id, entry);
	if (result.second) _bytes += entry.bytes;
	return id;
}

void Spool::removeFiles(const std::string& id)
{
	::unlinkat(_directoryFd, fileName(id, ".json").c_str(), 0); // uncommit first
	::unlinkat(_directoryFd, fileName(id, ".jfr").c_str(), 0);
}

void Spool::remove(const std::string& id)
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	if (_lockFd < 0) return; // closed: the entry stays for the next start
	auto it = _entries.find(id);
	if (it == _entries.end()) return;
	_bytes -= it->second.bytes;
	_entries.erase(it);
	removeFiles(id);
}

bool Spool::contains(const std::string& id) const
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	return _entries.count(id) != 0;
}

std::string Spool::oldest() const
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	return _entries.empty() ? std::string() : _entries.begin()->first;
}

std::shared_ptr<sdk::Profile> Spool::readEntry(const std::string& id) const
{
	Poco::JSON::Object::Ptr root = parseObject(readMetadata(_directoryFd, fileName(id, ".json")));
	auto profile = std::make_shared<sdk::Profile>();
	profile->seq = root->getValue<Poco::UInt64>("seq");
	Poco::Int64 startUs = root->getValue<Poco::Int64>("startUs");
	Poco::Int64 endUs = root->getValue<Poco::Int64>("endUs");
	checkTime(startUs, "startUs");
	checkTime(endUs, "endUs");
	checkTime(root->getValue<Poco::Int64>("createdUs"), "createdUs");
	if (startUs > endUs) throw Poco::DataFormatException("the profile ends before it starts");
	profile->start = Poco::Timestamp(startUs);
	profile->end = Poco::Timestamp(endUs);
	profile->reportingInterval = Poco::Timespan(root->getValue<Poco::Int64>("reportingIntervalUs"));
	profile->pid = root->getValue<int>("pid");
	profile->host.kind = root->getValue<std::string>("hostKind");
	profile->host.fields = readPairs(root, "hostFields");
	profile->host.labels = readPairs(root, "hostLabels");
	profile->labels = readPairs(root, "labels");
	profile->profilerArgs = root->getValue<std::string>("profilerArgs");
	profile->recording = readRecording(_directoryFd, fileName(id, ".jfr"));
	return profile;
}

std::shared_ptr<sdk::Profile> Spool::load(const std::string& id)
{
	try
	{
		return readEntry(id);
	}
	catch (Poco::Exception& e)
	{
		Poco::FastMutex::ScopedLock guard(_mutex);
		quarantine(id, e.displayText());
		return nullptr;
	}
}

void Spool::quarantine(const std::string& id, const std::string& reason)
{
	auto it = _entries.find(id);
	if (it != _entries.end())
	{
		_bytes -= it->second.bytes;
		_entries.erase(it);
	}
	if (_lockFd < 0)
	{
		logger().error("spool %s: entry %s is corrupt (%s); left in place, the spool is closed", _directory, id, printable(reason, 400));
		return;
	}
	logger().error("spool %s: entry %s is corrupt (%s); moved to %s/corrupt", _directory, id, printable(reason, 400), _directory);
	try
	{
		moveToCorrupt(id);
	}
	catch (Poco::Exception& e)
	{
		logger().error("spool %s: cannot move %s aside (%s); deleting it", _directory, id, e.displayText());
		removeFiles(id);
	}
}

// <dir>/corrupt must be a private directory of its own, never a link elsewhere;
// only the spool's own names in it are ever trimmed.
void Spool::moveToCorrupt(const std::string& id)
{
	std::string corrupt = _directory + "/corrupt";
	if (::mkdirat(_directoryFd, "corrupt", 0700) != 0 && errno != EEXIST) throwErrno("cannot create " + corrupt);
	int corruptFd = ::openat(_directoryFd, "corrupt", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (corruptFd < 0) throwErrno("cannot open " + corrupt + " (it must be a directory, not a link)");
	try
	{
		checkPrivate(corruptFd, corrupt);
		for (const char* extension : {".json", ".jfr"})
		{
			std::string name = fileName(id, extension);
			struct stat info;
			if (::fstatat(_directoryFd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
				::renameat(_directoryFd, name.c_str(), corruptFd, name.c_str()) != 0)
				throwErrno("cannot move " + name + " to " + corrupt);
		}
		// Keep only the newest few: corrupt entries must not fill the disk either.
		std::vector<std::string> kept;
		for (const auto& name : listNames(corruptFd, corrupt))
			if (entryPattern().match(name)) kept.push_back(name);
		std::sort(kept.begin(), kept.end());
		for (std::size_t i = 0; i + 2 * MAX_CORRUPT_KEPT < kept.size(); ++i) ::unlinkat(corruptFd, kept[i].c_str(), 0);
	}
	catch (...)
	{
		::close(corruptFd);
		throw;
	}
	::close(corruptFd);
}
Spool::Evicted Spool::enforceCaps()
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	return enforceCapsLocked();
}

Spool::Evicted Spool::enforceCapsLocked(std::uint64_t incomingBytes)
{
	Evicted evicted;
	Poco::Timestamp oldestAllowed = Poco::Timestamp() - _maxAge;
	for (auto it = _entries.begin(); it != _entries.end();)
	{
		bool expired = _maxAge > Poco::Timespan(0) && it->second.created < oldestAllowed;
		bool overCap = _maxBytes > 0 && _bytes + incomingBytes > _maxBytes;
		if (!expired && !overCap)
		{
			++it;
			continue;
		}
		(expired ? evicted.expired : evicted.overCap).push_back(it->first);
		_bytes -= it->second.bytes;
		removeFiles(it->first);
		it = _entries.erase(it);
	}
	if (!evicted.expired.empty() || !evicted.overCap.empty())
	{
		logger().warning("spool %s: removed %s expired and %s over-cap entries (caps: %s, %s)", _directory,
			std::to_string(evicted.expired.size()), std::to_string(evicted.overCap.size()), std::to_string(_maxBytes) + " bytes",
			sdk::ConfigValue::formatDuration(_maxAge));
	}
	return evicted;
}

std::vector<std::string> Spool::ids() const
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	std::vector<std::string> ids;
	for (const auto& entry : _entries) ids.push_back(entry.first);
	return ids;
}

std::size_t Spool::size() const
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	return _entries.size();
}

std::uint64_t Spool::bytes() const
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	return _bytes;
}

} // namespace agent
} // namespace asprof
