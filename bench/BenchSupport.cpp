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
#include <stdexcept>
#include <dirent.h>
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

double Samples::mean() const
{
	if (_values.empty()) return 0;
	double sum = 0;
	for (double value : _values) sum += value;
	return sum / static_cast<double>(_values.size());
}

double Samples::at(std::size_t index) const
{
	return _values.at(index);
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

double threadsCpuMicros(const std::string& prefix, const std::string& exclude)
{
	double total = 0;
	DIR* tasks = ::opendir("/proc/self/task");
	if (!tasks) return 0;
	while (dirent* entry = ::readdir(tasks))
	{
		if (entry->d_name[0] == '.') continue;
		std::string task = std::string("/proc/self/task/") + entry->d_name;
		std::string name;
		std::getline(std::ifstream(task + "/comm"), name);
		if (name.compare(0, prefix.size(), prefix) != 0) continue;
		if (!exclude.empty() && name.compare(0, exclude.size(), exclude) == 0) continue;
		unsigned long long onCpuNanos = 0;
		if (std::ifstream(task + "/schedstat") >> onCpuNanos) total += static_cast<double>(onCpuNanos) / 1e3;
	}
	::closedir(tasks);
	return total;
}

void requireAccepted(const std::string& error, const std::string& command)
{
	if (!error.empty()) throw std::runtime_error("async-profiler refused '" + command + "': " + error);
}

double threadCpuMicros()
{
	timespec now{};
	::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

} // namespace bench
} // namespace asprof
