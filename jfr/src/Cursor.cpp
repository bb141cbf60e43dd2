#include "Cursor.h"
#include <algorithm>

namespace asprof {
namespace jfr {

namespace {

const std::size_t BUFFER_SIZE = 1 << 20;

} // namespace

Cursor::Cursor(const Input& input, int chunk, bool compressed):
	_input(input),
	_chunk(chunk),
	_compressed(compressed),
	_buffer(BUFFER_SIZE),
	_inputSize(input.size())
{
}

void Cursor::seek(std::uint64_t position, std::uint64_t limit)
{
	_limit = std::min(limit, _inputSize);
	if (position >= _bufferStart && position <= _bufferStart + _filled)
	{
		_next = static_cast<std::size_t>(position - _bufferStart);
		return;
	}
	_bufferStart = position;
	_next = 0;
	_filled = 0;
}

void Cursor::setLimit(std::uint64_t limit)
{
	_limit = std::min(limit, _inputSize);
}

void Cursor::fail(const std::string& problem) const
{
	throw JfrError(_input.name(), _chunk, position(), problem);
}

void Cursor::failAt(std::uint64_t offset, const std::string& problem) const
{
	throw JfrError(_input.name(), _chunk, offset, problem);
}

// Makes at least needed bytes available at _next, or fails at the limit.
void Cursor::refill(std::size_t needed)
{
	std::uint64_t at = position();
	if (at + needed > _limit || at + needed < at)
		fail(at >= _input.size() ? "unexpected end of the file" : "a value runs past the end of its event or chunk");
	if (_next + needed <= _filled) return;
	std::size_t kept = _filled - _next;
	std::memmove(_buffer.data(), _buffer.data() + _next, kept);
	_bufferStart = at;
	_next = 0;
	_filled = kept;
	if (_buffer.size() < needed) _buffer.resize(needed); // only for needed <= remaining()
	std::uint64_t wanted = std::min<std::uint64_t>(_buffer.size() - _filled, _input.size() - (_bufferStart + _filled));
	_filled += _input.read(_bufferStart + _filled, _buffer.data() + _filled, static_cast<std::size_t>(wanted));
	if (_filled < needed) fail("unexpected end of the file");
}

std::uint64_t Cursor::readVarlongSlow()
{
	std::uint64_t result = 0;
	for (int i = 0; i < 8; ++i)
	{
		std::uint8_t byte = readByte();
		result |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
		if (byte < 0x80) return result;
	}
	return result | static_cast<std::uint64_t>(readByte()) << 56;
}

std::uint64_t Cursor::readFixed(int bytes)
{
	if (_next + static_cast<std::size_t>(bytes) > _filled)
		refill(static_cast<std::size_t>(bytes));
	else if (position() + static_cast<std::uint64_t>(bytes) > _limit)
		refill(static_cast<std::size_t>(bytes));
	std::uint64_t result = 0;
	for (int i = 0; i < bytes; ++i) result = result << 8 | static_cast<std::uint8_t>(_buffer[_next + static_cast<std::size_t>(i)]);
	_next += static_cast<std::size_t>(bytes);
	return result;
}

float Cursor::readFloat()
{
	auto bits = static_cast<std::uint32_t>(readFixed(4));
	float value;
	std::memcpy(&value, &bits, sizeof(value));
	return value;
}

double Cursor::readDouble()
{
	std::uint64_t bits = readFixed(8);
	double value;
	std::memcpy(&value, &bits, sizeof(value));
	return value;
}

void Cursor::readBytes(std::string& out, std::uint64_t length)
{
	if (length > remaining()) fail("a string of " + std::to_string(length) + " bytes runs past the end of its event or chunk");
	out.resize(static_cast<std::size_t>(length));
	std::size_t done = 0;
	while (done < length)
	{
		if (_next >= _filled) refill(1);
		std::size_t take = std::min<std::size_t>(_filled - _next, static_cast<std::size_t>(length) - done);
		std::memcpy(&out[done], _buffer.data() + _next, take);
		_next += take;
		done += take;
	}
}

void Cursor::skip(std::uint64_t length)
{
	if (length > remaining()) fail("skipping " + std::to_string(length) + " bytes runs past the end of its event or chunk");
	std::uint64_t target = position() + length;
	if (target <= _bufferStart + _filled)
		_next = static_cast<std::size_t>(target - _bufferStart);
	else
		seek(target, _limit);
}

std::uint64_t Cursor::readCount(const char* what, std::uint64_t minBytesEach)
{
	std::uint64_t at = position();
	std::uint64_t count = readVarlong();
	if (minBytesEach > 0 && count > remaining() / minBytesEach)
		failAt(at,
			std::string("a count of ") + std::to_string(count) + " " + what + " cannot fit in the " + std::to_string(remaining()) +
				" bytes left");
	return count;
}

} // namespace jfr
} // namespace asprof
