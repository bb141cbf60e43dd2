#include "PollCatch.h"
#include "AsyncProfiler.h"
#include "ProfilerArguments.h"
#include "Poco/Logger.h"
#include <dlfcn.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace asprof {
namespace agent {

const char* const PollCatch::EVENT_TYPE = "tokio.PollcatchV1";

namespace {

const char* const GET_THREAD_LOCAL_DATA = "asprof_get_thread_local_data";
const char* const REGISTER_EVENT = "asprof_register_jfr_event";
const char* const EMIT_EVENT = "asprof_emit_jfr_event";

Poco::Logger& logger()
{
	return Poco::Logger::get("asprof.agent");
}

const char* clockName(PollCatchTarget::Clock clock)
{
	return clock == PollCatchTarget::TSC ? "tsc" : "monotonic";
}

// The loaded library's handle, by the path it was loaded from: the same
// library (RTLD_NOLOAD never loads another), never closed.
void* symbolOf(const AsyncProfiler& profiler, const char* name)
{
	void* handle = ::dlopen(profiler.path().c_str(), RTLD_NOW | RTLD_NOLOAD);
	return handle ? ::dlsym(handle, name) : nullptr;
}

} // namespace

bool PollCatch::supported(const AsyncProfiler& profiler)
{
	return profiler.hasThreadLocalData() && profiler.hasJfrEvents();
}

bool PollCatch::tscUsable()
{
#if defined(__x86_64__)
	unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
	__cpuid(0x80000000, eax, ebx, ecx, edx);
	if (eax < 0x80000007) return false;
	__cpuid(0x80000007, eax, ebx, ecx, edx);
	return (edx & (1u << 8)) != 0; // invariant TSC
#elif defined(__aarch64__)
	return true;
#else
	return false;
#endif
}

PollCatchTarget::Clock PollCatch::clockOf(const ProfilerSettings& settings)
{
	// async-profiler reads the value's first letter only.
	auto clock = ProfilerArguments::lastValue(settings.extraArgs, "clock");
	if (clock && !clock->empty() && (*clock)[0] == 'm') return PollCatchTarget::MONOTONIC;
	return tscUsable() ? PollCatchTarget::TSC : PollCatchTarget::MONOTONIC;
}

ProfilerSettings PollCatch::withClock(const AsyncProfiler& profiler, const ProfilerSettings& settings)
{
	if (!supported(profiler)) return settings;
	auto clock = ProfilerArguments::lastValue(settings.extraArgs, "clock");
	if (clock && !clock->empty() && ((*clock)[0] == 'm' || (*clock)[0] == 't')) return settings;
	// Explicit, so that a later async-profiler with another default still
	// stamps events with the clock the hooks read.
	ProfilerSettings explicitClock = settings;
	std::string argument = std::string("clock=") + clockName(clockOf(settings));
	explicitClock.extraArgs += (settings.extraArgs.empty() ? "" : ",") + argument;
	return explicitClock;
}

void PollCatch::enable(const AsyncProfiler& profiler, const ProfilerSettings& settings)
{
	if (!supported(profiler))
	{
		logger().information(
			"PollCatch hooks off: %s lacks user events or thread-local data (async-profiler 4.1 or later has them)", profiler.path());
		return;
	}
	PollCatchTarget target;
	target.clock = clockOf(settings);
	target.getThreadLocalData = reinterpret_cast<PollCatchTarget::GetThreadLocalDataFunc>(symbolOf(profiler, GET_THREAD_LOCAL_DATA));
	target.emit = reinterpret_cast<PollCatchTarget::EmitFunc>(symbolOf(profiler, EMIT_EVENT));
	auto registerEvent = reinterpret_cast<int (*)(const char*)>(symbolOf(profiler, REGISTER_EVENT));
	if (!target.getThreadLocalData || !target.emit || !registerEvent)
	{
		logger().warning("PollCatch hooks off: cannot look up the symbols of %s", profiler.path());
		return;
	}
	target.key = registerEvent(EVENT_TYPE); // async-profiler keeps one key per name: the same at every start
	if (target.key < 0)
	{
		logger().warning("PollCatch hooks off: async-profiler refused to register the event %s", std::string(EVENT_TYPE));
		return;
	}
	publish(&target);
	logger().debug("PollCatch hooks on: %s events, clock=%s", std::string(EVENT_TYPE), std::string(clockName(target.clock)));
}

void PollCatch::disable() noexcept
{
	publish(nullptr);
}

} // namespace agent
} // namespace asprof
