//
// PprofWriter.h
//
// Collected stacks as a pprof profile (profile.proto, gzipped).
//

#ifndef Asprof_Jfr_PprofWriter_INCLUDED
#define Asprof_Jfr_PprofWriter_INCLUDED

#include "asprof/jfr/Export.h"
#include "asprof/jfr/StackCollector.h"
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

namespace asprof {
namespace jfr {

/// Builds a profile.proto the way Go's runtime/pprof shapes its own, so
/// `pprof`, Pyroscope, Parca and friends read it as they read Go's:
///   Cpu:  sample types samples/count, cpu/nanoseconds; period cpu/nanoseconds
///   Wall: samples/count, wall/nanoseconds; period wall/nanoseconds
///   Alloc (native memory): alloc_objects/count, alloc_space/bytes
///   Inuse (--leak): inuse_objects/count, inuse_space/bytes
///   Heap (LiveHeap, Go's /debug/pprof/heap): alloc_objects/count,
///     alloc_space/bytes, inuse_objects/count, inuse_space/bytes; the
///     default sample type inuse_space; period space/bytes, the
///     sampling interval (setPeriod()); values given with addHeap()
/// A time value is the sample count times the sampling interval of the
/// chunk the samples came from (setPeriod()), so totals are exact. One
/// function per frame name and library, one location per function, one
/// mapping per library (its file name; kernel frames map to
/// [kernel.kallsyms]). A --threads frame becomes the label "thread".
class ASPROF_JFR_API PprofWriter: public SampleSink
{
public:
	enum class Kind
	{
		Cpu,
		Wall,
		Alloc,
		Inuse,
		Heap
	};

	explicit PprofWriter(Kind kind);

	/// The sampling interval of what add() receives next (Cpu and Wall),
	/// or the profile's (Heap: bytes, async-profiler's nativemem=N).
	void setPeriod(std::int64_t nanos);

	/// time_nanos and duration_nanos.
	void setTimeRange(std::int64_t startNanos, std::int64_t durationNanos);

	/// Heap: counts as allocations only (alloc_objects, alloc_space).
	void add(const std::vector<const NamedFrame*>& stack, std::int64_t samples, std::int64_t value) override;

	/// Heap: one stack's four values (merged with an equal stack's).
	void addHeap(const std::vector<const NamedFrame*>& stack, std::int64_t allocObjects, std::int64_t allocBytes, std::int64_t inuseObjects,
		std::int64_t inuseBytes);

	/// The profile, gzipped (as pprof files are) unless gzip is false.
	void write(std::ostream& out, bool gzip = true) const;

	/// The sum of sample value index (0 or 1; Heap: 0 to 3), for checks.
	std::int64_t total(int index) const;

private:
	std::int64_t string(const std::string& text);
	std::uint64_t location(const NamedFrame& frame);
	void merge(const std::vector<const NamedFrame*>& stack, const std::int64_t (&values)[4]);
	std::size_t valueCount() const;

	Kind _kind;
	std::int64_t _period = 0;
	std::int64_t _startNanos = 0;
	std::int64_t _durationNanos = 0;

	std::vector<std::string> _strings;
	std::unordered_map<std::string, std::int64_t> _stringIndex;
	struct Function
	{
		std::int64_t name;
		std::int64_t file;
	};
	std::vector<Function> _functions;            ///< id = index + 1
	std::vector<std::uint64_t> _locationMapping; ///< location id - 1 -> mapping id (0: none)
	std::vector<std::int64_t> _mappingFile;      ///< mapping id - 1 -> file string
	std::unordered_map<const NamedFrame*, std::uint64_t> _locationOf;
	std::map<std::string, std::uint64_t> _mappingOf;

	struct Sample
	{
		std::vector<std::uint64_t> locations; ///< leaf first
		std::int64_t thread = 0;              ///< label string, 0: none
		std::int64_t values[4] = {0, 0, 0, 0};
	};
	std::vector<Sample> _samples;
	std::unordered_map<std::string, std::size_t> _sampleIndex;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_PprofWriter_INCLUDED
