#include "ChunkRecording.h"
#include "JfrChunks.h"
#include "Poco/Exception.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace asprof {
namespace agent {

namespace {

void putBigEndian64(std::string& bytes, std::size_t at, std::uint64_t value)
{
	for (std::size_t i = 8; i-- > 0; value >>= 8) bytes[at + i] = static_cast<char>(value & 0xff);
}

jfr::Input::Piece fileRange(std::uint64_t offset, std::uint64_t length)
{
	jfr::Input::Piece piece;
	piece.fileOffset = offset;
	piece.length = length;
	return piece;
}

jfr::Input::Piece memory(std::string bytes)
{
	jfr::Input::Piece piece;
	piece.bytes = std::move(bytes);
	piece.length = piece.bytes.size();
	return piece;
}

} // namespace

ChunkRecording::ChunkRecording(
	std::shared_ptr<const FileRecording> file, std::uint64_t offset, std::uint64_t length, std::shared_ptr<const ChunkSettings> settings):
	_file(std::move(file)),
	_offset(offset),
	_length(length),
	_settings(std::move(settings))
{
}

ChunkRecording::~ChunkRecording() = default;

const std::vector<jfr::Input::Piece>& ChunkRecording::pieces() const
{
	std::call_once(_laid, [this] {
		std::vector<jfr::Input::Piece> pieces;
		std::uint64_t done = _offset; // in the file
		// A file's first chunk has its settings; a range that starts it holds no other without them.
		if (_settings && _offset > 0)
		{
			for (const auto& chunk : JfrChunks::finishedChunks(_file->fd(), _offset, _offset + _length))
			{
				if (!chunk.compressedIntegers || _settings->presentIn(chunk.offset, chunk.size)) continue;
				std::string events = _settings->eventsAt(chunk.startTicks);
				if (events.empty()) break; // the first chunk has none: nothing to copy
				std::string header = _file->readRange(chunk.offset, JfrChunks::HEADER_SIZE);
				if (header.size() != JfrChunks::HEADER_SIZE)
					throw Poco::FileException("cannot read a chunk header of recording " + _file->path());
				// Size, constant pool and metadata offsets (relative to the
				// chunk, all past the header): everything after it moves.
				for (std::size_t field : {std::size_t(8), std::size_t(16), std::size_t(24)})
					putBigEndian64(header, field,
						JfrChunks::bigEndian64(reinterpret_cast<const unsigned char*>(header.data()) + field) + events.size());
				if (chunk.offset > done) pieces.push_back(fileRange(done, chunk.offset - done));
				pieces.push_back(memory(std::move(header)));
				pieces.push_back(memory(std::move(events)));
				done = chunk.offset + JfrChunks::HEADER_SIZE;
			}
		}
		if (_offset + _length > done) pieces.push_back(fileRange(done, _offset + _length - done));
		_pieces = std::move(pieces);
	});
	return _pieces;
}

std::uint64_t ChunkRecording::size() const
{
	std::uint64_t size = 0;
	for (const auto& piece : pieces()) size += piece.length;
	return size;
}

std::string ChunkRecording::readAll() const
{
	std::string data;
	for (const auto& piece : pieces())
	{
		if (!piece.bytes.empty())
			data += piece.bytes;
		else
		{
			std::string part = _file->readRange(piece.fileOffset, piece.length);
			data += part;
			if (part.size() < piece.length) break; // cut short: the JFR ends here
		}
	}
	return data;
}

void ChunkRecording::copyTo(std::ostream& out) const
{
	for (const auto& piece : pieces())
	{
		if (piece.bytes.empty())
		{
			_file->copyRangeTo(out, piece.fileOffset, piece.length);
			continue;
		}
		out.write(piece.bytes.data(), static_cast<std::streamsize>(piece.bytes.size()));
		if (!out) throw Poco::WriteFileException("cannot write a copy of recording " + _file->path());
	}
}

std::size_t ChunkRecording::readAt(std::uint64_t offset, char* buffer, std::size_t length) const
{
	std::size_t done = 0;
	std::uint64_t start = 0; // of the piece in the profile
	for (const auto& piece : pieces())
	{
		if (done == length) break;
		std::uint64_t end = start + piece.length;
		std::uint64_t at = offset + done;
		if (at < end)
		{
			std::uint64_t within = at - start;
			auto take = static_cast<std::size_t>(std::min<std::uint64_t>(length - done, piece.length - within));
			if (!piece.bytes.empty())
				std::memcpy(buffer + done, piece.bytes.data() + within, take);
			else
			{
				std::size_t read = _file->readAt(piece.fileOffset + within, buffer + done, take);
				if (read < take) return done + read; // cut short, as readAll()
			}
			done += take;
		}
		start = end;
	}
	return done;
}

int ChunkRecording::fd() const
{
	return _file->fd();
}

std::uint64_t ChunkRecording::offset() const
{
	return _offset;
}

std::uint64_t ChunkRecording::length() const
{
	return _length;
}

} // namespace agent
} // namespace asprof
