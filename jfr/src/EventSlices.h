//
// EventSlices.h
//
// One chunk's events read by several threads at once, each a slice of its
// bytes (internal: what collectStacks uses to read a large chunk).
//

#ifndef Asprof_Jfr_EventSlices_INCLUDED
#define Asprof_Jfr_EventSlices_INCLUDED

#include "asprof/jfr/Chunk.h"
#include "asprof/jfr/Input.h"
#include "asprof/jfr/Metadata.h"
#include "asprof/jfr/JfrError.h"
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace asprof {
namespace jfr {

/// Events carry no marks to find them by, only their sizes: a slice
/// after the first starts at the first offset past its share of the
/// chunk from which a run of events reads plausibly, to the chunk's end
/// or for RUN events. That is only a guess, checked afterwards: the
/// slice before it reads on to the first event boundary past its share,
/// and then (a patch, read after the threads are done) on until it meets
/// one of the boundaries the slice met in its first EARLY_BYTES (a wrong
/// guess falls into step with the true events within a few of them):
/// what the slice read before that boundary does not count. Otherwise,
/// on an error or
/// an uncompressed chunk read() returns false: nothing of the slices
/// counts, the caller reads the chunk as usual (and meets its errors
/// there, with the usual messages).
class EventSlices
{
public:
	static constexpr int RUN = 64;
	static constexpr std::uint64_t EARLY_BYTES = 64 << 10;

	/// What a slice met: the boundaries of its events in its first
	/// EARLY_BYTES, ascending.
	struct Slice
	{
		std::vector<std::uint64_t> early;
		bool patch = false; ///< read() reading on where this slice ended, up to the next one's events
	};

	/// Reads the slice's events from begin until the first event
	/// boundary at or after stop (readEvents) and returns that boundary.
	/// Runs on its own thread; throws to give up.
	using ReadSlice = std::function<std::uint64_t(unsigned slice, std::uint64_t begin, std::uint64_t stop, Slice& met)>;

	/// Splits the chunk's events into this many slices, reads them at
	/// once; true when together they read exactly the chunk's events,
	/// each slice's from validFrom[slice] on.
	static bool read(
		const Input& input, const Chunk& chunk, unsigned slices, const ReadSlice& readSlice, std::vector<std::uint64_t>& validFrom);

	/// Reads events from begin until the first boundary at or after
	/// stop: those whose type id has a Type in wanted (each field one
	/// compressed integer or a byte: Type::integersOnly) go to
	/// sink(type, values, position) with their field values; the rest are passed
	/// over. fieldsRead[type id], when there, says how many leading fields
	/// the sink looks at: the others are not decoded (their values are
	/// left as they were), the event's size leads past them; and of those,
	/// fieldsSkipped[type id] (bit f: field f) the ones it does not look
	/// at either, passed over without being decoded. Straight from blocks of the input, no Cursor: throws
	/// JfrError where the Reader would fail (and for an event over
	/// BLOCK bytes).
	template <class Sink>
	static std::uint64_t readEvents(const Input& input, const ChunkHeader& header, std::uint64_t begin, std::uint64_t stop,
		const std::vector<const Type*>& wanted, const std::vector<std::size_t>& fieldsRead, const std::vector<std::uint64_t>& fieldsSkipped,
		Slice& met, Sink&& sink);

private:
	static constexpr std::size_t BLOCK = 256 << 10;

	/// The input's bytes in blocks, read on as a slice goes.
	class Block
	{
	public:
		Block(const Input& input, const ChunkHeader& header);

		/// The bytes [position, position + length), from the buffer if there.
		const std::uint8_t* at(std::uint64_t position, std::uint64_t length)
		{
			if (position >= _start && position + length <= _start + _filled) return _bytes.data() + (position - _start);
			return refill(position, length);
		}

		/// Where the bytes at() gave end (an offset in the input).
		std::uint64_t end() const
		{
			return _start + _filled;
		}

		[[noreturn]] void fail(std::uint64_t position) const;

	private:
		const std::uint8_t* refill(std::uint64_t position, std::uint64_t length);

		const Input& _input;
		const ChunkHeader& _header;
		std::vector<std::uint8_t> _bytes;
		std::uint64_t _start = 0;
		std::uint64_t _filled = 0;
	};

	/// Past one compressed integer without decoding it: its length is where
	/// the first byte without the continuation bit is (with nine bytes at
	/// hand, found in one 8-byte word). False when it runs past end.
	static bool skipVarlong(const std::uint8_t*& next, const std::uint8_t* end)
	{
		if (end - next >= 9)
		{
			std::uint64_t word;
			std::memcpy(&word, next, sizeof(word)); // little-endian: byte i is bits 8i..8i+7
			std::uint64_t last = ~word & 0x8080808080808080ull;
			next += last ? (__builtin_ctzll(last) >> 3) + 1 : 9;
			return true;
		}
		std::uint64_t ignored;
		return varlong(next, end, ignored);
	}

	/// As Cursor::readVarlong: up to 9 bytes, the ninth taking 8 bits;
	/// false when it runs past end.
	static bool varlong(const std::uint8_t*& next, const std::uint8_t* end, std::uint64_t& value)
	{
		std::uint64_t result = 0;
		if (next < end && *next < 0x80)
		{
			// Sizes and type ids: one byte, the path that decides how fast
			// events are passed over.
			value = *next++;
			return true;
		}
		if (end - next >= 9)
		{
			// All nine bytes there: no bound to check on the way.
			for (int i = 0; i < 8; ++i)
			{
				std::uint8_t byte = next[i];
				result |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
				if (byte < 0x80)
				{
					next += i + 1;
					value = result;
					return true;
				}
			}
			value = result | static_cast<std::uint64_t>(next[8]) << 56;
			next += 9;
			return true;
		}
		for (int i = 0; i < 8; ++i)
		{
			if (next >= end) return false;
			std::uint8_t byte = *next++;
			result |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
			if (byte < 0x80)
			{
				value = result;
				return true;
			}
		}
		if (next >= end) return false;
		value = result | static_cast<std::uint64_t>(*next++) << 56;
		return true;
	}
};

template <class Sink>
std::uint64_t EventSlices::readEvents(const Input& input, const ChunkHeader& header, std::uint64_t begin, std::uint64_t stop,
	const std::vector<const Type*>& wanted, const std::vector<std::size_t>& fieldsRead, const std::vector<std::uint64_t>& fieldsSkipped,
	Slice& met, Sink&& sink)
{
	const std::uint64_t chunkEnd = header.offset + header.size;
	const std::uint64_t earlyEnd = begin + EARLY_BYTES;
	std::size_t mostFields = 0;
	for (const Type* type : wanted) mostFields = std::max<std::size_t>(mostFields, type ? type->fields.size() : 0);
	std::vector<std::uint64_t> values(mostFields);
	Block block(input, header);
	std::uint64_t position = begin;
	std::uint64_t needed = 0; // what the last event needs at hand: its header, or all of it
	while (position < stop)
	{
		// The bytes at hand, [position, block.end()): the events in them
		// are read with no other bound to check.
		const std::uint8_t* at = block.at(position, std::max(needed, std::min<std::uint64_t>(18, chunkEnd - position)));
		const std::uint64_t atStart = position;
		const std::uint64_t atLimit = block.end();
		const std::uint8_t* atEnd = at + (atLimit - position);
		const bool atChunkEnd = atLimit == chunkEnd;
		needed = 0;
		do
		{
			if (position < earlyEnd) met.early.push_back(position);
			const std::uint8_t* start = at + (position - atStart);
			const std::uint8_t* next = start;
			std::uint64_t size = 0;
			std::uint64_t type = 0;
			if (!varlong(next, atEnd, size) || !varlong(next, atEnd, type))
			{
				if (atChunkEnd) block.fail(position);
				break; // cut by the end of the bytes at hand
			}
			if (size == 0 || size > chunkEnd - position || static_cast<std::uint64_t>(next - start) > size) block.fail(position);
			const Type* eventType = type < wanted.size() ? wanted[type] : nullptr;
			if (eventType)
			{
				if (size > static_cast<std::uint64_t>(atEnd - start))
				{
					needed = size;
					break;
				}
				const std::uint8_t* end = start + size;
				std::size_t count = eventType->fields.size();
				if (type < fieldsRead.size()) count = std::min(count, fieldsRead[type]);
				std::uint64_t skipped = type < fieldsSkipped.size() ? fieldsSkipped[type] : 0;
				for (std::size_t f = 0; f < count; ++f)
				{
					Field::Encoding encoding = eventType->fields[f].encoding;
					bool read;
					if (encoding == Field::Encoding::Boolean || encoding == Field::Encoding::Byte)
						read = next < end && (values[f] = *next++, true);
					else if (f < 64 && (skipped >> f & 1) != 0)
						read = skipVarlong(next, end);
					else
						read = varlong(next, end, values[f]);
					if (!read) block.fail(position);
				}
				sink(*eventType, values.data(), position);
			}
			position += size;
		} while (position < stop && position < atLimit);
	}
	return position;
}

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_EventSlices_INCLUDED
