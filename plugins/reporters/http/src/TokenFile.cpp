#include "TokenFile.h"
#include "Poco/FileStream.h"
#include "Poco/String.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <sys/stat.h>

namespace asprof {
namespace plugins {

namespace {

const off_t MAX_TOKEN_FILE_BYTES = 64 * 1024;
const std::time_t RACY_SECONDS = 2;

} // namespace

TokenFile::TokenFile(const std::string& path): _path(path)
{
}

bool TokenFile::Stamp::operator==(const Stamp& other) const
{
	return device == other.device && inode == other.inode && size == other.size && seconds == other.seconds &&
		nanoseconds == other.nanoseconds;
}

std::string TokenFile::token()
{
	_changed = false;
	struct stat status;
	if (::stat(_path.c_str(), &status) != 0)
	{
		const int error = errno;
		_stamp.reset();
		_token.clear();
		throw Poco::FileException("bearerTokenFile " + _path + " cannot be read (not there yet?)", std::strerror(error));
	}
	Stamp stamp;
	stamp.device = status.st_dev;
	stamp.inode = status.st_ino;
	stamp.size = status.st_size;
	stamp.seconds = status.st_mtim.tv_sec;
	stamp.nanoseconds = status.st_mtim.tv_nsec;
	if (_stamp && *_stamp == stamp && !_racy) return _token;

	const std::string previous = std::move(_token);
	_stamp.reset();
	_token.clear();
	// Not a FIFO (open would wait for a writer) nor a device (/dev/zero never ends).
	if (!S_ISREG(status.st_mode)) throw Poco::FileException("bearerTokenFile " + _path + " is not a regular file");
	if (stamp.size > MAX_TOKEN_FILE_BYTES) throw Poco::FileException("bearerTokenFile " + _path + " is larger than 64 KiB");
	std::string token = Poco::trim(read());
	if (token.empty()) throw Poco::FileException("bearerTokenFile " + _path + " is empty");
	if (std::any_of(token.begin(), token.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
		throw Poco::FileException("bearerTokenFile " + _path + " holds control characters (line breaks?) that a header cannot carry");
	_stamp = stamp;
	// A rewrite within the file system's timestamp granularity (a clock tick) may keep
	// size and mtime: while the file is that fresh, read it every time (git's "racy clean").
	_racy = std::time(nullptr) - stamp.seconds < RACY_SECONDS;
	_token = std::move(token);
	_changed = _token != previous;
	return _token;
}

const std::string& TokenFile::path() const
{
	return _path;
}

bool TokenFile::changedOnLastCall() const
{
	return _changed;
}

std::string TokenFile::read() const
{
	// Bounded whatever stat() said: the file may grow between the two.
	std::string content(static_cast<std::size_t>(MAX_TOKEN_FILE_BYTES) + 1, '\0');
	try
	{
		Poco::FileInputStream in(_path);
		in.read(&content[0], static_cast<std::streamsize>(content.size()));
		content.resize(static_cast<std::size_t>(in.gcount()));
	}
	catch (const Poco::Exception& error)
	{
		throw Poco::FileException("bearerTokenFile " + _path + " cannot be read", error.message());
	}
	if (content.size() > static_cast<std::size_t>(MAX_TOKEN_FILE_BYTES))
		throw Poco::FileException("bearerTokenFile " + _path + " is larger than 64 KiB");
	return content;
}

} // namespace plugins
} // namespace asprof
