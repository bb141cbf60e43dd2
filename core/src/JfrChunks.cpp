#include "JfrChunks.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace asprof {
namespace agent {

std::uint64_t JfrChunks::bigEndian64(const unsigned char* bytes)
{
	std::uint64_t value = 0;
	for (int i = 0; i < 8; ++i) value = (value << 8) | bytes[i];
	return value;
}

namespace {

// The size of the finished chunk at offset, or 0 when there is none.
std::uint64_t finishedChunkAt(int fd, std::uint64_t offset, std::uint64_t fileSize, JfrChunks::Finished* finished = nullptr)
{
	if (fileSize - offset < JfrChunks::HEADER_SIZE) return 0;
	unsigned char header[JfrChunks::HEADER_SIZE];
	ssize_t n;
	do n = ::pread(fd, header, sizeof(header), static_cast<off_t>(offset));
	while (n < 0 && errno == EINTR);
	if (n < 0) throw Poco::FileException("cannot read a JFR chunk header", std::strerror(errno));
	if (n != static_cast<ssize_t>(sizeof(header)) || std::memcmp(header, "FLR", 4) != 0) return 0;
	std::uint64_t chunkSize = JfrChunks::bigEndian64(header + 8);
	std::uint64_t constantPool = JfrChunks::bigEndian64(header + 16);
	std::uint64_t metadata = JfrChunks::bigEndian64(header + 24);
	if (chunkSize < JfrChunks::HEADER_SIZE || chunkSize > fileSize - offset) return 0;
	// Zero while async-profiler still writes the chunk.
	if (constantPool < JfrChunks::HEADER_SIZE || constantPool >= chunkSize) return 0;
	if (metadata < JfrChunks::HEADER_SIZE || metadata >= chunkSize) return 0;
	if (finished)
	{
		finished->offset = offset;
		finished->size = chunkSize;
		finished->startTicks = static_cast<std::int64_t>(JfrChunks::bigEndian64(header + 48));
		finished->compressedIntegers = (header[67] & 1) != 0;
	}
	return chunkSize;
}

} // namespace

std::uint64_t JfrChunks::finishedEnd(int fd, std::uint64_t from, std::uint64_t fileSize)
{
	std::uint64_t offset = from;
	while (offset < fileSize)
	{
		std::uint64_t chunkSize = finishedChunkAt(fd, offset, fileSize);
		if (chunkSize == 0) break;
		offset += chunkSize;
	}
	return offset;
}

bool JfrChunks::onlyFinishedChunks(int fd, std::uint64_t from, std::uint64_t fileSize)
{
	try
	{
		return fileSize > from && finishedEnd(fd, from, fileSize) == fileSize;
	}
	catch (Poco::Exception&)
	{
		return false;
	}
}

std::optional<JfrChunks::Finished> JfrChunks::finishedAt(int fd, std::uint64_t offset, std::uint64_t fileSize)
{
	Finished chunk;
	if (offset >= fileSize || finishedChunkAt(fd, offset, fileSize, &chunk) == 0) return std::nullopt;
	return chunk;
}

std::vector<JfrChunks::Finished> JfrChunks::finishedChunks(int fd, std::uint64_t from, std::uint64_t end)
{
	std::vector<Finished> chunks;
	Finished chunk;
	for (std::uint64_t offset = from; offset < end;)
	{
		std::uint64_t chunkSize = finishedChunkAt(fd, offset, end, &chunk);
		if (chunkSize == 0) break;
		chunks.push_back(chunk);
		offset += chunkSize;
	}
	return chunks;
}

} // namespace agent
} // namespace asprof
