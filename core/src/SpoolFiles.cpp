#include "SpoolFiles.h"
#include "asprof/sdk/ConfigValue.h"
#include "Poco/Exception.h"
#include "Poco/NumberFormatter.h"
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

namespace asprof {
namespace agent {
namespace spoolfiles {

namespace {

const std::size_t MAX_METADATA_BYTES = 1024 * 1024;
const char JFR_MAGIC[4] = {'F', 'L', 'R', '\0'};

} // namespace

[[noreturn]] void throwErrno(const std::string& what)
{
	int error = errno;
	throw Poco::IOException(what, std::strerror(error), error);
}

// File names come from a directory others may have written to: never log them raw.
std::string printable(const std::string& name, std::size_t maxLength)
{
	return sdk::ConfigValue::printable(name, maxLength);
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

// Unpredictable, so a name planted in advance can never be the one used (O_EXCL makes it safe anyway).
std::string randomHex()
{
	static std::atomic<std::uint64_t> counter{0};
	std::uint64_t value = 0;
	if (::getrandom(&value, sizeof(value), GRND_NONBLOCK) != static_cast<ssize_t>(sizeof(value)))
		value = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) * 6364136223846793005ULL;
	value ^= counter++;
	return Poco::NumberFormatter::formatHex(value, 16);
}

std::vector<std::string> listNames(int directoryFd, const std::string& directory)
{
	int fd = ::openat(directoryFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); // its own read position
	DIR* listing = fd < 0 ? nullptr : ::fdopendir(fd);
	if (!listing)
	{
		if (fd >= 0) ::close(fd);
		throwErrno("cannot list " + directory);
	}
	std::vector<std::string> names;
	while (const dirent* item = ::readdir(listing))
	{
		std::string name = item->d_name;
		if (name != "." && name != "..") names.push_back(name);
	}
	::closedir(listing);
	return names;
}

bool isRegularFile(int directoryFd, const std::string& name, std::uint64_t* size)
{
	struct stat info;
	if (::fstatat(directoryFd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(info.st_mode)) return false;
	if (size) *size = static_cast<std::uint64_t>(info.st_size);
	return true;
}

// A directory the spool may trust: this user's, writable by nobody else.
void checkPrivate(int fd, const std::string& directory)
{
	struct stat info;
	if (::fstat(fd, &info) != 0) throwErrno("cannot inspect spool directory " + directory);
	if (info.st_uid != ::geteuid())
	{
		throw Poco::IOException("spool directory " + directory + " is owned by uid " + std::to_string(info.st_uid) +
				", not by this process's user (uid " + std::to_string(::geteuid()) + "); give the agent a directory of its own",
			EPERM);
	}
	if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0)
	{
		char mode[8];
		std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
		throw Poco::IOException("spool directory " + directory + " is writable by group or others (mode " + mode +
				"): anyone who can write there could plant or replace entries; "
				"make it private (chmod 700 " +
				directory + ")",
			EPERM);
	}
}

// Opens an entry's file for reading: never through a symbolic link, never blocking on a FIFO, regular files only.
int openEntryFile(int directoryFd, const std::string& name, struct stat& info)
{
	int fd = ::openat(directoryFd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP) throw Poco::DataFormatException(name + " is a symbolic link");
	if (fd < 0) throw Poco::FileException("cannot open " + name, std::strerror(errno), errno);
	if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
	{
		::close(fd);
		throw Poco::DataFormatException(name + " is not a regular file");
	}
	return fd;
}

std::string readMetadata(int directoryFd, const std::string& name)
{
	struct stat info;
	int fd = openEntryFile(directoryFd, name, info);
	std::string text(std::min<std::uint64_t>(static_cast<std::uint64_t>(info.st_size), MAX_METADATA_BYTES + 1), '\0');
	ssize_t n = ::pread(fd, &text[0], text.size(), 0);
	::close(fd);
	if (n < 0) throw Poco::FileException("cannot read " + name, std::strerror(errno), errno);
	if (static_cast<std::size_t>(n) > MAX_METADATA_BYTES) throw Poco::DataFormatException(name + " is larger than 1 MiB");
	text.resize(static_cast<std::size_t>(n));
	return text;
}

// A copy of a spooled recording, which must be a regular file starting with the JFR magic.
std::unique_ptr<FileRecording> readRecording(int directoryFd, const std::string& name)
{
	struct stat info;
	int source = openEntryFile(directoryFd, name, info);
	try
	{
		char magic[sizeof(JFR_MAGIC)] = {0};
		ssize_t n = ::pread(source, magic, sizeof(magic), 0);
		if (n == 0) throw Poco::DataFormatException("the recording is empty");
		if (n != static_cast<ssize_t>(sizeof(magic)) || std::memcmp(magic, JFR_MAGIC, sizeof(magic)) != 0)
			throw Poco::DataFormatException(name + " is not a JFR recording (no FLR magic)");
		std::unique_ptr<FileRecording> recording = FileRecording::create("");
		char buffer[65536];
		for (off_t offset = 0;;)
		{
			n = ::pread(source, buffer, sizeof(buffer), offset);
			if (n < 0 && errno == EINTR) continue;
			if (n < 0) throw Poco::FileException("cannot read " + name, std::strerror(errno), errno);
			if (n == 0) break;
			if (::pwrite(recording->fd(), buffer, static_cast<std::size_t>(n), offset) != n)
				throw Poco::FileException("cannot copy " + name, std::strerror(errno), errno);
			offset += n;
		}
		::close(source);
		return recording;
	}
	catch (...)
	{
		::close(source);
		throw;
	}
}

} // namespace spoolfiles
} // namespace agent
} // namespace asprof
