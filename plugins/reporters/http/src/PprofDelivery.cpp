#include "PprofDelivery.h"
#include "asprof/jfr/Input.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <cstring>
#include <ostream>
#include <streambuf>
#include <sys/mman.h>
#include <unistd.h>

namespace asprof {
namespace plugins {

namespace {

// Closes a descriptor unless released.
struct DescriptorGuard
{
	int fd;
	~DescriptorGuard()
	{
		if (fd >= 0) ::close(fd);
	}
};

// An ostream writing to a descriptor, for Recording::copyTo.
class DescriptorBuffer: public std::streambuf
{
public:
	explicit DescriptorBuffer(int fd): _fd(fd)
	{
	}

protected:
	std::streamsize xsputn(const char* data, std::streamsize size) override
	{
		std::streamsize written = 0;
		while (written < size)
		{
			const ssize_t count = ::write(_fd, data + written, static_cast<std::size_t>(size - written));
			if (count < 0 && errno == EINTR) continue;
			if (count <= 0) return written;
			written += count;
		}
		return written;
	}

	int_type overflow(int_type c) override
	{
		if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
		const char byte = traits_type::to_char_type(c);
		return xsputn(&byte, 1) == 1 ? c : traits_type::eof();
	}

private:
	int _fd;
};

// libasprof-jfr reads an Input with pread(): the recording (the SDK lends
// it as a stream) is streamed into a memory file, never onto the heap and
// never onto a disk that may be full.
jfr::Input memoryInput(const sdk::Profile& profile)
{
	const std::string name = "recording of profile " + std::to_string(profile.seq);
	DescriptorGuard file{::memfd_create("asprof-pprof", MFD_CLOEXEC)};
	if (file.fd < 0) throw Poco::FileException("memfd_create for the " + name + ": " + std::strerror(errno), errno);
	DescriptorBuffer buffer(file.fd);
	std::ostream out(&buffer);
	profile.recording->copyTo(out); // throws WriteFileException when out fails (ENOMEM, ENOSPC)
	const int fd = file.fd;
	file.fd = -1;                                // the Input owns it now, even when it throws
	return jfr::Input::fromDescriptor(fd, name); // measures the size: after the copy
}

} // namespace

PprofDelivery::PprofDelivery(bool gzip): _gzip(gzip)
{
}

std::vector<jfr::PprofProfile> PprofDelivery::convert(const sdk::Profile& profile, bool gzip, std::vector<std::string>* warnings)
{
	if (!profile.recording) throw Poco::NullPointerException("profile " + std::to_string(profile.seq) + " has no recording");
	const jfr::Input input = memoryInput(profile);
	return jfr::convertEachEvent(input, warnings, gzip);
}

sdk::ReportResult PprofDelivery::deliver(const sdk::Profile& profile, const Send& send)
{
	if (!holds(profile))
	{
		_holding = false;
		_parts.clear();
		for (auto& converted : convert(profile, _gzip, &_warnings)) _parts.push_back(Part{std::move(converted), false, {}});
		++_conversions;
		_holding = true;
		_seq = profile.seq;
		_pid = profile.pid;
		_start = profile.start.epochMicroseconds();
	}
	for (auto& part : _parts)
	{
		if (part.answered) continue;
		const sdk::ReportResult result = send(part.profile);
		if (result.status == sdk::ReportResult::Status::Retry) return result;
		part.answered = true;
		if (result.status == sdk::ReportResult::Status::Fail) part.failure = result.message;
	}
	const sdk::ReportResult result = outcome();
	_holding = false;
	_parts.clear();
	return result;
}

sdk::ReportResult PprofDelivery::outcome() const
{
	std::string failures;
	for (const auto& part : _parts)
	{
		if (!part.failure.empty()) failures += (failures.empty() ? "" : "; ") + part.failure;
	}
	return failures.empty() ? sdk::ReportResult::ok() : sdk::ReportResult::fail(failures);
}

bool PprofDelivery::holds(const sdk::Profile& profile) const
{
	return _holding && _seq == profile.seq && _pid == profile.pid && _start == profile.start.epochMicroseconds();
}

std::uint64_t PprofDelivery::conversions() const
{
	return _conversions;
}

std::vector<std::string> PprofDelivery::takeWarnings()
{
	std::vector<std::string> warnings;
	warnings.swap(_warnings);
	return warnings;
}

} // namespace plugins
} // namespace asprof
