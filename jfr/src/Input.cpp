#include "asprof/jfr/Input.h"
#include "asprof/jfr/JfrError.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/Zip/ZipArchive.h"
#include "Poco/Zip/ZipStream.h"
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <istream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace asprof {
namespace jfr {

namespace {

const char ZIP_MAGIC[4] = {'P', 'K', 3, 4};
const char* const RUST_AGENT_ENTRY = "async_profiler_dump_0.jfr";

std::string errnoText()
{
	return std::strerror(errno);
}

// An unnamed file that disappears with its descriptor.
int anonymousFile(const std::string& forInput)
{
	std::string dir = Poco::Environment::get("TMPDIR", "");
	if (dir.empty()) dir = "/tmp";
	int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) return fd;
	std::string pattern = dir + "/.asprof-jfr-XXXXXX";
	std::vector<char> name(pattern.begin(), pattern.end());
	name.push_back('\0');
	fd = ::mkostemp(name.data(), O_CLOEXEC);
	if (fd < 0) throw JfrError(forInput, 0, 0, "cannot create a temporary file in " + dir + ": " + errnoText());
	::unlink(name.data());
	return fd;
}

void writeAll(int fd, const char* data, std::size_t length, const std::string& forInput)
{
	while (length > 0)
	{
		ssize_t n = ::write(fd, data, length);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) throw JfrError(forInput, 0, 0, "cannot write a temporary copy: " + errnoText());
		data += n;
		length -= static_cast<std::size_t>(n);
	}
}

// limit: the most bytes to copy (a zip bomb must not fill the disk).
int copyStream(std::istream& in, const std::string& forInput, std::uint64_t limit)
{
	int fd = anonymousFile(forInput);
	try
	{
		std::vector<char> buffer(1 << 20);
		std::uint64_t copied = 0;
		while (in)
		{
			in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
			if (in.gcount() > 0) writeAll(fd, buffer.data(), static_cast<std::size_t>(in.gcount()), forInput);
			copied += static_cast<std::uint64_t>(in.gcount());
			if (copied > limit)
				throw JfrError(forInput, 0, 0,
					"inflates to more than " + std::to_string(limit) + " bytes (" + std::to_string(limit / 64) +
						"-odd times its compressed size): not read; unzip it first if it is a real recording");
		}
		if (in.bad()) throw JfrError(forInput, 0, 0, "cannot read it");
	}
	catch (...)
	{
		::close(fd);
		throw;
	}
	return fd;
}

bool startsLikeARecording(const char* bytes, std::size_t length)
{
	return length >= 4 && (std::memcmp(bytes, "FLR\0", 4) == 0 || std::memcmp(bytes, ZIP_MAGIC, 4) == 0);
}

// A pipe or stdin: its first bytes must be a recording's or a zip's before
// anything more is copied (/dev/zero, a log piped by mistake).
int copyDescriptor(int source, const std::string& forInput)
{
	int fd = anonymousFile(forInput);
	std::vector<char> buffer(1 << 20);
	// read(), EINTR retried; on an error the copy is closed and the error named.
	auto readSome = [&](char* into, std::size_t length) {
		for (;;)
		{
			ssize_t n = ::read(source, into, length);
			if (n >= 0) return static_cast<std::size_t>(n);
			if (errno == EINTR) continue;
			int error = errno;
			::close(fd);
			throw JfrError(forInput, 0, 0, std::string("cannot read it: ") + std::strerror(error));
		}
	};
	std::size_t head = 0;
	for (std::size_t n = 1; head < 4 && n > 0; head += n) n = readSome(buffer.data() + head, 4 - head);
	if (head > 0 && !startsLikeARecording(buffer.data(), head))
	{
		::close(fd);
		throw JfrError(forInput, 1, 0, "not a JFR file (no FLR magic) nor a zip");
	}
	writeAll(fd, buffer.data(), head, forInput);
	for (std::size_t n; (n = readSome(buffer.data(), buffer.size())) > 0;) writeAll(fd, buffer.data(), n, forInput);
	return fd;
}

// The JFR of a zip: the Rust agent's entry, else the only .jfr entry.
int inflateJfrEntry(int zipFd, const std::string& name, std::string& entryName)
{
	std::ifstream stream("/proc/self/fd/" + std::to_string(zipFd), std::ios::binary);
	if (!stream) throw JfrError(name, 0, 0, "cannot reopen the zip for reading");
	try
	{
		Poco::Zip::ZipArchive archive(stream);
		auto entry = archive.findHeader(RUST_AGENT_ENTRY);
		if (entry == archive.headerEnd())
		{
			int jfrEntries = 0;
			for (auto it = archive.headerBegin(); it != archive.headerEnd(); ++it)
			{
				const std::string& file = it->first;
				if (file.size() > 4 && file.compare(file.size() - 4, 4, ".jfr") == 0 && !it->second.isDirectory())
				{
					entry = it;
					++jfrEntries;
				}
			}
			if (jfrEntries != 1)
				throw JfrError(name, 0, 0,
					jfrEntries == 0 ? "a zip without a .jfr entry (expected async_profiler_dump_0.jfr)"
									: "a zip with several .jfr entries and no async_profiler_dump_0.jfr");
		}
		entryName = entry->first;
		stream.clear();
		Poco::Zip::ZipInputStream entryStream(stream, entry->second);
		// JFR deflates 5 to 20 times; far more is a zip bomb.
		std::uint64_t limit = static_cast<std::uint64_t>(entry->second.getCompressedSize()) * 64 + (std::uint64_t(64) << 20);
		return copyStream(entryStream, name + ":" + entryName, limit);
	}
	catch (JfrError&)
	{
		throw;
	}
	catch (Poco::Exception& e)
	{
		throw JfrError(name, 0, 0, "not a readable zip: " + e.displayText());
	}
	catch (std::exception& e)
	{
		throw JfrError(name, 0, 0, std::string("not a readable zip: ") + e.what());
	}
}

} // namespace

Input::Input(int fd, const std::string& name, bool owned): _fd(fd), _name(name), _owned(owned)
{
	if (!owned) return; // pieces of a file the caller keeps: they say the size
	struct stat st;
	if (::fstat(fd, &st) != 0)
	{
		int error = errno;
		::close(fd);
		_fd = -1;
		throw JfrError(name, 0, 0, std::string("cannot read it: ") + std::strerror(error));
	}
	if (S_ISDIR(st.st_mode))
	{
		::close(fd);
		_fd = -1;
		throw JfrError(name, 0, 0, "is a directory, not a recording");
	}
	_size = static_cast<std::uint64_t>(st.st_size);
}

Input Input::open(const std::string& path)
{
	int fd = -1;
	std::string name = path;
	if (path == "-")
	{
		name = "<stdin>";
		if (::isatty(STDIN_FILENO)) throw JfrError(name, 0, 0, "standard input is a terminal: pipe a recording into it, or name a file");
		fd = copyDescriptor(STDIN_FILENO, name);
	}
	else
	{
		// Non-blocking, so that opening a device cannot hang; but a FIFO
		// (`<(...)`, a named pipe) waits for its writer, as any reader does.
		struct stat named;
		bool fifo = ::stat(path.c_str(), &named) == 0 && S_ISFIFO(named.st_mode);
		fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (fifo ? 0 : O_NONBLOCK));
		if (fd < 0) throw JfrError(path, 0, 0, "cannot open it: " + errnoText());
		struct stat st;
		if (::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		{
			// A pipe or a device: take what it gives, once, blocking (the
			// open did not, so that a FIFO without a writer cannot hang it).
			int flags = ::fcntl(fd, F_GETFL);
			if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
			int copy = -1;
			try
			{
				copy = copyDescriptor(fd, path);
			}
			catch (...)
			{
				::close(fd);
				throw;
			}
			::close(fd);
			fd = copy;
		}
	}
	Input input(fd, name);
	char magic[4] = {};
	if (input.read(0, magic, sizeof(magic)) == sizeof(magic) && std::memcmp(magic, ZIP_MAGIC, sizeof(magic)) == 0)
	{
		std::string entryName;
		int jfrFd = inflateJfrEntry(input._fd, name, entryName);
		return Input(jfrFd, name + ":" + entryName);
	}
	return input;
}

Input Input::fromDescriptor(int fd, const std::string& name)
{
	return Input(fd, name);
}

Input Input::fromRange(int fd, std::uint64_t offset, std::uint64_t length, const std::string& name)
{
	Input input(fd, name);
	input._base = offset;
	input._size = offset < input._size ? std::min(length, input._size - offset) : 0;
	return input;
}

Input Input::fromPieces(int fd, std::vector<Piece> pieces, const std::string& name, bool ownsDescriptor)
{
	Input input(fd, name, ownsDescriptor);
	input._size = 0;
	for (auto& piece : pieces)
	{
		if (!piece.bytes.empty()) piece.length = piece.bytes.size();
		if (piece.length == 0) continue;
		input._starts.push_back(input._size);
		input._size += piece.length;
		input._pieces.push_back(std::move(piece));
	}
	return input;
}

Input::Input(Input&& other) noexcept:
	_fd(other._fd),
	_name(std::move(other._name)),
	_size(other._size),
	_base(other._base),
	_owned(other._owned),
	_pieces(std::move(other._pieces)),
	_starts(std::move(other._starts))
{
	other._fd = -1;
}

Input& Input::operator=(Input&& other) noexcept
{
	if (this != &other)
	{
		if (_fd >= 0 && _owned) ::close(_fd);
		_fd = other._fd;
		_name = std::move(other._name);
		_size = other._size;
		_base = other._base;
		_owned = other._owned;
		_pieces = std::move(other._pieces);
		_starts = std::move(other._starts);
		other._fd = -1;
	}
	return *this;
}

Input::~Input()
{
	if (_fd >= 0 && _owned) ::close(_fd);
}

const std::string& Input::name() const
{
	return _name;
}

std::uint64_t Input::size() const
{
	return _size;
}

namespace {

// Up to length bytes of fd at offset; fewer only at its end.
std::size_t preadFully(int fd, const std::string& name, std::uint64_t offset, char* out, std::size_t length, std::uint64_t at)
{
	std::size_t done = 0;
	while (done < length)
	{
		ssize_t n = ::pread(fd, out + done, length - done, static_cast<off_t>(offset + done));
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) throw JfrError(name, 0, 0, "cannot read at byte " + std::to_string(at + done) + ": " + errnoText());
		if (n == 0) break;
		done += static_cast<std::size_t>(n);
	}
	return done;
}

} // namespace

std::size_t Input::read(std::uint64_t offset, void* buffer, std::size_t length) const
{
	auto* out = static_cast<char*>(buffer);
	if (offset >= _size) return 0;
	length = static_cast<std::size_t>(std::min<std::uint64_t>(length, _size - offset));
	if (_pieces.empty()) return preadFully(_fd, _name, _base + offset, out, length, offset);
	std::size_t done = 0;
	auto index = static_cast<std::size_t>(std::upper_bound(_starts.begin(), _starts.end(), offset) - _starts.begin()) - 1;
	for (; done < length && index < _pieces.size(); ++index)
	{
		const Piece& piece = _pieces[index];
		std::uint64_t within = offset + done - _starts[index];
		auto take = static_cast<std::size_t>(std::min<std::uint64_t>(length - done, piece.length - within));
		if (!piece.bytes.empty())
			std::memcpy(out + done, piece.bytes.data() + within, take);
		else if (preadFully(_fd, _name, piece.fileOffset + within, out + done, take, offset + done) < take)
			return done; // the file ends early: so does the JFR
		done += take;
	}
	return done;
}

} // namespace jfr
} // namespace asprof
