//
// Cursor.h
//
// Bounded, buffered reading of JFR primitives from an Input (internal).
//

#ifndef Asprof_Jfr_Cursor_INCLUDED
#define Asprof_Jfr_Cursor_INCLUDED

#include "asprof/jfr/Input.h"
#include "asprof/jfr/JfrError.h"
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace asprof {
namespace jfr {

/// Reads from [position, limit) of an Input through a buffer. Every read
/// checks the limit first: bad input can only make it throw JfrError
/// (naming the input, the chunk and the offset), never read past the
/// limit or allocate more than the bytes that remain before it.
/// compressed selects JFR's compressed integers (LEB128) or big-endian
/// fixed-size ones, as the chunk header's features say.
class Cursor
{
public:
	Cursor(const Input& input, int chunk, bool compressed);

	/// Moves to position; reads may go up to limit (exclusive).
	void seek(std::uint64_t position, std::uint64_t limit);

	std::uint64_t position() const
	{
		return _bufferStart + _next;
	}

	std::uint64_t limit() const
	{
		return _limit;
	}

	std::uint64_t remaining() const
	{
		return _limit - position();
	}

	/// A narrower (or wider, up to the chunk) limit at the same position.
	void setLimit(std::uint64_t limit);

	/// Throws JfrError at the current position.
	[[noreturn]] void fail(const std::string& problem) const;

	[[noreturn]] void failAt(std::uint64_t offset, const std::string& problem) const;

	std::uint8_t readByte()
	{
		if (_next >= _filled || position() >= _limit) refill(1);
		return static_cast<std::uint8_t>(_buffer[_next++]);
	}

	/// A compressed long (up to 9 bytes, the ninth taking 8 bits), or a
	/// big-endian 8-byte long when integers are not compressed.
	std::uint64_t readVarlong()
	{
		if (!_compressed) return readFixed(8);
		// Fast path: decode what is buffered below the limit; only a varint
		// cut by the buffer's end (or an error) takes the slow path.
		std::uint64_t available = std::min<std::uint64_t>(_filled - _next, _limit - position());
		const auto* bytes = reinterpret_cast<const std::uint8_t*>(_buffer.data() + _next);
		std::uint64_t result = 0;
		int count = static_cast<int>(std::min<std::uint64_t>(available, 8));
		for (int i = 0; i < count; ++i)
		{
			result |= static_cast<std::uint64_t>(bytes[i] & 0x7f) << (7 * i);
			if (bytes[i] < 0x80)
			{
				_next += static_cast<std::size_t>(i + 1);
				return result;
			}
		}
		if (available >= 9)
		{
			_next += 9;
			return result | static_cast<std::uint64_t>(bytes[8]) << 56;
		}
		return readVarlongSlow();
	}

	/// An int, short or char: compressed, or big-endian of fixedBytes.
	std::uint64_t readInt(int fixedBytes)
	{
		return _compressed ? readVarlong() : readFixed(fixedBytes);
	}

	/// A big-endian unsigned integer of 1 to 8 bytes.
	std::uint64_t readFixed(int bytes);

	float readFloat();
	double readDouble();

	/// Exactly length bytes (checked against the limit before allocating).
	void readBytes(std::string& out, std::uint64_t length);

	void skip(std::uint64_t length);

	/// A count that must fit in the bytes that remain (each element
	/// taking at least minBytesEach): an absurd count is an error naming
	/// what, never a huge allocation.
	std::uint64_t readCount(const char* what, std::uint64_t minBytesEach = 1);

private:
	void refill(std::size_t needed);
	std::uint64_t readVarlongSlow();

	const Input& _input;
	int _chunk;
	bool _compressed;
	std::vector<char> _buffer;
	std::uint64_t _bufferStart = 0; ///< input offset of _buffer[0]
	std::size_t _next = 0;          ///< next unread byte in _buffer
	std::size_t _filled = 0;        ///< valid bytes in _buffer
	std::uint64_t _limit = 0;
	std::uint64_t _inputSize = 0;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Cursor_INCLUDED
