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

class Samples
	/// A series of measurements (e.g. durations in microseconds).
{
public:
	void add(double value);

	void reserve(std::size_t count);
		/// Allocates room for count samples now (keeps a measurement's own
		/// memory out of RSS figures taken while it runs).

	double quantile(double q) const;
		/// The nearest-rank q-quantile: 0.5 the median, 0.9 the p90, 1 the
		/// maximum. 0 when there are no samples.

	double median() const;

	std::size_t size() const;

private:
	std::vector<double> _values;
};

class ScratchDirectory
	/// A fresh directory under $TMPDIR (or /tmp), removed with its content
	/// on destruction.
{
public:
	explicit ScratchDirectory(const std::string& prefix);
		/// Throws Poco::CreateFileException.

	~ScratchDirectory();

	ScratchDirectory(const ScratchDirectory&) = delete;
	ScratchDirectory& operator = (const ScratchDirectory&) = delete;

	const std::string& path() const;

private:
	std::string _path;
};

double processCpuMicros();
	/// The CPU time of all the process's threads so far
	/// (CLOCK_PROCESS_CPUTIME_ID, nanosecond resolution).

rusage resourceUsage();
	/// getrusage(RUSAGE_SELF).

double kernelShareSince(const rusage& before);
	/// The kernel's (system time's) share of the process CPU used since
	/// before, 0..1. The kernel splits user/system by ticks: approximate.

std::string fileSystemType(const std::string& path);
	/// "ext4", "tmpfs", ... for the file system holding path (statfs).

long residentKiB();
	/// The process's resident set size now (VmRSS of /proc/self/status), in KiB.

} } // namespace asprof::bench

#endif // Asprof_Bench_BenchSupport_INCLUDED
