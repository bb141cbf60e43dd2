//
// DescriptorStream.cpp
//

#include "asprof/plugins/DescriptorStream.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <cstring>
#include <streambuf>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace asprof {
namespace plugins {

namespace {

const std::size_t BUFFER_SIZE = 64 * 1024;

} // namespace

class DescriptorOutputStream::Buffer: public std::streambuf
{
public:
	explicit Buffer(int fd): _fd(fd), _buffer(BUFFER_SIZE)
	{
		setp(_buffer.data(), _buffer.data() + _buffer.size());
	}

	int error() const
	{
		return _error;
	}

	const char* failure() const
	{
		return _failure;
	}

protected:
	int_type overflow(int_type c) override
	{
		if (!drain()) return traits_type::eof();
		if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
		*pptr() = traits_type::to_char_type(c);
		pbump(1);
		return c;
	}

	// A write as large as the buffer goes to the descriptor as it is, not through the buffer.
	std::streamsize xsputn(const char* data, std::streamsize size) override
	{
		if (static_cast<std::size_t>(size) < _buffer.size()) return std::streambuf::xsputn(data, size);
		if (!drain()) return 0;
		return writeOut(data, static_cast<std::size_t>(size)) ? size : 0;
	}

	int sync() override
	{
		return drain() ? 0 : -1;
	}

	pos_type seekoff(off_type offset, std::ios::seekdir direction, std::ios::openmode which) override
	{
		if (!(which & std::ios::out) || !drain()) return pos_type(off_type(-1));
		const int whence = direction == std::ios::beg ? SEEK_SET : direction == std::ios::cur ? SEEK_CUR : SEEK_END;
		const off_t position = ::lseek(_fd, static_cast<off_t>(offset), whence);
		if (position < 0) return fail(errno, "seek failed");
		return pos_type(off_type(position));
	}

	pos_type seekpos(pos_type position, std::ios::openmode which) override
	{
		return seekoff(off_type(position), std::ios::beg, which);
	}

private:
	// Writes what is buffered; false once anything failed (nothing is written after that).
	bool drain()
	{
		if (_error != 0) return false;
		if (!writeOut(pbase(), static_cast<std::size_t>(pptr() - pbase()))) return false;
		setp(_buffer.data(), _buffer.data() + _buffer.size());
		return true;
	}

	bool writeOut(const char* data, std::size_t left)
	{
		if (_error != 0) return false;
		while (left > 0)
		{
			const ssize_t n = ::write(_fd, data, left);
			if (n < 0 && errno == EINTR) continue;
			if (n <= 0)
			{
				fail(n < 0 ? errno : EIO, "write failed");
				return false;
			}
			data += n;
			left -= static_cast<std::size_t>(n);
		}
		return true;
	}

	pos_type fail(int error, const char* failure)
	{
		if (_error == 0)
		{
			_error = error;
			_failure = failure;
		}
		setp(_buffer.data(), _buffer.data() + _buffer.size());
		return pos_type(off_type(-1));
	}

	int _fd;
	std::vector<char> _buffer;
	int _error = 0;
	const char* _failure = "";
};

DescriptorOutputStream::DescriptorOutputStream(int fd, const std::string& name): std::ostream(nullptr), _buffer(new Buffer(fd)), _name(name)
{
	rdbuf(_buffer.get());
}

DescriptorOutputStream::~DescriptorOutputStream() = default;

void DescriptorOutputStream::close()
{
	flush();
	if (_buffer->error() != 0)
		throw Poco::FileException(_name + ": " + _buffer->failure(), std::strerror(_buffer->error()), _buffer->error());
	if (!good()) throw Poco::WriteFileException(_name + ": the stream failed");
}

MemoryFile::MemoryFile(const std::string& name): _fd(::memfd_create("asprof-body", MFD_CLOEXEC)), _name(name)
{
	if (_fd < 0) throw Poco::FileException("memfd_create for the " + name, std::strerror(errno), errno);
	_out.reset(new DescriptorOutputStream(_fd, name));
}

MemoryFile::~MemoryFile()
{
	_out.reset();
	::close(_fd);
}

DescriptorOutputStream& MemoryFile::out()
{
	return *_out;
}

std::uint64_t MemoryFile::finish()
{
	_out->close();
	const off_t end = ::lseek(_fd, 0, SEEK_END);
	if (end < 0) throw Poco::FileException(_name + ": seek failed", std::strerror(errno), errno);
	_size = static_cast<std::uint64_t>(end);
	return _size;
}

std::uint64_t MemoryFile::size() const
{
	return _size;
}

void MemoryFile::copyTo(std::ostream& out) const
{
	std::vector<char> buffer(BUFFER_SIZE);
	std::uint64_t done = 0;
	while (done < _size)
	{
		const std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), _size - done));
		const ssize_t n = ::pread(_fd, buffer.data(), wanted, static_cast<off_t>(done));
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) throw Poco::FileException(_name + ": read failed", std::strerror(errno), errno);
		if (n == 0)
			throw Poco::ReadFileException(_name + ": ended after " + std::to_string(done) + " of " + std::to_string(_size) + " bytes");
		out.write(buffer.data(), n);
		if (!out) throw Poco::WriteFileException("cannot send " + _name);
		done += static_cast<std::uint64_t>(n);
	}
}

const std::string& MemoryFile::name() const
{
	return _name;
}

} // namespace plugins
} // namespace asprof
