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

int ChunkRecording::fd() const
{
	return _file->fd();
}

std::uint64_t ChunkRecording::offset() const
{
	return _offset;
}

} // namespace agent
} // namespace asprof
