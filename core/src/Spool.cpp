#include "Spool.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/File.h"
#include "Poco/FileStream.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Logger.h"
#include "Poco/NumberFormatter.h"
#include "Poco/StreamCopier.h"
#include <cerrno>
#include <cstring>
#include <algorithm>
#include <fcntl.h>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace asprof {
namespace agent {

namespace {

const std::size_t MAX_CORRUPT_KEPT = 16;

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.spool");
}

[[noreturn]] void throwErrno(const std::string& what)
{
	throw Poco::IOException(what, std::strerror(errno), errno);
}

void writeAll(int fd, const char* data, std::size_t size, const std::string& path)
{
	while (size > 0)
	{
		ssize_t n = ::write(fd, data, size);
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) throwErrno("cannot write " + path);
		data += n;
		size -= static_cast<std::size_t>(n);
	}
}

// temporary file, fsync, rename: the name appears only with complete content.
template <class Writer>
void writeDurably(const std::string& path, Writer writer)
{
	std::string temporary = path + ".tmp";
	int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) throwErrno("cannot create " + temporary);
	try
	{
		writer(fd, temporary);
		if (::fsync(fd) != 0) throwErrno("cannot sync " + temporary);
	}
	catch (...)
	{
		::close(fd);
		::unlink(temporary.c_str());
		throw;
	}
	::close(fd);
	if (::rename(temporary.c_str(), path.c_str()) != 0)
	{
		::unlink(temporary.c_str());
		throwErrno("cannot rename " + temporary);
	}
}

void syncDirectory(const std::string& directory)
{
	int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) return;
	::fsync(fd);
	::close(fd);
}

std::string profileJson(const sdk::Profile& profile)
{
	Poco::JSON::Object::Ptr root = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
	root->set("seq", static_cast<Poco::UInt64>(profile.seq));
	root->set("startUs", profile.start.epochMicroseconds());
	root->set("endUs", profile.end.epochMicroseconds());
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
}

std::string Spool::makeId(const sdk::Profile& profile)
{
	return Poco::NumberFormatter::format0(profile.start.epochMicroseconds() / 1000, 16) + "-" + std::to_string(profile.pid) +
		"-" + Poco::NumberFormatter::format0(static_cast<Poco::UInt64>(profile.seq), 10);
}

std::string Spool::path(const std::string& id, const char* extension) const
{
	return _directory + "/" + id + extension;
}

const std::string& Spool::directory() const
{
	return _directory;
}

void Spool::lock()
{
	std::string lockPath = _directory + "/.lock";
	_lockFd = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (_lockFd < 0) throwErrno("cannot open spool lock " + lockPath);
	if (::flock(_lockFd, LOCK_EX | LOCK_NB) != 0)
	{
		char holder[32] = {0};
		ssize_t n = ::pread(_lockFd, holder, sizeof(holder) - 1, 0);
		::close(_lockFd);
		_lockFd = -1;
		throw Poco::IOException("spool directory " + _directory + " is in use by another agent" +
			(n > 0 ? std::string(" (pid ") + std::string(holder, static_cast<std::size_t>(n)) + ")" : std::string()) +
			"; give each agent its own spoolDir");
	}
	std::string pid = std::to_string(::getpid());
	if (::ftruncate(_lockFd, 0) == 0) writeAll(_lockFd, pid.data(), pid.size(), lockPath);
}

Spool::Evicted Spool::open()
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	Poco::File directory(_directory);
	if (directory.exists() && !directory.isDirectory())
		throw Poco::IOException("spool directory " + _directory + " is not a directory", ENOTDIR);
	if (!directory.exists())
	{
		directory.createDirectories();
		::chmod(_directory.c_str(), 0700); // profiles are the host's data
	}
	lock();
	for (Poco::DirectoryIterator it(_directory), end; it != end; ++it)
	{
		const std::string& name = it.name();
		if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0)
		{
			it->remove(); // a write interrupted by a crash
			continue;
		}
		if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".json") != 0) continue;
		std::string id = name.substr(0, name.size() - 5);
		Poco::File jfr(path(id, ".jfr"));
		if (!jfr.exists())
		{
			quarantine(id, "the recording is missing");
			continue;
		}
		Entry entry;
		entry.bytes = jfr.getSize() + it->getSize();
		entry.created = it->getLastModified();
		_entries[id] = entry;
		_bytes += entry.bytes;
	}
	// A .jfr without its .json was never committed (crash between the two renames).
	for (Poco::DirectoryIterator it(_directory), end; it != end; ++it)
	{
		const std::string& name = it.name();
		if (name.size() > 4 && name.compare(name.size() - 4, 4, ".jfr") == 0 && !_entries.count(name.substr(0, name.size() - 4)))
			it->remove();
	}
	return enforceCapsLocked();
}

void Spool::close()
{
	Poco::FastMutex::ScopedLock guard(_mutex);
	if (_lockFd >= 0) ::close(_lockFd);
	_lockFd = -1;
}

std::string Spool::add(const sdk::Profile& profile, Evicted& evicted)
{
	std::string id = makeId(profile);
	std::string json = profileJson(profile);
	std::uint64_t entryBytes = profile.recording->size() + json.size();
	{
		Poco::FastMutex::ScopedLock guard(_mutex);
		if (_lockFd < 0) throw Poco::IllegalStateException("the spool " + _directory + " is closed");
		evicted = enforceCapsLocked(entryBytes); // make room first: never over the cap on disk
	}
	writeDurably(path(id, ".jfr"), [&](int fd, const std::string& temporary) {
		std::string data = profile.recording->readAll();
		writeAll(fd, data.data(), data.size(), temporary);
	});
	writeDurably(path(id, ".json"), [&](int fd, const std::string& temporary) { writeAll(fd, json.data(), json.size(), temporary); });
	syncDirectory(_directory);
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
	auto result = _entries.emplace(id, entry);
	if (result.second) _bytes += entry.bytes;
	return id;
}

void Spool::removeFiles(const std::string& id)
{
	::unlink(path(id, ".json").c_str()); // uncommit first
	::unlink(path(id, ".jfr").c_str());
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

std::shared_ptr<sdk::Profile> Spool::load(const std::string& id)
{
	try
	{
		std::string text;
		{
			Poco::FileInputStream in(path(id, ".json"));
			Poco::StreamCopier::copyToString(in, text);
		}
		Poco::JSON::Object::Ptr root = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
		auto profile = std::make_shared<sdk::Profile>();
		profile->seq = root->getValue<Poco::UInt64>("seq");
		profile->start = Poco::Timestamp(root->getValue<Poco::Int64>("startUs"));
		profile->end = Poco::Timestamp(root->getValue<Poco::Int64>("endUs"));
		profile->reportingInterval = Poco::Timespan(root->getValue<Poco::Int64>("reportingIntervalUs"));
		profile->pid = root->getValue<int>("pid");
		profile->host.kind = root->getValue<std::string>("hostKind");
		profile->host.fields = readPairs(root, "hostFields");
		profile->host.labels = readPairs(root, "hostLabels");
		profile->labels = readPairs(root, "labels");
		profile->profilerArgs = root->getValue<std::string>("profilerArgs");
		profile->recording = sdk::Recording::fromFile(path(id, ".jfr"));
		if (profile->recording->size() == 0) throw Poco::DataFormatException("the recording is empty");
		return profile;
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
	std::string corrupt = _directory + "/corrupt";
	logger().error("spool %s: entry %s is corrupt (%s); moved to %s", _directory, id, reason, corrupt);
	try
	{
		Poco::File(corrupt).createDirectories();
		for (const char* extension : {".json", ".jfr"})
		{
			if (Poco::File(path(id, extension)).exists()) Poco::File(path(id, extension)).renameTo(corrupt + "/" + id + extension);
		}
		// Keep only the newest few: corrupt entries must not fill the disk either.
		std::vector<std::string> kept;
		for (Poco::DirectoryIterator it(corrupt), end; it != end; ++it) kept.push_back(it.name());
		std::sort(kept.begin(), kept.end());
		for (std::size_t i = 0; i + 2 * MAX_CORRUPT_KEPT < kept.size(); ++i) Poco::File(corrupt + "/" + kept[i]).remove();
	}
	catch (Poco::Exception& e)
	{
		logger().error("spool %s: cannot move %s aside (%s); deleting it", _directory, id, e.displayText());
		removeFiles(id);
	}
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
		logger().warning("spool %s: removed %s expired and %s over-cap entries (caps: %s, %s)", _directory, std::to_string(evicted.expired.size()),
			std::to_string(evicted.overCap.size()), std::to_string(_maxBytes) + " bytes", sdk::ConfigValue::formatDuration(_maxAge));
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

} } // namespace asprof::agent
