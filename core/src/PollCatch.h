//
// PollCatch.h
//
// The agent's side of the PollCatch hooks (asprof/pollcatch.h): which clock
// the recording uses, and turning the hooks on and off.
//

#ifndef Asprof_Agent_PollCatch_INCLUDED
#define Asprof_Agent_PollCatch_INCLUDED

#include "asprof/agent/AgentConfig.h"
#include <cstddef>
#include <cstdint>

namespace asprof {
namespace agent {

class AsyncProfiler;

/// What the hooks need to emit events: async-profiler's functions, the
/// event's key and the recording's clock. Shared as is between copies
/// of the agent in one process (see PollCatch::publish), so its layout
/// only ever grows, with size telling which fields a copy has.
struct PollCatchTarget
{
	enum Clock : std::int32_t
	{
		TSC = 0,      ///< rdtsc on x86-64, cntvct_el0 on aarch64
		MONOTONIC = 1 ///< nanoseconds of CLOCK_MONOTONIC
	};

	typedef void* (*GetThreadLocalDataFunc)();
	typedef const char* (*EmitFunc)(int key, const std::uint8_t* data, std::size_t length);

	std::uint32_t size = sizeof(PollCatchTarget);
	Clock clock = MONOTONIC;
	std::int32_t key = -1;
	GetThreadLocalDataFunc getThreadLocalData = nullptr;
	EmitFunc emit = nullptr;
};

/// Everything the agent does for the hooks, on its control thread:
/// - before the first start, makes the clock explicit in the command, so
///   that the hooks read the clock async-profiler stamps events with;
/// - after a successful start, registers the tokio.PollcatchV1 event and
///   publishes the target: the hooks record from then on;
/// - before the final stop, withdraws it: the hooks are no-ops again.
/// A library without user events or thread-local data (async-profiler
/// before 4.1) leaves the hooks off and the command unchanged.
class PollCatch
{
public:
	static const char* const EVENT_TYPE; ///< "tokio.PollcatchV1"

	/// Whether the library has asprof_get_thread_local_data,
	/// asprof_register_jfr_event and asprof_emit_jfr_event.
	static bool supported(const AsyncProfiler& profiler);

	/// settings, with clock=tsc or clock=monotonic added to extraArgs
	/// when the library supports the hooks and extraArgs names no clock:
	/// tsc where async-profiler can use it (tscUsable()), as its own
	/// default would, else monotonic.
	static ProfilerSettings withClock(const AsyncProfiler& profiler, const ProfilerSettings& settings);

	/// The clock async-profiler uses for a recording started with
	/// settings: clock=m... is monotonic; clock=t... or none is the TSC
	/// when tscUsable(), else monotonic (async-profiler's own rules,
	/// for a process without a JVM).
	static PollCatchTarget::Clock clockOf(const ProfilerSettings& settings);

	/// async-profiler's test: x86-64 with an invariant TSC (CPUID
	/// 0x80000007 EDX bit 8), or aarch64 (the virtual counter).
	static bool tscUsable();

	/// After async-profiler started with settings: registers the event
	/// (async-profiler keeps one key per name for the process) and turns
	/// the hooks on. Logs and leaves them off when the library does not
	/// support them or refuses the event.
	static void enable(const AsyncProfiler& profiler, const ProfilerSettings& settings);

	/// Turns the hooks off (also in a forked child, automatically).
	/// Polls in flight end without an event; a thread that read the
	/// target just before may still emit one into async-profiler,
	/// which drops events while it is stopped.
	static void disable() noexcept;

	/// Makes target (copied; nullptr: off) the hooks' target, in this
	/// copy of the agent and in libasprof-agent.so's when that is
	/// another copy (the LD_PRELOAD agent links the agent statically;
	/// the program's hooks are libasprof-agent.so's).
	static void publish(const PollCatchTarget* target) noexcept;
};

} // namespace agent
} // namespace asprof

/// How one copy of the agent publishes its target to another (see
/// PollCatch::publish); not for programs. Exported by libasprof-agent.so.
extern "C" __attribute__((visibility("default"))) void asprof_pollcatch_internal_share_v1(const asprof::agent::PollCatchTarget* target);

#endif // Asprof_Agent_PollCatch_INCLUDED
