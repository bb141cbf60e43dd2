//
// RotationPolicy.h
//
// Chunk switch or restart: the control thread's choice at each rotation.
//

#ifndef Asprof_Agent_RotationPolicy_INCLUDED
#define Asprof_Agent_RotationPolicy_INCLUDED

#include "asprof/agent/AgentConfig.h"
#include <cstdint>
#include <optional>
#include <string>

namespace asprof {
namespace agent {

/// Decides, rotation by rotation, how the control thread ends an
/// interval (see [agent] rotation in etc/agent.ini):
///   - by a chunk switch (async-profiler's "dump"): no sampling gap;
///   - by a restart (stop + start into a fresh file), always with
///     rotation = restart, and with dump once the file holds
///     restartEvery intervals, reaches restartFileSize, or async-profiler's
///     memory reaches restartProfilerMemory.
/// A failed chunk switch makes it fall back to restarts; after
/// restartEvery of them (the intervals a file holds) it tries chunk
/// switches again: a cause that passes (a full disk, a tempDir briefly
/// gone) does not cost the gapless rotation for good, and a library that
/// cannot dump costs one failed dump per restartEvery intervals (that
/// interval is restarted at once, nothing is lost).
///
/// Plain state, owned by the control thread (no locking).
class RotationPolicy
{
public:
	explicit RotationPolicy(const RotationSettings& settings);

	/// Whether the rotation now must restart, given the size of the
	/// recording file.
	bool restartDue(std::uint64_t fileSize) const;

	/// A fresh file was started: it holds one interval.
	void restarted();

	/// A chunk switch began one more interval in the same file.
	void switched();

	/// Restarts from now on, until restartEvery of them have run; reason
	/// says why (for the status).
	void fallBack(const std::string& reason);

	/// How many times fallBack() was called.
	int fallbacks() const;

	/// The intervals a recording file holds at most (and restarts after a
	/// fallback before dump is tried again).
	int restartEvery() const;

	bool fellBack() const;

	/// rotation = dump and no fallback: rotations switch chunks.
	bool switchesChunks() const;

	/// Whether a memory bound applies and async-profiler has reported
	/// its memory so far (a library without "metrics" is not asked again).
	bool wantsProfilerMemory() const;

	/// async-profiler's memory after a chunk switch, or nothing when it
	/// could not say (then it is not asked again).
	void noteProfilerMemory(std::optional<std::uint64_t> bytes);

	/// "dump", "restart", or "restart (fallback: <reason>)".
	std::string strategy() const;

	/// The sum of the "mem_<what>_kb <n>" lines of async-profiler's
	/// "metrics" output, in bytes; nothing when there is no such line.
	static std::optional<std::uint64_t> profilerMemory(const std::string& metrics);

private:
	RotationSettings _settings;
	std::string _fallbackReason;
	int _fallbacks = 0;
	int _restartsSinceFallback = 0;
	bool _memoryKnown = true; // until async-profiler failed to tell
	std::uint64_t _profilerMemory = 0;
	int _intervalsInFile = 1;
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_RotationPolicy_INCLUDED
