#include "ChunkSettings.h"
#include "JfrChunks.h"
#include "Poco/Exception.h"
#include "asprof/jfr/Reader.h"
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace asprof {
namespace agent {

namespace {

// JFR's compressed integers: 7 bits a byte, low first; a ninth byte holds 8.
bool readVarint(const std::string& bytes, std::size_t& at, std::uint64_t& value)
{
	value = 0;
	for (int i = 0; i < 9; ++i)
	{
		if (at >= bytes.size()) return false;
		auto b = static_cast<unsigned char>(bytes[at++]);
		if (i == 8)
		{
			value |= static_cast<std::uint64_t>(b) << 56;
			return true;
		}
		value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) return true;
	}
	return true;
}

void writeVarint(std::string& out, std::uint64_t value)
{
	for (int i = 0; i < 8; ++i)
	{
		if (value < 0x80)
		{
			out.push_back(static_cast<char>(value));
			return;
		}
		out.push_back(static_cast<char>((value & 0x7f) | 0x80));
		value >>= 7;
	}
	out.push_back(static_cast<char>(value & 0xff));
}

std::size_t varintSize(std::uint64_t value)
{
	std::string bytes;
	writeVarint(bytes, value);
	return bytes.size();
}

// Stops the reading once the settings are behind it.
struct SettingsRead
{
};

class SettingsCollector: public jfr::RecordingVisitor
{
public:
	SettingsCollector(const jfr::Input& input, std::vector<std::pair<std::uint64_t, std::string>>& events): _input(input), _events(events)
	{
	}

	void beginChunk(const jfr::Chunk& chunk) override
	{
		if ((chunk.header().features & 1) == 0) throw SettingsRead(); // fixed-size integers: not async-profiler's
	}

	bool wants(const jfr::Chunk&, const jfr::Type& type) override
	{
		if (type.name != "jdk.ActiveSetting") return false;
		_stampable = !type.fields.empty() && type.fields[0].name == "startTime";
		return _stampable;
	}

	void event(const jfr::Chunk&, const jfr::Event& event) override
	{
		std::string raw(static_cast<std::size_t>(event.size()), '\0');
		raw.resize(_input.read(event.offset(), &raw[0], raw.size()));
		_events.emplace_back(event.type().id, std::move(raw));
	}

	void skipped(const jfr::Chunk&, const jfr::Type& type, std::uint64_t) override
	{
		// The settings come in one run after the recording's identity.
		if (!_events.empty() && type.name != "jdk.ActiveSetting") throw SettingsRead();
	}

	void endChunk(const jfr::Chunk&) override
	{
		throw SettingsRead(); // the first chunk only
	}

private:
	const jfr::Input& _input;
	std::vector<std::pair<std::uint64_t, std::string>>& _events;
	bool _stampable = false;
};

} // namespace

ChunkSettings::ChunkSettings(std::shared_ptr<const FileRecording> file): _file(std::move(file))
{
}

void ChunkSettings::load() const
{
	// Ranges are cut after the first chunk only, so it is finished here.
	auto first = JfrChunks::finishedAt(_file->fd(), 0, _file->size());
	if (!first) return;
	// The file's own descriptor, borrowed: no descriptor to make (a host out of them).
	jfr::Input::Piece whole;
	whole.length = first->size;
	auto input = jfr::Input::fromPieces(_file->fd(), {whole}, _file->path(), false);
	std::vector<std::pair<std::uint64_t, std::string>> events;
	try
	{
		SettingsCollector collector(input, events);
		jfr::Reader(input).read(collector);
	}
	catch (SettingsRead&)
	{
	}
	catch (jfr::JfrError&)
	{
		return; // not a JFR this can read: the chunks go out as they are
	}
	for (auto& [type, raw] : events)
	{
		std::size_t at = 0;
		std::uint64_t size = 0, id = 0, startTime = 0;
		if (!readVarint(raw, at, size) || size != raw.size() || !readVarint(raw, at, id) || id != type || !readVarint(raw, at, startTime))
			continue;
		_settings.push_back({type, raw.substr(at)});
		_type = type;
	}
}

bool ChunkSettings::presentIn(std::uint64_t offset, std::uint64_t size) const
{
	std::call_once(_loaded, [this] { load(); });
	if (_settings.empty()) return false;
	std::uint64_t at = JfrChunks::HEADER_SIZE;
	for (int i = 0; i < 8 && at < size; ++i)
	{
		std::string head(20, '\0');
		ssize_t n;
		do n = ::pread(_file->fd(), &head[0], head.size(), static_cast<off_t>(offset + at));
		while (n < 0 && errno == EINTR);
		if (n < 0) throw Poco::FileException("cannot read recording " + _file->path(), std::strerror(errno));
		head.resize(static_cast<std::size_t>(n));
		std::size_t pos = 0;
		std::uint64_t eventSize = 0, type = 0;
		if (!readVarint(head, pos, eventSize) || !readVarint(head, pos, type) || eventSize == 0) return false;
		if (type == _type) return true;
		at += eventSize;
	}
	return false;
}

std::string ChunkSettings::eventsAt(std::int64_t startTicks) const
{
	std::call_once(_loaded, [this] { load(); });
	std::string out;
	for (const auto& setting : _settings)
	{
		std::string payload;
		writeVarint(payload, setting.type);
		writeVarint(payload, static_cast<std::uint64_t>(startTicks));
		payload += setting.rest;
		// The size counts itself.
		std::size_t size = payload.size() + 1;
		while (varintSize(size) + payload.size() != size) size = varintSize(size) + payload.size();
		writeVarint(out, size);
		out += payload;
	}
	return out;
}

} // namespace agent
} // namespace asprof
