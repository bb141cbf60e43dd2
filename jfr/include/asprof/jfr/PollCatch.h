//
// PollCatch.h
//
// Long polls of event loops: PollCatch events and the samples inside them.
//

#ifndef Asprof_Jfr_PollCatch_INCLUDED
#define Asprof_Jfr_PollCatch_INCLUDED

#include "asprof/jfr/Event.h"
#include "asprof/jfr/Export.h"
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace asprof {
namespace jfr {

/// A CPU or wall-clock sample, with the poll it landed in (if any).
struct ASPROF_JFR_API PollSample
{
	std::string thread;             ///< the thread's name, empty if unknown
	std::int64_t tid = 0;           ///< the JFR thread id (the OS thread id for async-profiler)
	std::int64_t timeNanos = 0;     ///< wall clock, ns since the epoch
	bool wall = false;              ///< a profiler.WallClockSample, else jdk.ExecutionSample
	std::int64_t pollIndex = -1;    ///< into PollCatch::polls(), -1 outside any poll
	std::vector<std::string> stack; ///< leaf first
};

/// One poll reported by the PollCatch hooks (a profiler.UserEvent of type
/// tokio.PollcatchV1: 16 bytes, before and after as little-endian u64 in
/// the recording's ticks, whatever its clock).
struct ASPROF_JFR_API Poll
{
	std::string thread;
	std::int64_t tid = 0;
	std::int64_t startNanos = 0;    ///< wall clock of before
	std::int64_t durationNanos = 0; ///< (after - before) in ns
	std::uint64_t samples = 0;      ///< samples that landed inside it
	std::vector<std::string> stack; ///< its most frequent sample's stack, leaf first (empty: none)
};

/// Reads PollCatch events and the samples of a recording (any number of
/// chunks and inputs, each chunk on its own pools and clock). A sample
/// belongs to a poll when it is on the same thread and its time is within
/// [before, after]; when polls nest or overlap, the innermost one (the
/// latest start) takes it. Events whose payload is not 16 bytes are
/// counted in malformed() and left out. Memory grows with polls and
/// with the samples inside them (plus all samples if keepAllSamples).
class ASPROF_JFR_API PollCatch: public RecordingVisitor
{
public:
	static const char* const EVENT_TYPE; ///< "tokio.PollcatchV1"

	/// keepAllSamples: also keep samples outside polls (for a timeline,
	/// or --include-non-pollcatch).
	explicit PollCatch(bool keepAllSamples = false);
	~PollCatch() override;

	void beginChunk(const Chunk& chunk) override;
	bool wants(const Chunk& chunk, const Type& type) override;
	void event(const Chunk& chunk, const Event& event) override;
	void endChunk(const Chunk& chunk) override;

	/// In the order of the recording (by chunk, then start time).
	const std::vector<Poll>& polls() const;

	/// Samples inside polls (and all others with keepAllSamples), by time.
	const std::vector<PollSample>& samples() const;

	std::uint64_t malformed() const;

private:
	struct Impl;
	std::unique_ptr<Impl> _impl;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_PollCatch_INCLUDED
