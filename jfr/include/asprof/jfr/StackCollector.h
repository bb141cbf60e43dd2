//
// StackCollector.h
//
// Turns the sample events of a recording into weighted, named call stacks.
//

#ifndef Asprof_Jfr_StackCollector_INCLUDED
#define Asprof_Jfr_StackCollector_INCLUDED

#include "asprof/jfr/Event.h"
#include "asprof/jfr/Export.h"
#include "asprof/jfr/Input.h"
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace asprof {
namespace jfr {

/// async-profiler's frame types (the ids of its jdk.types.FrameType pool).
struct ASPROF_JFR_API FrameType
{
	static const std::uint8_t INTERPRETED = 0;
	static const std::uint8_t JIT_COMPILED = 1;
	static const std::uint8_t INLINED = 2;
	static const std::uint8_t NATIVE = 3;
	static const std::uint8_t CPP = 4;
	static const std::uint8_t KERNEL = 5;
	static const std::uint8_t C1_COMPILED = 6;
};

/// One frame of a collected stack, named as async-profiler's converter
/// names it. Interned: equal frames are the same object for the whole
/// collection.
struct ASPROF_JFR_API NamedFrame
{
	std::string name;    ///< the function, "Class.method", "[thread tid=N]" or "unknown"
	std::string library; ///< the native library (the JFR class name of a native frame), else empty
	std::uint8_t type = FrameType::NATIVE;
	bool thread = false; ///< the --threads frame at the root
};

/// Receives collected stacks, root first, in the order async-profiler's
/// converter visits them.
class ASPROF_JFR_API SampleSink
{
public:
	virtual ~SampleSink();

	/// samples: events (wall-clock batches counted in full); value: the
	/// event's weight (bytes for native memory, samples otherwise).
	virtual void add(const std::vector<const NamedFrame*>& stack, std::int64_t samples, std::int64_t value) = 0;
};

/// What to collect; the CLI's EVENT and FILTERS (docs/jfr.md).
struct ASPROF_JFR_API CollectOptions
{
	enum class Event
	{
		Cpu,      ///< jdk.ExecutionSample/WallClockSample in the default (running) state
		Wall,     ///< samples in any other state (wall clock)
		NativeMem ///< profiler.Malloc (and Free, for --leak)
	};

	Event event = Event::Cpu;
	bool leak = false;                     ///< allocations never freed (nativemem)
	double tail = 0.1;                     ///< --leak: ignore the last tail of the time span
	bool threads = false;                  ///< a [name tid=N] frame at each stack's root
	std::optional<std::int64_t> fromNanos; ///< epoch ns, inclusive
	std::optional<std::int64_t> toNanos;   ///< epoch ns, inclusive
	std::string include;                   ///< keep stacks with a frame matching (whole name, PCRE syntax)
	std::string exclude;                   ///< drop stacks with a frame matching (whole name, PCRE syntax)
};

/// Collects stacks from any number of inputs (read each with a Reader,
/// then call finish() once). Each chunk is resolved against its own
/// pools. Memory grows with distinct stacks (and live allocations with
/// --leak), not with events.
///
/// Events: --cpu and --wall take jdk.ExecutionSample,
/// jdk.NativeMethodSample and profiler.WallClockSample events whose
/// thread state is STATE_DEFAULT (cpu) or any other (wall); a wall-clock
/// event counts its samples batch. --nativemem takes profiler.Malloc
/// (value: size); --leak matches profiler.Free by address, in time order,
/// and keeps what was allocated before the last tail of the span and
/// never freed.
class ASPROF_JFR_API StackCollector: public RecordingVisitor
{
public:
	/// Throws JfrError (input "<options>") for a bad regular expression.
	StackCollector(const CollectOptions& options, SampleSink& sink);
	~StackCollector() override;

	void beginChunk(const Chunk& chunk) override;
	bool wants(const Chunk& chunk, const Type& type) override;
	void event(const Chunk& chunk, const Event& event) override;
	void endChunk(const Chunk& chunk) override;

	/// Hands the --leak survivors to the sink (nothing to do otherwise).
	void finish();

	std::uint64_t eventsCollected() const;

private:
	struct Impl;
	std::unique_ptr<Impl> _impl;
};

/// Collects the stacks of every chunk of every input into sink, exactly
/// as one StackCollector reading them one after the other would (same
/// stacks, same order). A chunk of 2 MB or more is decoded by up to
/// threads threads at once (0: the machine's cores), each taking a byte
/// slice and summing in first-seen order, so the slices add up to the
/// single-thread result. --leak keeps only the sampled mallocs: each
/// chunk's mallocs are read first, then its frees, each matched on
/// arrival and never stored. An unfinished last chunk of an input is
/// left out; the returned list holds a warning for each. Throws JfrError.
ASPROF_JFR_API std::vector<std::string> collectStacks(
	const std::vector<const Input*>& inputs, const CollectOptions& options, SampleSink& sink, unsigned threads = 0);

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_StackCollector_INCLUDED
