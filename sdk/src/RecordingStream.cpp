#include "asprof/sdk/RecordingStream.h"
#include "Poco/BufferedStreamBuf.h"
#include "Poco/Exception.h"
#include <algorithm>
#include <cstring>
#include <string>

namespace asprof {
namespace sdk {
inline namespace ASPROF_SDK_ABI_NAMESPACE {

namespace {

const std::streamsize BUFFER_SIZE = 64 * 1024;

} // namespace

RecordingRanges::~RecordingRanges() = default;

class RecordingInputStream::Buffer: public Poco::BufferedStreamBuf
{
public:
	explicit Buffer(const Recording& recording):
		Poco::BufferedStreamBuf(BUFFER_SIZE, std::ios::in),
		_recording(recording),
		_ranges(dynamic_cast<const RecordingRanges*>(&recording)),
		_size(recording.size())
	{
	}

	std::uint64_t size() const
	{
		return _size;
	}

protected:
	int readFromDevice(char* buffer, std::streamsize length) override
	{
		if (_done >= _size) return 0;
		const std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(static_cast<std::uint64_t>(length), _size - _done));
		std::size_t got = 0;
		if (_ranges)
		{
			got = _ranges->readAt(_done, buffer, wanted);
		}
		else
		{
			if (!_whole) _whole.reset(new std::string(_recording.readAll()));
			if (_done < _whole->size())
			{
				got = std::min<std::size_t>(wanted, _whole->size() - static_cast<std::size_t>(_done));
				std::memcpy(buffer, _whole->data() + _done, got);
			}
		}
		if (got == 0)
			throw Poco::ReadFileException(
				"the recording ended after " + std::to_string(_done) + " of its " + std::to_string(_size) + " bytes");
		_done += got;
		return static_cast<int>(got);
	}

private:
	const Recording& _recording;
	const RecordingRanges* _ranges;
	std::uint64_t _size;
	std::uint64_t _done = 0;
	std::unique_ptr<std::string> _whole; // readAll()'s copy, for a recording without ranges
};

RecordingInputStream::RecordingInputStream(const Recording& recording): std::istream(nullptr), _buffer(new Buffer(recording))
{
	rdbuf(_buffer.get());
	exceptions(std::ios::badbit);
}

RecordingInputStream::~RecordingInputStream() = default;

std::uint64_t RecordingInputStream::size() const
{
	return _buffer->size();
}

} // namespace ASPROF_SDK_ABI_NAMESPACE
} // namespace sdk
} // namespace asprof
