#include "ChunkRecording.h"
#include "JfrChunks.h"
#include "Poco/Exception.h"
#include <algorithm>
#include <cstring>

namespace asprof {
namespace agent {

ChunkRecording::ChunkRecording(
	std::shared_ptr<const FileRecording> file, std::uint64_t offset, std::uint64_t length, std::shared_ptr<const ChunkSettings> settings):
	_file(std::move(file)),
	_offset(offset),
	_length(length),
	_settings(std::move(settings))
{
}

ChunkRecording::~ChunkRecording() = default;

const std::vector<jfr::Input::Overlay>& ChunkRecording::overlays() const
{
	std::call_once(_laid, [this] {
		if (!_settings || _offset == 0) return; // a file's first chunk has its settings
		auto last = JfrChunks::lastFinished(_file->fd(), _offset, _offset + _length);
		if (!last || !last->compressedIntegers || _settings->presentIn(last->offset, last->size)) return;
		std::string events = _settings->eventsAt(last->startTicks);
		if (events.empty()) return;
		std::string size(8, '\0');
		std::uint64_t patched = last->size + events.size();
		for (int i = 7; i >= 0; --i, patched >>= 8) size[static_cast<std::size_t>(i)] = static_cast<char>(patched & 0xff);
		_overlays.push_back({last->offset - _offset + 8, std::move(size)});
		_overlays.push_back({_length, std::move(events)});
	});
	return _overlays;
}

std::uint64_t ChunkRecording::size() const
{
	std::uint64_t size = _length;
	for (const auto& overlay : overlays()) size = std::max<std::uint64_t>(size, overlay.at + overlay.bytes.size());
	return size;
}

std::string ChunkRecording::readAll() const
{
	const auto& laid = overlays();
	std::string data = _file->readRange(_offset, _length);
	if (data.size() < _length) return data; // cut short: no overlay may leave a hole
	for (const auto& overlay : laid)
	{
		if (overlay.at + overlay.bytes.size() > data.size()) data.resize(static_cast<std::size_t>(overlay.at + overlay.bytes.size()));
		std::memcpy(&data[static_cast<std::size_t>(overlay.at)], overlay.bytes.data(), overlay.bytes.size());
	}
	return data;
}

void ChunkRecording::copyTo(std::ostream& out) const
{
	std::uint64_t done = 0;
	for (const auto& overlay : overlays()) // in order, none overlapping
	{
		if (overlay.at > done) _file->copyRangeTo(out, _offset + done, overlay.at - done);
		out.write(overlay.bytes.data(), static_cast<std::streamsize>(overlay.bytes.size()));
		if (!out) throw Poco::WriteFileException("cannot write a copy of recording " + _file->path());
		done = overlay.at + overlay.bytes.size();
	}
	if (done < _length) _file->copyRangeTo(out, _offset + done, _length - done);
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
