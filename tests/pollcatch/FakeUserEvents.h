//
// FakeUserEvents.h
//
// What the fake libasyncProfiler.so saw of PollCatch: its user-event counts
// and its per-thread sample counters, which a test advances as async-profiler
// does when a sample lands.
//

#ifndef Asprof_Tests_FakeUserEvents_INCLUDED
#define Asprof_Tests_FakeUserEvents_INCLUDED

#include <cstdint>
#include <string>

namespace asprof {
namespace test {

/// The last event the fake library received.
struct FakeEvent
{
	int key = -1;
	long thread = 0;
	std::string payload;          ///< the bytes, as given
	std::uint64_t before() const; ///< little-endian u64 at 0
	std::uint64_t after() const;  ///< little-endian u64 at 8
};

/// The fake library of ASPROF_FAKE_PROFILER (the very instance an agent
/// loads from that path), loaded if need be and never unloaded.
class FakeUserEvents
{
public:
	/// Events emitted so far, by every thread.
	static std::uint64_t emitted();

	/// The last event emitted (key -1 before the first).
	static FakeEvent last();

	static std::uint64_t registrations();
	static std::string lastRegisteredName();
	static long lastRegisteringThread();

	/// The calling thread's sample_counter (its async-profiler slot).
	static volatile std::uint64_t* sampleCounter();

	/// What async-profiler does when a sample lands on the calling
	/// thread: its sample counter changes.
	static void landSample();

	/// asprof_fake_reset(): settings back to the environment's, counts to 0.
	static void reset();

private:
	static std::string get(const char* name);
};

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_FakeUserEvents_INCLUDED
