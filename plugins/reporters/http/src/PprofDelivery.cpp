#include "PprofDelivery.h"
#include "asprof/jfr/Input.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <cstring>
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

// libasprof-jfr reads an Input with pread(): the recording goes into a memory
// file (never the disk: it may be full, the recording is in memory anyway).
jfr::Input memoryInput(const sdk::Profile& profile)
{
	const std::string name = "recording of profile " + std::to_string(profile.seq);
	DescriptorGuard file{::memfd_create("asprof-pprof", MFD_CLOEXEC)};
	if (file.fd < 0) throw Poco::FileException("memfd_create for the " + name + ": " + std::strerror(errno), errno);
	const std::string data = profile.recording->readAll();
	std::size_t written = 0;
	while (written < data.size())
	{
		const ssize_t count = ::write(file.fd, data.data() + written, data.size() - written);
		if (count < 0 && errno == EINTR) continue;
		if (count <= 0) throw Poco::FileException("copying the " + name + " into memory: " + std::strerror(errno), errno);
		written += static_cast<std::size_t>(count);
	}
	const int fd = file.fd;
	file.fd = -1;                                // the Input owns it now, even when it throws
	return jfr::Input::fromDescriptor(fd, name); // measures the size: after the copy
}

} // namespace

PprofDelivery::PprofDelivery(bool gzip):
	_gzip(gzip)
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

}
} // namespace asprof::plugins
