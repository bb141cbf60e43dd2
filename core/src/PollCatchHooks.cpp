//
// PollCatchHooks.cpp
//
// The hooks of asprof/pollcatch.h. Their fast path, with no agent, is one
// atomic load and a branch; with one, a clock read and thread-local loads
// and stores. Everything else (the event) is out of line.
//

#include "asprof/pollcatch.h"
#include "PollCatch.h"
#include <atomic>
#include <ctime>
#include <dlfcn.h>
#include <pthread.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace asprof {
namespace agent {

namespace {

// The published target: immutable once published and never freed, so a
// thread that loaded it may use it however late (one per agent start).
std::atomic<const PollCatchTarget*> currentTarget{nullptr};

// async-profiler's asprof_thread_local_data (asprof.h): the time (4.5) or the
// count (4.1 to 4.4) of the thread's last sample; that it changes is what counts.
struct ThreadLocalData
{
	volatile std::uint64_t sample_counter;
};

// Per thread, trivially constructed (no TLS guard on the fast path). The
// slot belongs to async-profiler (freed at thread exit, after C++
// thread_local destructors have run); it is fetched again for a new target.
struct ThreadState
{
	const PollCatchTarget* slotOwner;
	ThreadLocalData* slot;
	asprof_pollcatch_poll poll; // the before/after slot
};

thread_local ThreadState threadState;

inline std::uint64_t now(PollCatchTarget::Clock clock)
{
#if defined(__x86_64__)
	if (clock == PollCatchTarget::TSC) return __rdtsc();
#elif defined(__aarch64__)
	if (clock == PollCatchTarget::TSC)
	{
		std::uint64_t ticks;
		asm volatile("mrs %0, cntvct_el0" : "=r"(ticks));
		return ticks;
	}
#endif
	timespec time;
	::clock_gettime(CLOCK_MONOTONIC, &time);
	return static_cast<std::uint64_t>(time.tv_sec) * 1000000000u + static_cast<std::uint64_t>(time.tv_nsec);
}

// The thread's async-profiler slot for target; nullptr when async-profiler
// cannot give one (out of memory). Asked for at every poll, never cached
// across polls: async-profiler frees it from a thread-exit destructor, and
// code running in a later destructor may still poll.
inline ThreadLocalData* slotFor(const PollCatchTarget* target)
{
	ThreadState& state = threadState;
	state.slot = static_cast<ThreadLocalData*>(target->getThreadLocalData());
	if (state.slot && state.slotOwner != target)
	{
		// First poll of this thread under a new agent start: async-profiler
		// 4.5 only ever raises the counter (to the last sample's time), so a
		// value left from a faster clock (tsc) would hide every later sample
		// under monotonic. Start it afresh; only "changed" counts.
		state.slot->sample_counter = 0;
	}
	state.slotOwner = state.slot ? target : nullptr;
	return state.slot;
}

inline void begin(const PollCatchTarget* target, asprof_pollcatch_poll* poll)
{
	ThreadLocalData* slot = slotFor(target);
	poll->agent = slot ? target : nullptr;
	if (!slot) return;
	// The time first, as the Rust agent does: a sample between the two
	// reads is missed rather than counted in a poll that starts after it.
	poll->start = now(target->clock);
	poll->samples = slot->sample_counter;
}

__attribute__((noinline, cold)) void emit(const PollCatchTarget* target, std::uint64_t start)
{
	std::uint64_t end = now(target->clock);
	std::uint8_t payload[16];
	for (int i = 0; i < 8; ++i)
	{
		payload[i] = static_cast<std::uint8_t>(start >> (8 * i));
		payload[8 + i] = static_cast<std::uint8_t>(end >> (8 * i));
	}
	target->emit(target->key, payload, sizeof(payload)); // an error loses this one event only
}

inline void end(const PollCatchTarget* target, const asprof_pollcatch_poll* poll)
{
	// A poll begun under another target (before a stop or restart) is
	// dropped: its start may be in another clock.
	// (And one begun on another thread, which would be a misuse, never
	// reads a slot that is not there.)
	const ThreadState& state = threadState;
	if (poll->agent != target || state.slotOwner != target) return;
	if (state.slot->sample_counter != poll->samples) emit(target, poll->start);
}

} // namespace

void share(const PollCatchTarget* target);
// Sets this copy's hooks to a copy of target (nullptr: off).

namespace {

void disableInChild()
{
	currentTarget.store(nullptr, std::memory_order_release);
}

// Every copy of the hooks that is ever turned on is turned off in a forked
// child, which runs no agent.
void store(const PollCatchTarget* target)
{
	static pthread_once_t atFork = PTHREAD_ONCE_INIT;
	pthread_once(&atFork, []() { pthread_atfork(nullptr, nullptr, &disableInChild); });
	currentTarget.store(target, std::memory_order_release);
}

} // namespace

void PollCatch::publish(const PollCatchTarget* target) noexcept
{
	// Our own hooks directly (not through the PLT: a program defining the
	// exported name must not take them over).
	share(target);
	// The LD_PRELOAD agent is a copy of its own; a program's hooks are those
	// of libasprof-agent.so, found in the global scope when it is loaded.
	auto shared = reinterpret_cast<void (*)(const PollCatchTarget*)>(::dlsym(RTLD_DEFAULT, "asprof_pollcatch_internal_share_v1"));
	Dl_info theirs;
	Dl_info ours;
	bool sameObject = shared && ::dladdr(reinterpret_cast<void*>(shared), &theirs) != 0 &&
		::dladdr(reinterpret_cast<void*>(&share), &ours) != 0 && theirs.dli_fbase == ours.dli_fbase;
	if (shared && !sameObject) shared(target);
}

} // namespace agent
} // namespace asprof

using asprof::agent::currentTarget;
using asprof::agent::PollCatchTarget;
using asprof::agent::threadState;

extern "C" void asprof_pollcatch_internal_share_v1(const PollCatchTarget* target)
{
	asprof::agent::share(target);
}

void asprof::agent::share(const PollCatchTarget* target)
{
	if (!target || target->size < sizeof(PollCatchTarget))
	{
		asprof::agent::store(nullptr);
		return;
	}
	// Copied: the publisher's own object may be of a later, larger layout.
	auto* copy = new PollCatchTarget; // never freed: threads may hold it (one per agent start)
	copy->clock = target->clock;
	copy->key = target->key;
	copy->getThreadLocalData = target->getThreadLocalData;
	copy->emit = target->emit;
	asprof::agent::store(copy);
}

extern "C" void asprof_pollcatch_before_poll(void)
{
	const PollCatchTarget* target = currentTarget.load(std::memory_order_acquire);
	if (target) asprof::agent::begin(target, &threadState.poll);
}

extern "C" void asprof_pollcatch_after_poll(void)
{
	const PollCatchTarget* target = currentTarget.load(std::memory_order_acquire);
	if (!target) return;
	asprof::agent::end(target, &threadState.poll);
	threadState.poll.agent = nullptr;
}

extern "C" void asprof_pollcatch_enter(asprof_pollcatch_poll* poll)
{
	const PollCatchTarget* target = currentTarget.load(std::memory_order_acquire);
	if (target)
		asprof::agent::begin(target, poll);
	else
		poll->agent = nullptr;
}

extern "C" void asprof_pollcatch_leave(const asprof_pollcatch_poll* poll)
{
	const PollCatchTarget* target = currentTarget.load(std::memory_order_acquire);
	if (target) asprof::agent::end(target, poll);
}

extern "C" int asprof_pollcatch_enabled(void)
{
	return currentTarget.load(std::memory_order_acquire) != nullptr;
}
