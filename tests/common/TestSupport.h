//
// TestSupport.h
//
// Helpers shared by the test runners.
//

#ifndef Asprof_Tests_TestSupport_INCLUDED
#define Asprof_Tests_TestSupport_INCLUDED

#include "asprof/sdk/Profile.h"
#include "Poco/AutoPtr.h"
#include "Poco/Channel.h"
#include "Poco/Timespan.h"
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace asprof {
namespace agent {
class SectionContext;
struct AgentStatus;
} // namespace agent
namespace test {

/// Polls condition until it holds or timeout passes (never a fixed sleep).
bool waitUntil(const std::function<bool()>& condition, Poco::Timespan timeout = Poco::Timespan(20, 0));

/// A fresh directory (mode 0755) removed with its content on destruction.
class TemporaryDirectory
{
public:
	TemporaryDirectory();
	~TemporaryDirectory();
	const std::string& path() const;
	std::string file(const std::string& name) const;

private:
	std::string _path;
};

/// Sets an environment variable and restores it on destruction.
///
/// Only for variables no other thread reads meanwhile: setenv(3) racing
/// getenv(3) is undefined behaviour (ThreadSanitizer reports it). Steer
/// the fake async-profiler with FakeProfilerSetting instead, and pass
/// variables for a child process in that child's environment.
class ScopedEnv
{
public:
	ScopedEnv(const std::string& name, const std::string& value);
	~ScopedEnv();

private:
	std::string _name;
	bool _had;
	std::string _old;
};

/// What the fake libasyncProfiler.so reports under name (a setting, or
/// one of its read-only counts such as "ASPROF_FAKE_EXECUTE_MASK"; see
/// tests/fixtures/fake-asprof). Throws Poco::IllegalStateException when it
/// has no value for name.
std::string fakeProfilerValue(const std::string& name);

/// Sets one setting of the fake libasyncProfiler.so
/// (tests/fixtures/fake-asprof) in this process, by the name of the
/// environment variable that would give it to a new process
/// ("ASPROF_FAKE_LOG", "ASPROF_FAKE_STOP_FAIL", ...), and restores the
/// previous value on destruction. Settings may nest and may change while
/// agent threads call into the library: it guards them with its own mutex.
///
/// Works on the very library instance an agent gets for
/// library = ASPROF_FAKE_PROFILER (the same path, so the same dlopen
/// handle), whether the agent loaded it first or not. The library is
/// never unloaded (neither is it by the agent). A setting applies from
/// the library's next call on.
///
/// Throws Poco::LibraryLoadException when the library cannot be loaded
/// or lacks the setter, Poco::InvalidArgumentException for a name it does
/// not know or a value too long (4 KiB or more).
class FakeProfilerSetting
{
public:
	/// Sets name to value.
	FakeProfilerSetting(const std::string& name, const std::string& value);

	/// Restores the value name had before construction.
	~FakeProfilerSetting();

	FakeProfilerSetting(const FakeProfilerSetting&) = delete;
	FakeProfilerSetting& operator=(const FakeProfilerSetting&) = delete;

private:
	std::string _name;
	bool _had;
	std::string _old;
};

/// While it exists, the fake async-profiler logs every call it gets into
/// path(), a file in a directory of its own.
class FakeProfilerLog
{
public:
	FakeProfilerLog();

	const std::string& path() const;

private:
	TemporaryDirectory _directory;
	std::string _path;
	FakeProfilerSetting _setting;
};

/// Captures what one logger logs (at level and above) while it exists,
/// then restores the logger's channel and level. Thread-safe.
class LogCapture
{
public:
	LogCapture(const std::string& loggerName, int level);
	~LogCapture();
	std::string text() const;

	/// How many captured messages contain part.
	std::size_t count(const std::string& part) const;

private:
	class Channel;
	std::string _name;
	Poco::AutoPtr<Channel> _channel;
	Poco::AutoPtr<Poco::Channel> _previous;
	int _previousLevel;
};

/// The displayText() of the Poco::Exception action throws, or an empty
/// string when it throws none.
std::string errorOf(const std::function<void()>& action);

/// tests/data/<name>
std::string dataFile(const std::string& name);
std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& content);

/// Sorted names of the regular files in directory (not starting with '.').
std::vector<std::string> listFiles(const std::string& directory);
std::vector<std::string> readLines(const std::string& path);

/// A complete profile whose recording is a copy of tests/data/<jfrFile>.
sdk::Profile makeProfile(const std::string& jfrFile, std::uint64_t seq = 1);

/// A plugin context over [section] holding type (the part after the dot)
/// and the given keys, as the agent builds it; type counts as known.
std::unique_ptr<agent::SectionContext> makeSectionContext(
	const std::string& section, const std::vector<std::pair<std::string, std::string>>& keys, const std::string& source = "test-agent.ini");

/// An agent.ini using the fake async-profiler, the test plugin dir,
/// a 100ms interval, metadata = onprem, and the given reporter section
/// (which must define [reporter.main]).
std::string fakeProfilerIni(const std::string& reporterSection, const std::string& extraAgentKeys = "");

/// After Agent::stop(): asserts for every lane that nothing is queued and
/// received() == settled() (every profile delivered, failed, dropped or
/// left in the spool), with a message listing the lane's counters.
void assertEveryProfileAccounted(const agent::AgentStatus& status);

} // namespace test
} // namespace asprof

#endif // Asprof_Tests_TestSupport_INCLUDED
