//
// BenchSupport.h
//
// Measuring helpers shared by the benchmarks in bench/.
//

#ifndef Asprof_Bench_BenchSupport_INCLUDED
#define Asprof_Bench_BenchSupport_INCLUDED

#include <string>
#include <vector>
#include <sys/resource.h>

namespace asprof {
namespace bench {

/// A series of measurements (e.g. durations in microseconds).
class Samples
{
public:
	void add(double value);

	/// Allocates room for count samples now (keeps a measurement's own
	/// memory out of RSS figures taken while it runs).
	void reserve(std::size_t count);

	/// The nearest-rank q-quantile: 0.5 the median, 0.9 the p90, 1 the
	/// maximum. 0 when there are no samples.
	double quantile(double q) const;

	double median() const;

	/// The arithmetic mean; 0 when there are no samples.
	double mean() const;

	/// The index-th sample, in the order added.
	double at(std::size_t index) const;

	std::size_t size() const;

private:
	std::vector<double> _values;
};

/// A fresh directory under $TMPDIR (or /tmp), removed with its content
/// on destruction.
class ScratchDirectory
{
public:
	/// Throws Poco::CreateFileException.
	explicit ScratchDirectory(const std::string& prefix);

	~ScratchDirectory();

	ScratchDirectory(const ScratchDirectory&) = delete;
	ScratchDirectory& operator=(const ScratchDirectory&) = delete;

	const std::string& path() const;

private:
	std::string _path;
};

/// The CPU time of all the process's threads so far
/// (CLOCK_PROCESS_CPUTIME_ID, nanosecond resolution).
double processCpuMicros();

/// getrusage(RUSAGE_SELF).
rusage resourceUsage();

/// The kernel's (system time's) share of the process CPU used since
/// before, 0..1. The kernel splits user/system by ticks: approximate.
double kernelShareSince(const rusage& before);

/// "ext4", "tmpfs", ... for the file system holding path (statfs).
std::string fileSystemType(const std::string& path);

/// The process's resident set size now (VmRSS of /proc/self/status), in KiB.
long residentKiB();

/// CPU time (µs, from /proc/self/task/*/schedstat: nanosecond precision)
/// of this process's live threads whose name starts with prefix, except
/// those whose name starts with exclude (when not empty). Threads that
/// have exited are not counted.
double threadsCpuMicros(const std::string& prefix, const std::string& exclude = "");

/// Throws std::runtime_error naming command when async-profiler refused
/// it (error: what asprof_execute said, empty on success).
void requireAccepted(const std::string& error, const std::string& command);

/// CPU time (µs) of the calling thread.
double threadCpuMicros();

} // namespace bench
} // namespace asprof

#endif // Asprof_Bench_BenchSupport_INCLUDED
