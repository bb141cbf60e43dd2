#include "EventSlices.h"
#include "Cursor.h"
#include "asprof/jfr/JfrError.h"
#include <algorithm>
#include <exception>
#include <pthread.h>
#include <system_error>
#include <thread>

namespace asprof {
namespace jfr {

namespace {

// How far past its share a slice looks for its first event.
const std::uint64_t SEARCH_BYTES = 1 << 20;

// Whether RUN events (or all up to the chunk's end) read plausibly from
// position: sizes that fit, event types the metadata declares (or
// metadata, checkpoints), and an event of integers exactly its size.
bool plausibleRun(Cursor& cursor, const Metadata& metadata, std::uint64_t position, std::uint64_t chunkEnd)
{
	for (int i = 0; i < EventSlices::RUN && position < chunkEnd; ++i)
	{
		cursor.seek(position, chunkEnd);
		std::uint64_t size = cursor.readVarlong();
		std::uint64_t type = cursor.readVarlong();
		if (size < 2 || size > chunkEnd - position || cursor.position() > position + size) return false;
		const Type* eventType = type > 1 ? metadata.byId(type) : nullptr; // 0 and 1: metadata and checkpoints
		if (type > 1 && (!eventType || !eventType->isEvent())) return false;
		if (eventType && eventType->integersOnly)
		{
			cursor.setLimit(position + size);
			for (const Field& field : eventType->fields)
			{
				if (field.encoding == Field::Encoding::Boolean || field.encoding == Field::Encoding::Byte)
					cursor.readByte();
				else
					cursor.readVarlong();
			}
			if (cursor.position() != position + size) return false;
		}
		position += size;
	}
	return position <= chunkEnd;
}

// The first offset from start at which events read plausibly, else chunkEnd.
std::uint64_t findEvent(Cursor& cursor, const Metadata& metadata, std::uint64_t start, std::uint64_t chunkEnd)
{
	std::uint64_t last = std::min(chunkEnd, start + SEARCH_BYTES);
	for (std::uint64_t position = start; position < last; ++position)
	{
		try
		{
			if (plausibleRun(cursor, metadata, position, chunkEnd)) return position;
		}
		catch (const JfrError&)
		{
			// A varint cut by the chunk's end: not an event here.
		}
	}
	return chunkEnd;
}

// Reads on from where slice previous ended (ended) until a boundary in
// early (the next slice's first ones); true with ended there.
bool patch(const EventSlices::ReadSlice& readSlice, unsigned previous, std::uint64_t& ended, const std::vector<std::uint64_t>& early)
{
	const int MAX_READS = 64;
	EventSlices::Slice met;
	met.patch = true;
	try
	{
		for (int read = 0; read < MAX_READS; ++read)
		{
			auto next = std::lower_bound(early.begin(), early.end(), ended);
			if (next == early.end()) return false;
			if (*next == ended) return true;
			ended = readSlice(previous, ended, *next, met);
		}
	}
	catch (...)
	{
		// Read as usual, errors included.
	}
	return false;
}

} // namespace

EventSlices::Block::Block(const Input& input, const ChunkHeader& header): _input(input), _header(header), _bytes(BLOCK)
{
}

const std::uint8_t* EventSlices::Block::refill(std::uint64_t position, std::uint64_t length)
{
	if (length > BLOCK) throw JfrError(_input.name(), _header.index, position, "an event too large to read in slices");
	_start = position;
	_filled = _input.read(
		position, _bytes.data(), static_cast<std::size_t>(std::min<std::uint64_t>(BLOCK, _header.offset + _header.size - position)));
	if (length > _filled) throw JfrError(_input.name(), _header.index, position, "the input ends inside the chunk");
	return _bytes.data();
}

void EventSlices::Block::fail(std::uint64_t position) const
{
	throw JfrError(_input.name(), _header.index, position, "an event the reader would not read");
}

bool EventSlices::read(
	const Input& input, const Chunk& chunk, unsigned slices, const ReadSlice& readSlice, std::vector<std::uint64_t>& validFrom)
{
	const ChunkHeader& header = chunk.header();
	if ((header.features & 1) == 0 || slices < 2) return false;
	std::uint64_t begin = header.offset + ChunkHeader::SIZE;
	std::uint64_t end = header.offset + header.size;
	std::vector<std::uint64_t> shares(slices + 1);
	for (unsigned i = 0; i <= slices; ++i) shares[i] = begin + (end - begin) / slices * i;
	shares[slices] = end;
	std::vector<std::uint64_t> starts(slices, begin);
	std::vector<std::uint64_t> ends(slices, 0);
	std::vector<char> failed(slices, 0);
	std::vector<Slice> met(slices);
	auto work = [&](unsigned slice) {
		try
		{
			if (slice > 0)
			{
				Cursor cursor(input, header.index, true);
				starts[slice] = findEvent(cursor, chunk.metadata(), shares[slice], end);
			}
			ends[slice] = readSlice(slice, starts[slice], std::max(starts[slice], shares[slice + 1]), met[slice]);
		}
		catch (...)
		{
			failed[slice] = 1;
		}
	};
	std::vector<std::thread> threads;
	for (unsigned slice = 1; slice < slices; ++slice)
	{
		try
		{
			threads.emplace_back([&work, slice]() {
				::pthread_setname_np(::pthread_self(), "asprof-jfr-read");
				work(slice);
			});
		}
		catch (const std::system_error&)
		{
			failed[slice] = 1; // no thread to spare: read as usual
		}
	}
	work(0);
	for (auto& thread : threads) thread.join();
	// Each slice must take up exactly where the one before ended (a slice
	// that found no start before its share's end read nothing: passed over).
	validFrom.assign(slices, begin);
	std::uint64_t ended = begin;
	unsigned previous = 0;
	for (unsigned slice = 0; slice < slices; ++slice)
	{
		if (failed[slice]) return false;
		const std::vector<std::uint64_t>& early = met[slice].early;
		if (slice > 0 && early.empty()) continue;
		if (slice > 0 && ended != starts[slice] && !patch(readSlice, previous, ended, early)) return false;
		validFrom[slice] = ended;
		ended = ends[slice];
		previous = slice;
	}
	return ended == end;
}

} // namespace jfr
} // namespace asprof
