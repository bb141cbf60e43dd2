//
// FrameNamer.h
//
// Names the frames of a chunk's stacks as async-profiler's converter does (internal).
//

#ifndef Asprof_Jfr_FrameNamer_INCLUDED
#define Asprof_Jfr_FrameNamer_INCLUDED

#include "asprof/jfr/Chunk.h"
#include "asprof/jfr/StackCollector.h"
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace asprof {
namespace jfr {

struct NamedFrameHash
{
	std::size_t operator()(const NamedFrame& frame) const;
};

struct NamedFrameEqual
{
	bool operator()(const NamedFrame& a, const NamedFrame& b) const;
};

using NamedFrameSet = std::unordered_set<NamedFrame, NamedFrameHash, NamedFrameEqual>;

/// Interns NamedFrames (equal frames are one object for the namer's life)
/// and names methods and threads of the chunk being read:
/// JfrConverter.getMethodName (the name cached per chunk by method id,
/// as there; the frame type is each frame's own) and getThreadName
/// ("[name tid=N]").
class FrameNamer
{
public:
	/// Forgets the previous chunk's method names (ids are per chunk).
	void beginChunk();

	const NamedFrame* method(const Chunk& chunk, std::uint64_t methodId, std::uint8_t type);
	const NamedFrame* thread(const Chunk& chunk, std::int32_t tid);

	/// The thread's name (javaName, else osName), or empty.
	static std::string threadName(const Chunk& chunk, std::int32_t tid);

	const NamedFrame* intern(NamedFrame frame);

private:
	NamedFrameSet _frames;
	std::unordered_map<std::uint64_t, std::pair<std::string, std::string>> _methods; ///< id -> name, library
	std::unordered_map<std::uint64_t, const NamedFrame*> _framesByMethodAndType;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_FrameNamer_INCLUDED
