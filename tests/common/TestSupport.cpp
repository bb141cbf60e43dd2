#include "TestSupport.h"
#include "FileRecording.h"
#include "SectionContext.h"
#include "asprof/agent/Agent.h"
#include "Poco/Util/MapConfiguration.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/FileStream.h"
#include "Poco/Path.h"
#include "Poco/Logger.h"
#include "Poco/Message.h"
#include "Poco/TemporaryFile.h"
#include <algorithm>
#include <cppunit/TestAssert.h>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <sys/stat.h>
#include <sstream>
#include <thread>

namespace asprof {
namespace test {

bool waitUntil(const std::function<bool()>& condition, Poco::Timespan timeout)
{
	Poco::Timestamp deadline;
	deadline += timeout;
	while (!condition())
	{
		if (Poco::Timestamp() > deadline) return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	return true;
}

TemporaryDirectory::TemporaryDirectory(): _path(Poco::TemporaryFile::tempName())
{
	Poco::File(_path).createDirectories();
	::chmod(_path.c_str(), 0755);
}

TemporaryDirectory::~TemporaryDirectory()
{
	try
	{
		Poco::File(_path).remove(true);
	}
	catch (...)
	{
	}
}

const std::string& TemporaryDirectory::path() const
{
	return _path;
}

std::string TemporaryDirectory::file(const std::string& name) const
{
	return _path + "/" + name;
}

// setenv(3), not Poco::Environment::set: Poco 1.11 hands putenv() a string
// it later overwrites, leaving the environment pointing at stale bytes.
ScopedEnv::ScopedEnv(const std::string& name, const std::string& value): _name(name), _had(Poco::Environment::has(name))
{
	if (_had) _old = Poco::Environment::get(name);
	::setenv(name.c_str(), value.c_str(), 1);
}

ScopedEnv::~ScopedEnv()
{
	if (_had)
		::setenv(_name.c_str(), _old.c_str(), 1);
	else
		::unsetenv(_name.c_str());
}

namespace {

// The fake profiler's setters (see tests/fixtures/fake-asprof).
struct FakeProfilerControl
{
	int (*set)(const char* name, const char* value);
	int (*get)(const char* name, char* buffer, std::size_t size);
};

void* fakeProfilerSymbol(void* handle, const char* name)
{
	void* symbol = ::dlsym(handle, name);
	if (!symbol) throw Poco::LibraryLoadException(ASPROF_FAKE_PROFILER " lacks " + std::string(name));
	return symbol;
}

const FakeProfilerControl& fakeProfiler()
{
	// The path the agent dlopens (library = ASPROF_FAKE_PROFILER): either
	// call gets the other's handle. Never dlclosed, like the agent's.
	static const FakeProfilerControl control = []() {
		void* handle = ::dlopen(ASPROF_FAKE_PROFILER, RTLD_NOW | RTLD_NOLOAD);
		if (!handle) handle = ::dlopen(ASPROF_FAKE_PROFILER, RTLD_NOW);
		if (!handle) throw Poco::LibraryLoadException(ASPROF_FAKE_PROFILER, ::dlerror());
		FakeProfilerControl result;
		result.set = reinterpret_cast<int (*)(const char*, const char*)>(fakeProfilerSymbol(handle, "asprof_fake_set"));
		result.get = reinterpret_cast<int (*)(const char*, char*, std::size_t)>(fakeProfilerSymbol(handle, "asprof_fake_get"));
		return result;
	}();
	return control;
}

void setFakeProfiler(const std::string& name, const char* value)
{
	if (fakeProfiler().set(name.c_str(), value) != 0) throw Poco::InvalidArgumentException("fake profiler setting", name);
}

} // namespace

std::string fakeProfilerValue(const std::string& name)
{
	char buffer[8192];
	if (fakeProfiler().get(name.c_str(), buffer, sizeof(buffer)) != 1) throw Poco::IllegalStateException("asprof_fake_get", name);
	return buffer;
}

FakeProfilerSetting::FakeProfilerSetting(const std::string& name, const std::string& value): _name(name), _had(false)
{
	char old[4096];
	int state = fakeProfiler().get(name.c_str(), old, sizeof(old));
	if (state < 0) throw Poco::InvalidArgumentException("fake profiler setting", name);
	_had = state == 1;
	if (_had) _old = old;
	setFakeProfiler(name, value.c_str());
}

FakeProfilerSetting::~FakeProfilerSetting()
{
	fakeProfiler().set(_name.c_str(), _had ? _old.c_str() : nullptr);
}

FakeProfilerLog::FakeProfilerLog(): _path(_directory.file("fake.log")), _setting("ASPROF_FAKE_LOG", _path)
{
}

const std::string& FakeProfilerLog::path() const
{
	return _path;
}

class LogCapture::Channel: public Poco::Channel
{
public:
	void log(const Poco::Message& message) override
	{
		std::lock_guard<std::mutex> lock(mutex);
		messages.push_back(message.getText());
	}

	mutable std::mutex mutex;
	std::vector<std::string> messages;
};

LogCapture::LogCapture(const std::string& loggerName, int level): _name(loggerName), _channel(new Channel)
{
	Poco::Logger& logger = Poco::Logger::get(_name);
	_previous = Poco::AutoPtr<Poco::Channel>(logger.getChannel(), true);
	_previousLevel = logger.getLevel();
	logger.setChannel(_channel);
	logger.setLevel(level);
}

LogCapture::~LogCapture()
{
	Poco::Logger& logger = Poco::Logger::get(_name);
	logger.setChannel(_previous);
	logger.setLevel(_previousLevel);
}

std::string LogCapture::text() const
{
	std::lock_guard<std::mutex> lock(_channel->mutex);
	std::string text;
	for (const auto& message : _channel->messages) text += message + "\n";
	return text;
}

std::size_t LogCapture::count(const std::string& part) const
{
	std::lock_guard<std::mutex> lock(_channel->mutex);
	std::size_t count = 0;
	for (const auto& message : _channel->messages) count += message.find(part) != std::string::npos ? 1 : 0;
	return count;
}

std::string errorOf(const std::function<void()>& action)
{
	try
	{
		action();
	}
	catch (Poco::Exception& e)
	{
		return e.displayText();
	}
	return std::string();
}

std::string dataFile(const std::string& name)
{
	return std::string(ASPROF_TEST_DATA_DIR) + "/" + name;
}

std::string readFile(const std::string& path)
{
	Poco::FileInputStream in(path);
	std::ostringstream content;
	content << in.rdbuf();
	return content.str();
}

void writeFile(const std::string& path, const std::string& content)
{
	Poco::FileOutputStream out(path);
	out << content;
}

std::vector<std::string> listFiles(const std::string& directory)
{
	std::vector<std::string> names;
	for (Poco::DirectoryIterator it(directory), end; it != end; ++it)
	{
		if (it.name()[0] == '.') continue; // hidden: a writer's temporary, renamed or removed at any moment
		try
		{
			if (it->isFile()) names.push_back(it.name());
		}
		catch (Poco::FileNotFoundException&)
		{
			// Gone between the listing and the look at it: not there.
		}
	}
	std::sort(names.begin(), names.end());
	return names;
}

std::vector<std::string> readLines(const std::string& path)
{
	std::vector<std::string> lines;
	if (!Poco::File(path).exists()) return lines;
	std::istringstream in(readFile(path));
	std::string line;
	while (std::getline(in, line)) lines.push_back(line);
	return lines;
}

sdk::Profile makeProfile(const std::string& jfrFile, std::uint64_t seq)
{
	sdk::Profile profile;
	profile.seq = seq;
	profile.end = Poco::Timestamp::fromEpochTime(1742488914) + 125 * 1000;
	profile.start = profile.end - Poco::Timespan(30, 0);
	profile.reportingInterval = Poco::Timespan(30, 0);
	profile.pid = 4242;
	profile.host.kind = "onprem";
	profile.host.setField("hostname", "test-host");
	profile.labels = {{"service", "checkout"}, {"env", "test"}};
	profile.profilerArgs = "event=cpu,interval=100000000,wall=1000ms,jfr,cstack=dwarf,log=stderr";
	profile.recording = agent::FileRecording::fromFile(dataFile(jfrFile));
	return profile;
}

std::unique_ptr<agent::SectionContext> makeSectionContext(
	const std::string& section, const std::vector<std::pair<std::string, std::string>>& keys, const std::string& source)
{
	Poco::AutoPtr<Poco::Util::MapConfiguration> root(new Poco::Util::MapConfiguration);
	root->setString(section + ".type", section.substr(section.find('.') + 1));
	for (const auto& key : keys) root->setString(section + "." + key.first, key.second);
	auto context = std::make_unique<agent::SectionContext>(root, section, source, "asprof." + section);
	context->markKnown("type");
	return context;
}

std::string fakeProfilerIni(const std::string& reporterSection, const std::string& extraAgentKeys)
{
	return "[agent]\n"
		   "library = " ASPROF_FAKE_PROFILER "\n"
		   "pluginDir = " ASPROF_TEST_PLUGIN_DIR "\n"
		   "reportingInterval = 100ms\n"
		   "reporter = main\n"
		   "metadata = onprem\n"
		   "flushTimeout = 5s\n" +
		extraAgentKeys +
		"\n"
		"[metadata.onprem]\n"
		"type = onprem\n"
		"library = " ASPROF_BUILD_PLUGIN_DIR "/libasprof-metadata-onprem.so\n"
		"hostname = test-host\n"
		"labels = rack=r7\n\n" +
		reporterSection;
}

namespace {

std::string describeCounters(const agent::LaneStatus& lane)
{
	std::ostringstream text;
	text << "lane " << lane.name << ": received " << lane.received() << " (enqueued " << lane.enqueued << " + recovered " << lane.recovered
		 << "), settled " << lane.settled() << " (delivered " << lane.delivered << ", failed " << lane.failed << ", dropped "
		 << lane.dropped() << " [queue-full " << lane.droppedQueueFull << ", expired " << lane.droppedExpired << ", spool-full "
		 << lane.droppedSpoolFull << ", corrupt " << lane.droppedCorrupt << ", at-stop " << lane.droppedAtStop << "], left in spool "
		 << lane.leftInSpool << ", queued " << lane.queued << ")";
	return text.str();
}

} // namespace

void assertEveryProfileAccounted(const agent::AgentStatus& status)
{
	for (const auto& lane : status.lanes)
	{
		CPPUNIT_ASSERT_MESSAGE(describeCounters(lane), lane.queued == 0);
		CPPUNIT_ASSERT_MESSAGE(describeCounters(lane), lane.received() == lane.settled());
	}
}

} // namespace test
} // namespace asprof
