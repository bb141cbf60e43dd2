//
// ChunkSettings.h
//
// async-profiler's settings, for the chunks of a file that lack them.
//

#ifndef Asprof_Agent_ChunkSettings_INCLUDED
#define Asprof_Agent_ChunkSettings_INCLUDED

#include "FileRecording.h"
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

/// async-profiler writes its settings (jdk.ActiveSetting events: the
/// version, the event, the CPU interval, the wall interval, ...) into the
/// first chunk of a recording file only; the chunks a "dump" starts later
/// in the same file have none. A profile cut from such a later chunk would
/// then be converted with the default intervals (a CPU pprof weighed 10x
/// too low with interval=1ms). This class keeps the first chunk's settings
/// events so that every later chunk of the file can carry a copy.
///
/// The first chunk is read once, at the first call, from any thread (and
/// only up to the end of its settings: they follow the metadata and the
/// recording's identity, before any sample). The chunks of one file share
/// async-profiler's metadata (one recording, one writer), so the events'
/// type id stays valid; only their start time is stamped anew.
class ChunkSettings
{
public:
	explicit ChunkSettings(std::shared_ptr<const FileRecording> file);

	/// The first chunk's jdk.ActiveSetting events, each stamped with
	/// startTicks (compressed integers, as async-profiler writes them),
	/// ready to be appended to a chunk; empty when the first chunk has
	/// none or is not a JFR this can read. Thread-safe. Throws
	/// Poco::FileException when reading the file fails (then a later call
	/// tries again).
	std::string eventsAt(std::int64_t startTicks) const;

	/// Whether the chunk at offset already holds settings events: one of
	/// its first events (async-profiler writes them right after the
	/// metadata and the recording's identity) is a jdk.ActiveSetting.
	/// Throws Poco::FileException when reading the file fails.
	bool presentIn(std::uint64_t offset, std::uint64_t size) const;

private:
	struct Setting
	{
		std::uint64_t type = 0;
		std::string rest; ///< the fields after startTime, as written
	};

	void load() const;

	std::shared_ptr<const FileRecording> _file;
	mutable std::once_flag _loaded;
	mutable std::vector<Setting> _settings;
	mutable std::uint64_t _type = ~std::uint64_t(0); ///< jdk.ActiveSetting's id
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_ChunkSettings_INCLUDED
