#include "ChunkRecording.h"
#include "Poco/Exception.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace asprof {
namespace agent {

ChunkRecording::ChunkRecording(std::shared_ptr<const FileRecording> file, std::uint64_t offset, std::uint64_t length):
	_file(std::move(file)),
	_offset(offset),
	_length(length)
{
}

ChunkRecording::~ChunkRecording() = default;

std::uint64_t ChunkRecording::size() const
{
	return _length;
}

std::string ChunkRecording::readAll() const
{
	return _file->readRange(_offset, _length);
}

void ChunkRecording::copyTo(std::ostream& out) const
{
	_file->copyRangeTo(out, _offset, _length);
}

std::unique_ptr<FileRecording> ChunkRecording::copyToFile(const std::string& directory) const
{
	std::unique_ptr<FileRecording> copy = FileRecording::create(directory);
	char buffer[65536];
	std::uint64_t done = 0;
	while (done < _length)
	{
		std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof(buffer), _length - done));
		ssize_t n = ::pread(_file->fd(), buffer, wanted, static_cast<off_t>(_offset + done));
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) throw Poco::FileException("cannot read recording " + _file->path(), std::strerror(errno));
		if (n == 0) break;
		ssize_t written;
		do written = ::pwrite(copy->fd(), buffer, static_cast<std::size_t>(n), static_cast<off_t>(done));
		while (written < 0 && errno == EINTR);
		if (written != n) throw Poco::FileException("cannot copy recording " + _file->path(), std::strerror(errno));
		done += static_cast<std::uint64_t>(n);
	}
	return copy;
}

std::uint64_t ChunkRecording::offset() const
{
	return _offset;
}

} // namespace agent
} // namespace asprof
