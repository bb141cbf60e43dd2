#include "FileRecording.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace asprof {
namespace agent {

namespace {

std::string errnoText(int error)
{
	return std::strerror(error);
}

std::string temporaryDirectory(const std::string& directory)
{
	if (!directory.empty()) return directory;
	std::string tmp = Poco::Environment::get("TMPDIR", "");
	return tmp.empty() ? std::string("/tmp") : tmp;
}

// Opens an unnamed 0600 file in dir; falls back to mkstemp + unlink where
// the filesystem lacks O_TMPFILE (e.g. some overlay and network filesystems).
int openAnonymous(const std::string& dir)
{
	int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) return fd;
	int tmpfileError = errno;
	if (tmpfileError != EOPNOTSUPP && tmpfileError != EISDIR && tmpfileError != EINVAL)
	{
		throw Poco::FileException("cannot create a recording file in " + dir, errnoText(tmpfileError));
	}
	std::string pattern = dir + "/.asprof-recording-XXXXXX";
	std::vector<char> name(pattern.begin(), pattern.end());
	name.push_back('\0');
	fd = ::mkostemp(name.data(), O_CLOEXEC);
	if (fd < 0) throw Poco::FileException("cannot create a recording file in " + dir, errnoText(errno));
	::unlink(name.data());
	::fchmod(fd, 0600);
	return fd;
}

} // namespace

FileRecording::FileRecording(int fd): _fd(fd)
{
}

std::unique_ptr<FileRecording> FileRecording::create(const std::string& directory)
{
	return std::unique_ptr<FileRecording>(new FileRecording(openAnonymous(temporaryDirectory(directory))));
}

std::unique_ptr<FileRecording> FileRecording::fromFile(const std::string& path)
{
	int source = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (source < 0) throw Poco::FileException("cannot open " + path, errnoText(errno));
	std::unique_ptr<FileRecording> recording;
	try
	{
		recording = create("");
		char buffer[65536];
		std::uint64_t offset = 0;
		for (;;)
		{
			ssize_t n = ::read(source, buffer, sizeof(buffer));
			if (n < 0 && errno == EINTR) continue;
			if (n < 0) throw Poco::FileException("cannot read " + path, errnoText(errno));
			if (n == 0) break;
			if (::pwrite(recording->_fd, buffer, static_cast<std::size_t>(n), static_cast<off_t>(offset)) != n)
				throw Poco::FileException("cannot copy " + path, errnoText(errno));
			offset += static_cast<std::uint64_t>(n);
		}
	}
	catch (...)
	{
		::close(source);
		throw;
	}
	::close(source);
	return recording;
}

FileRecording::~FileRecording()
{
	if (_fd >= 0) ::close(_fd);
}

int FileRecording::fd() const
{
	return _fd;
}

std::string FileRecording::path() const
{
	return "/proc/self/fd/" + std::to_string(_fd);
}

std::uint64_t FileRecording::size() const
{
	struct stat st;
	if (::fstat(_fd, &st) != 0) throw Poco::FileException("cannot stat recording " + path(), errnoText(errno));
	return static_cast<std::uint64_t>(st.st_size);
}

std::string FileRecording::readAll() const
{
	return readRange(0, size());
}

void FileRecording::copyTo(std::ostream& out) const
{
	copyRangeTo(out, 0, UINT64_MAX);
}

std::size_t FileRecording::readAt(std::uint64_t offset, char* buffer, std::size_t length) const
{
	std::size_t done = 0;
	while (done < length)
	{
		ssize_t n = ::pread(_fd, buffer + done, length - done, static_cast<off_t>(offset + done));
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) throw Poco::FileException("cannot read recording " + path(), errnoText(errno));
		if (n == 0) break;
		done += static_cast<std::size_t>(n);
	}
	return done;
}

std::string FileRecording::readRange(std::uint64_t offset, std::uint64_t length) const
{
	std::string data;
	data.resize(static_cast<std::size_t>(length));
	std::size_t done = 0;
	while (done < data.size())
	{
		ssize_t n = ::pread(_fd, &data[done], data.size() - done, static_cast<off_t>(offset + done));
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) throw Poco::FileException("cannot read recording " + path(), errnoText(errno));
		if (n == 0) break; // truncated meanwhile: return what is there
		done += static_cast<std::size_t>(n);
	}
	data.resize(done);
	return data;
}

void FileRecording::copyRangeTo(std::ostream& out, std::uint64_t offset, std::uint64_t length) const
{
	char buffer[65536];
	std::uint64_t done = 0;
	while (done < length)
	{
		std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof(buffer), length - done));
		ssize_t n = ::pread(_fd, buffer, wanted, static_cast<off_t>(offset + done));
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) throw Poco::FileException("cannot read recording " + path(), errnoText(errno));
		if (n == 0) break;
		out.write(buffer, n);
		if (!out) throw Poco::WriteFileException("cannot write a copy of recording " + path());
		done += static_cast<std::uint64_t>(n);
	}
}

void FileRecording::leak() noexcept
{
	_fd = -1;
}

} // namespace agent
} // namespace asprof
