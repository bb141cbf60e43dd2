#include "BenchSupport.h"
#include <fstream>
#include <string>
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/NumberFormatter.h"
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <sys/vfs.h>

namespace asprof {
namespace bench {

void Samples::add(double value)
{
	_values.push_back(value);
}

void Samples::reserve(std::size_t count)
{
	_values.reserve(count);
}

double Samples::quantile(double q) const
{
	if (_values.empty()) return 0;
	std::vector<double> sorted(_values);
	std::sort(sorted.begin(), sorted.end());
	std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
	return sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1];
}

double Samples::median() const
{
	return quantile(0.5);
}

std::size_t Samples::size() const
{
	return _values.size();
}

ScratchDirectory::ScratchDirectory(const std::string& prefix)
{
	std::string pattern = Poco::Environment::get("TMPDIR", "/tmp") + "/" + prefix + "-XXXXXX";
	std::vector<char> buffer(pattern.begin(), pattern.end());
	buffer.push_back('\0');
	if (!::mkdtemp(buffer.data())) throw Poco::CreateFileException("cannot create a directory like " + pattern);
	_path = buffer.data();
}

ScratchDirectory::~ScratchDirectory()
{
	try
	{
		Poco::File(_path).remove(true);
	}
	catch (Poco::Exception&)
	{
		// Leave it behind rather than fail the benchmark's exit.
	}
}

const std::string& ScratchDirectory::path() const
{
	return _path;
}

double processCpuMicros()
{
	timespec now{};
	::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
	return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

rusage resourceUsage()
{
	rusage usage{};
	::getrusage(RUSAGE_SELF, &usage);
	return usage;
}

double kernelShareSince(const rusage& before)
{
	rusage after = resourceUsage();
	auto seconds = [](const timeval& time) { return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6; };
	double user = seconds(after.ru_utime) - seconds(before.ru_utime);
	double system = seconds(after.ru_stime) - seconds(before.ru_stime);
	return user + system > 0 ? system / (user + system) : 0;
}

std::string fileSystemType(const std::string& path)
{
	struct statfs info
	{
	};
	if (::statfs(path.c_str(), &info) != 0) return "unknown file system";
	switch (static_cast<unsigned long>(info.f_type))
	{
	case 0xEF53: return "ext4";
	case 0x01021994: return "tmpfs";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x794C7630: return "overlayfs";
	default: return "file system type 0x" + Poco::NumberFormatter::formatHex(static_cast<unsigned long>(info.f_type));
	}
}

long residentKiB()
{
	std::ifstream status("/proc/self/status");
	std::string line;
	while (std::getline(status, line))
	{
		if (line.compare(0, 6, "VmRSS:") == 0) return std::stol(line.substr(6));
	}
	return 0;
}

} // namespace bench
} // namespace asprof
