//
// AgentConfig.h
//
// The agent's configuration: agent.ini (or XML, or any Poco configuration).
//

#ifndef Asprof_Agent_AgentConfig_INCLUDED
#define Asprof_Agent_AgentConfig_INCLUDED

#include "asprof/agent/Export.h"
#include "asprof/sdk/HostMetadata.h"
#include "Poco/AutoPtr.h"
#include "Poco/Timespan.h"
#include "Poco/Util/AbstractConfiguration.h"
#include <cstdint>
#include <string>
#include <vector>

namespace asprof {
namespace agent {

/// The [profiler] section: what async-profiler records.
struct ASPROF_AGENT_API ProfilerSettings
{
	std::string event = "cpu"; ///< cpu | itimer | ctimer
	Poco::Timespan cpuInterval = Poco::Timespan(100 * Poco::Timespan::MILLISECONDS);
	Poco::Timespan wallInterval = Poco::Timespan(1 * Poco::Timespan::SECONDS); ///< 0 = no wall-clock samples
	std::string cstack = "dwarf";                                              ///< fp | dwarf | lbr | vm | vmx | no
	std::string nativeMem;                                                     ///< e.g. "10m"; empty = off
	std::string extraArgs; ///< only allowed arguments (see etc/agent.ini), appended verbatim

	/// The profiling arguments in the Rust agent's order, without the
	/// action and file: "event=cpu,interval=100000000,wall=1000ms,jfr,cstack=dwarf"
	/// then ",nativemem=..", ",log=stderr" and the extra arguments.
	std::string arguments() const;

	/// "start,event=..,interval=..,wall=..ms,jfr,cstack=..,file=<file>"
	/// followed by nativemem, log=stderr and the extra arguments.
	std::string startCommand(const std::string& file) const;
};

/// The [endpoint] section: the optional pull endpoint (Go's
/// /debug/pprof conventions, docs/endpoint.md). Off unless listen is set.
struct EndpointSettings
{
	std::string listen;       ///< "host:port" (an IP address or localhost; port 0 = any free port); empty = off
	bool allowRemote = false; ///< a listen address that is not loopback needs yes
	std::string token;        ///< bearer token required on every request; empty = none. Never logged
	std::string tokenFile;    ///< or a file holding it, read at start (trailing white space trimmed)
	int maxSeconds = 60;      ///< the longest ?seconds= window
	int threads = 4;          ///< server threads at most
	Poco::Timespan requestTimeout = Poco::Timespan(10 * Poco::Timespan::SECONDS); ///< receive/send timeout of a connection
	std::size_t heapMaxAllocations = 1000000; ///< live heap cap (jfr::LiveHeap::DEFAULT_MAX_ALLOCATIONS)
};

/// The [agent] rotation keys: how the control thread ends one interval's
/// recording and begins the next (docs/configuration.md#rotation).
struct RotationSettings
{
	std::string strategy = "dump";                ///< dump (chunk switch, restart now and then) | restart (stop + start every interval)
	int restartEvery = 120;                       ///< with dump: a recording file holds at most this many intervals; 1 = restart every time
	std::uint64_t maxFileSize = 64 * 1024 * 1024; ///< with dump: restart once the file reaches this size
	std::uint64_t maxProfilerMemory =
		256 * 1024 * 1024; ///< with dump: restart once async-profiler's memory (its "metrics") reaches this; 0 = no bound
};

/// The parsed [agent] and [profiler] sections, plus the whole
/// configuration for the plugin instance sections ([reporter.X],
/// [metadata.X]), which are checked when the agent starts.
///
/// Every parse function validates all of [agent] and [profiler] and the
/// names of all sections, and throws ConfigException naming the source,
/// section, key, value and expected form. Unknown keys and sections are
/// errors, so a typo never silently disables a feature; so is a
/// [metadata.X] section that [agent] metadata does not reach (reporter
/// sections are checked the same way when the agent starts).
struct ASPROF_AGENT_API AgentConfig
{
	std::string source = "<built-in defaults>"; ///< file path or description, for messages
	std::string library = "libasyncProfiler.so";
	std::string pluginDir; ///< empty: <libdir of libasprof-agent>/asprof-agent/plugins
	Poco::Timespan reportingInterval = Poco::Timespan(30 * Poco::Timespan::SECONDS);
	std::string reporter = "local";               ///< the [reporter.<name>] instance
	std::vector<std::string> metadata = {"auto"}; ///< instances or types, tried in order
	sdk::KeyValueList labels;
	Poco::Timespan flushTimeout = Poco::Timespan(10 * Poco::Timespan::SECONDS);
	Poco::Timespan startTimeout = Poco::Timespan(10 * Poco::Timespan::SECONDS);
	///< how long the plugins' configure() and start() calls of one start may take together
	Poco::Timespan metadataTimeout = Poco::Timespan(5 * Poco::Timespan::SECONDS);    ///< longest wait of a profile for host metadata
	std::string tempDir;                                                             ///< empty: $TMPDIR or /tmp
	Poco::Timespan statusLogInterval = Poco::Timespan(10 * Poco::Timespan::MINUTES); ///< 0 = off
	RotationSettings rotation; ///< [agent] rotation, restartEvery, restartFileSize, restartProfilerMemory
	ProfilerSettings profiler;
	EndpointSettings endpoint; ///< [endpoint]
	Poco::AutoPtr<Poco::Util::AbstractConfiguration> configuration;
	///< Everything that was parsed, for the plugin sections. Never null.

	/// The built-in defaults (as documented in etc/agent.ini).
	static AgentConfig defaults();

	/// Reads a file: XML if the name ends in .xml, else INI. The file
	/// is opened without blocking and must be a regular file (a FIFO,
	/// socket or device is refused at once) of at most 1 MiB, and not
	/// empty (no section, no key). Throws ConfigException (also when the
	/// file cannot be read).
	static AgentConfig load(const std::string& path);

	/// Parses INI text. Full-line comments start with ';' or '#'; a ';' or
	/// '#' preceded by whitespace starts an inline comment; a leading
	/// UTF-8 byte order mark is skipped. A section or key given twice, a
	/// header without its ']' or with an empty instance name, and
	/// control characters are errors naming the line.
	static AgentConfig fromIni(const std::string& text, const std::string& sourceName);

	/// Parses XML with the same keys: <asprof><agent><reportingInterval>30s</reportingInterval>...
	/// Another root element, and attributes, are errors.
	static AgentConfig fromXml(const std::string& text, const std::string& sourceName);

	/// Parses any Poco configuration whose top-level keys are agent,
	/// profiler, endpoint, reporter and metadata (e.g. a view of an application's
	/// configuration).
	static AgentConfig fromConfiguration(Poco::AutoPtr<Poco::Util::AbstractConfiguration> config, const std::string& sourceName);
};

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_AgentConfig_INCLUDED
