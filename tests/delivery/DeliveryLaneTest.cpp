//
// DeliveryLaneTest.cpp
//
// A delivery lane against an in-process reporter driven from the test
// thread: order, the bounded queue, retries and their backoff, Fail
// handling and its log, the bounded stop, the preparer, and the spool
// (hold until delivered, replay, caps, expiry, corrupt entries, locking).
//

#include "DeliveryLane.h"
#include "MetadataResolver.h"
#include "ProfileAssembler.h"
#include "Spool.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/sdk/MetadataProvider.h"
#include "TestSupport.h"
#include "asprof/sdk/Reporter.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Message.h"
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

using asprof::agent::AgentConfig;
using asprof::agent::DeliveryClock;
using asprof::agent::DeliveryLane;
using asprof::agent::LaneSeams;
using asprof::agent::LaneSettings;
using asprof::agent::LaneStatus;
using asprof::agent::MetadataResolver;
using asprof::agent::ProfileAssembler;
using asprof::agent::Spool;
using asprof::sdk::Profile;
using asprof::sdk::ReportResult;
using asprof::test::dataFile;
using asprof::test::listFiles;
using asprof::test::LogCapture;
using asprof::test::makeProfile;
using asprof::test::readFile;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;
using asprof::test::writeFile;

namespace {

using Clock = std::chrono::steady_clock;
using Status = ReportResult::Status;

const std::string JFR = "cpu-wall.jfr";
const std::uint64_t JFR_BYTES = 23524;

Poco::Timespan milliseconds(long count)
{
	return Poco::Timespan(count * Poco::Timespan::MILLISECONDS);
}

Poco::Timespan seconds(long count)
{
	return Poco::Timespan(count, 0);
}

long millisecondsBetween(Clock::time_point from, Clock::time_point to)
{
	return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count());
}

/// One Reporter::report() as the reporter saw it.
struct Call
{
	std::uint64_t seq = 0;
	std::string hostKind;
	std::thread::id thread;
	Clock::time_point entered;
	Clock::time_point returned;
	bool hasReturned = false;
	Status answer = Status::Ok;
	bool spoolEntryExisted = false; ///< <spoolDir>/<id>.json was on disk when report() began
};

/// What the test thread and a TestReporter share: the answers to give, a
/// gate that holds report() until released, and the record of calls.
/// Held by shared_ptr so that it outlives a lane thread the lane abandoned.
class ReporterControl
{
public:
	/// The answer for every call from now on (after any scripted ones).
	void answer(const ReportResult& result)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_answer = result;
	}

	/// Answers for the next calls, in order; then answer() applies again.
	void script(const std::vector<ReportResult>& results)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_script.insert(_script.end(), results.begin(), results.end());
	}

	void closeGate()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_gateOpen = false;
	}

	void openGate()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_gateOpen = true;
		_changed.notify_all();
	}

	/// Lets one held (or the next) call through a closed gate.
	void releaseOne()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		++_permits;
		_changed.notify_all();
	}

	/// Runs action on the lane thread inside the number-th report() (from 1).
	/// Call before the lane starts.
	void onCall(std::size_t number, std::function<void()> action)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_actions[number] = std::move(action);
	}

	/// Call before the lane starts.
	void checkSpoolEntriesIn(const std::string& directory)
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_spoolDir = directory;
	}

	bool waitFor(
		const std::function<bool(const std::vector<Call>&)>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(20))
	{
		std::unique_lock<std::mutex> lock(_mutex);
		return _changed.wait_until(lock, Clock::now() + timeout, [&]() { return condition(_calls); });
	}

	bool waitForEntered(std::size_t count)
	{
		return waitFor([count](const std::vector<Call>& calls) { return calls.size() >= count; });
	}

	bool waitForReturned(std::size_t count)
	{
		return waitFor([count](const std::vector<Call>& calls) {
			std::size_t returned = 0;
			for (const auto& call : calls) returned += call.hasReturned ? 1 : 0;
			return returned >= count;
		});
	}

	/// True once the reporter is gone, i.e. the lane thread has let go of its state.
	bool waitUntilDestroyed(std::chrono::milliseconds timeout = std::chrono::seconds(20))
	{
		std::unique_lock<std::mutex> lock(_mutex);
		return _changed.wait_until(lock, Clock::now() + timeout, [&]() { return _destroyed; });
	}

	std::vector<Call> calls() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _calls;
	}

	/// The seqs of the calls that were given this answer, in call order.
	std::vector<std::uint64_t> seqs(Status answer) const
	{
		std::vector<std::uint64_t> seqs;
		for (const auto& call : calls())
		{
			if (call.hasReturned && call.answer == answer) seqs.push_back(call.seq);
		}
		return seqs;
	}

	std::vector<std::uint64_t> allSeqs() const
	{
		std::vector<std::uint64_t> seqs;
		for (const auto& call : calls()) seqs.push_back(call.seq);
		return seqs;
	}

	bool stopped() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _stopped;
	}

	ReportResult onReport(const Profile& profile)
	{
		std::unique_lock<std::mutex> lock(_mutex);
		Call call;
		call.seq = profile.seq;
		call.hostKind = profile.host.kind;
		call.thread = std::this_thread::get_id();
		call.entered = Clock::now();
		if (!_spoolDir.empty())
			call.spoolEntryExisted = Poco::File(_spoolDir + "/" + Spool::fileName(Spool::makeId(profile), ".json")).exists();
		_calls.push_back(call);
		std::size_t index = _calls.size() - 1;
		_changed.notify_all();
		auto action = _actions.find(index + 1);
		if (action != _actions.end())
		{
			lock.unlock();
			action->second();
			lock.lock();
		}
		_changed.wait(lock, [&]() { return _gateOpen || _permits > 0; });
		if (!_gateOpen) --_permits;
		ReportResult result = _answer;
		if (!_script.empty())
		{
			result = _script.front();
			_script.pop_front();
		}
		_calls[index].answer = result.status;
		_calls[index].returned = Clock::now();
		_calls[index].hasReturned = true;
		_changed.notify_all();
		return result;
	}

	void onStop()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopped = true;
	}

	void onDestroyed()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_destroyed = true;
		_changed.notify_all();
	}

private:
	mutable std::mutex _mutex;
	std::condition_variable _changed;
	ReportResult _answer = ReportResult::ok();
	std::deque<ReportResult> _script;
	bool _gateOpen = true;
	int _permits = 0;
	std::string _spoolDir;
	std::vector<Call> _calls;
	std::map<std::size_t, std::function<void()>> _actions;
	bool _stopped = false;
	bool _destroyed = false;
};

/// Answers as its ReporterControl says.
class TestReporter: public asprof::sdk::Reporter
{
public:
	explicit TestReporter(std::shared_ptr<ReporterControl> control): _control(std::move(control))
	{
	}

	~TestReporter() override
	{
		_control->onDestroyed();
	}

	void configure(asprof::sdk::PluginContext&) override
	{
	}

	/// An action of onCall() may throw through here, as a buggy plugin would.
	ReportResult report(const Profile& profile) override
	{
		return _control->onReport(profile);
	}

	void stop() override
	{
		_control->onStop();
	}

private:
	std::shared_ptr<ReporterControl> _control;
};

/// Opens the gate when a test leaves early, so no lane thread stays held.
class OpenGateOnExit
{
public:
	explicit OpenGateOnExit(std::shared_ptr<ReporterControl> control): _control(std::move(control))
	{
	}

	~OpenGateOnExit()
	{
		_control->openGate();
	}

private:
	std::shared_ptr<ReporterControl> _control;
};

std::shared_ptr<const Profile> profile(std::uint64_t seq)
{
	return std::make_shared<const Profile>(makeProfile(JFR, seq));
}

LaneSettings fastRetries()
{
	LaneSettings settings;
	settings.retryInitialBackoff = milliseconds(5);
	settings.retryMaxBackoff = milliseconds(20);
	return settings;
}

/// Filled by SettleAndCheck; the fixture's tearDown fails on any.
std::vector<std::string>& accountingViolations()
{
	static std::vector<std::string> violations;
	return violations;
}

/// Deletes a test's lane after stopping it (at once, if the test did not)
/// and checking the accounting invariant: every profile the lane received
/// ended in exactly one counter, nothing is still queued.
struct SettleAndCheck
{
	void operator()(DeliveryLane* lane) const
	{
		lane->stop(Poco::Timespan(0));
		LaneStatus status = lane->status();
		if (status.queued != 0 || status.received() != status.settled())
		{
			accountingViolations().push_back("lane " + status.name + ": received " + std::to_string(status.received()) + " (" +
				std::to_string(status.enqueued) + " enqueued + " + std::to_string(status.recovered) + " recovered) but delivered " +
				std::to_string(status.delivered) + " + failed " + std::to_string(status.failed) + " + dropped " +
				std::to_string(status.dropped()) + " + left in spool " + std::to_string(status.leftInSpool) + " + queued " +
				std::to_string(status.queued));
		}
		delete lane;
	}
};

using LanePtr = std::unique_ptr<DeliveryLane, SettleAndCheck>;

LanePtr makeLane(const std::string& name, const std::shared_ptr<ReporterControl>& control, const LaneSettings& settings,
	std::shared_ptr<const ProfileAssembler> assembler = nullptr, LaneSeams seams = LaneSeams())
{
	return LanePtr(new DeliveryLane(name, std::make_unique<TestReporter>(control), settings, std::move(assembler), std::move(seams)));
}

LanePtr startLane(const std::string& name, const std::shared_ptr<ReporterControl>& control, const LaneSettings& settings,
	std::shared_ptr<const ProfileAssembler> assembler = nullptr, LaneSeams seams = LaneSeams())
{
	auto lane = makeLane(name, control, settings, std::move(assembler), std::move(seams));
	lane->start();
	return lane;
}

/// Records the threads detect() runs on; waits `delay` first (wall-clock
/// sleep standing for a slow cloud endpoint), or throws when told to.
class TestMetadata: public asprof::sdk::MetadataProvider
{
public:
	TestMetadata(Poco::Timespan delay, bool fails): _delay(delay), _fails(fails)
	{
	}

	void configure(asprof::sdk::PluginContext&) override
	{
	}

	asprof::sdk::HostMetadata detect() override
	{
		{
			std::lock_guard<std::mutex> lock(mutex);
			threads.push_back(std::this_thread::get_id());
		}
		std::this_thread::sleep_for(std::chrono::microseconds(_delay.totalMicroseconds()));
		if (_fails) throw std::runtime_error("metadata lookup exploded");
		asprof::sdk::HostMetadata host;
		host.kind = "prepared";
		host.labels = {{"zone", "z1"}};
		return host;
	}

	std::mutex mutex;
	std::vector<std::thread::id> threads;

private:
	Poco::Timespan _delay;
	bool _fails;
};

/// An assembler whose only metadata provider is a TestMetadata (owned by
/// the assembler; metadata points at it).
std::shared_ptr<const ProfileAssembler> assemblerWith(TestMetadata*& metadata, Poco::Timespan delay = Poco::Timespan(0), bool fails = false)
{
	std::vector<MetadataResolver::Candidate> candidates;
	metadata = new TestMetadata(delay, fails);
	candidates.push_back(MetadataResolver::Candidate{"test", std::unique_ptr<asprof::sdk::MetadataProvider>(metadata), {}});
	AgentConfig config = AgentConfig::fromIni("[agent]\nlabels = team=core\n", "test.ini");
	return std::make_shared<const ProfileAssembler>(config, std::make_shared<MetadataResolver>(std::move(candidates)));
}

/// Time that moves only when a lane waits: a backoff returns at once and
/// advances the clock by its length, recorded in waits.
class ManualClock: public DeliveryClock
{
public:
	TimePoint now() const override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _now;
	}

	bool waitUntil(
		std::unique_lock<std::mutex>&, std::condition_variable&, TimePoint until, const std::function<bool()>& interrupted) override
	{
		if (interrupted()) return true;
		std::lock_guard<std::mutex> lock(_mutex);
		if (until > _now)
		{
			waits.push_back(std::chrono::duration_cast<std::chrono::microseconds>(until - _now));
			_now = until;
		}
		return false;
	}

	std::vector<std::chrono::microseconds> waits;

private:
	mutable std::mutex _mutex;
	TimePoint _now;
};

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last)
{
	std::vector<std::uint64_t> seqs;
	for (std::uint64_t seq = first; seq <= last; ++seq) seqs.push_back(seq);
	return seqs;
}

std::string text(const std::vector<std::uint64_t>& seqs)
{
	std::string text;
	for (auto seq : seqs) text += (text.empty() ? "" : ",") + std::to_string(seq);
	return "[" + text + "]";
}

std::string spoolId(std::uint64_t seq)
{
	return Spool::makeId(makeProfile(JFR, seq));
}

// The spool's own files (entries and temporaries), not .lock or corrupt/.
std::vector<std::string> spoolFiles(const std::string& directory)
{
	return Poco::File(directory).exists() ? listFiles(directory) : std::vector<std::string>();
}

std::uint64_t entryBytesOnDisk(const std::string& directory)
{
	std::uint64_t bytes = 0;
	for (const auto& name : spoolFiles(directory)) bytes += Poco::File(directory + "/" + name).getSize();
	return bytes;
}

/// What an earlier run left: seqs 1..count in a spool closed again.
void leaveEntries(const std::string& spoolDir, std::uint64_t count)
{
	Spool spool(spoolDir, 0, Poco::Timespan(0));
	spool.open();
	Spool::Evicted evicted;
	for (std::uint64_t seq = 1; seq <= count; ++seq) spool.add(makeProfile(JFR, seq), evicted);
}

// Backdates an entry: the spool's age is the time written inside the entry, not the file's mtime.
void setWrittenTime(const std::string& spoolDir, std::uint64_t seq, std::time_t when)
{
	std::string path = spoolDir + "/" + Spool::fileName(spoolId(seq), ".json");
	std::string json = readFile(path);
	std::size_t at = json.find("\"createdUs\":");
	CPPUNIT_ASSERT_MESSAGE(json, at != std::string::npos);
	json.replace(at, json.find(',', at) - at, "\"createdUs\":" + std::to_string(static_cast<std::int64_t>(when) * 1000000));
	writeFile(path, json);
}

} // namespace

class DeliveryLaneTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(DeliveryLaneTest);
	CPPUNIT_TEST(testDeliversInOrderOnItsOwnThread);
	CPPUNIT_TEST(testQueueOverflowDropsTheOldestAndCountsIt);
	CPPUNIT_TEST(testQueueHoldsAtMostCapacityWhileReporterIsBusy);
	CPPUNIT_TEST(testRetryIsRetriedUntilOkInOrder);
	CPPUNIT_TEST(testRetryGivesUpAfterMaxAttemptsWithoutSpool);
	CPPUNIT_TEST(testRetryHonoursRetryAfter);
	CPPUNIT_TEST(testBackoffGrowsButStaysBelowMax);
	CPPUNIT_TEST(testFailIsDroppedCountedAndLoggedOncePerCause);
	CPPUNIT_TEST(testManyDistinctCausesDoNotFloodTheLog);
	CPPUNIT_TEST(testStopDeliversWhatIsQueuedBeforeReturning);
	CPPUNIT_TEST(testHangingReporterCannotStretchStop);
	CPPUNIT_TEST(testBackoffWaitIsInterruptedByStop);
	CPPUNIT_TEST(testStopRequestedDuringReportStillCutsTheBackoffShort);
	CPPUNIT_TEST(testAssemblerCompletesOnTheIntakeThreadBeforeReport);
	CPPUNIT_TEST(testThrowingMetadataFallsBackAndStillDelivers);
	CPPUNIT_TEST(testReporterThatThrowsCountsAsFailedAndIsNamed);
	CPPUNIT_TEST(testExceptionWithANullMessageIsStillJustAFail);
	CPPUNIT_TEST(testMetadataWithControlCharactersFallsThrough);
	CPPUNIT_TEST(testReporterThatEndsItsThreadLeavesTheHostRunning);
	CPPUNIT_TEST(testStopWaitsForASlowFirstMetadataDetection);
	CPPUNIT_TEST(testProfileInIntakeAtTheDeadlineIsCounted);
	CPPUNIT_TEST(testSpoolIsReleasedAfterAnAbandonedStop);
	CPPUNIT_TEST(testBackoffUsesTheInjectedClockAndRandomSource);
	CPPUNIT_TEST(testSpoolHoldsEveryProfileUntilDelivered);
	CPPUNIT_TEST(testSpoolTakesArrivalsWhileReporterIsBusy);
	CPPUNIT_TEST(testSpoolReplaysOldestFirstAtNextStart);
	CPPUNIT_TEST(testSpoolCapsHoldUnderLongOutage);
	CPPUNIT_TEST(testProfileEvictedFromSpoolIsNotReportedAgain);
	CPPUNIT_TEST(testExpiredEntriesAreDroppedAtOpen);
	CPPUNIT_TEST(testCorruptEntryIsMovedAsideNotFatal);
	CPPUNIT_TEST(testSecondLaneCannotShareSpoolDir);
	CPPUNIT_TEST(testSpoolDirThatIsAFileIsRefusedAndLeftAlone);
	CPPUNIT_TEST(testUnwritableSpoolKeepsProfilesInMemory);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		accountingViolations().clear();
	}

	void tearDown() override
	{
		std::string violations;
		for (const auto& violation : accountingViolations()) violations += violation + "\n";
		accountingViolations().clear();
		CPPUNIT_ASSERT_MESSAGE("accounting invariant broken:\n" + violations, violations.empty());
	}

	void testDeliversInOrderOnItsOwnThread()
	{
		auto control = std::make_shared<ReporterControl>();
		auto lane = startLane("order", control, fastRetries());
		for (std::uint64_t seq = 1; seq <= 5; ++seq) lane->enqueue(profile(seq));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 5; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		auto calls = control->calls();
		CPPUNIT_ASSERT_EQUAL(text(range(1, 5)), text(control->allSeqs()));
		for (const auto& call : calls)
		{
			CPPUNIT_ASSERT(call.thread != std::this_thread::get_id());
			CPPUNIT_ASSERT(call.thread == calls.front().thread);
		}
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), status.enqueued);
		CPPUNIT_ASSERT_EQUAL(5 * JFR_BYTES, status.bytesDelivered);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), status.queued);
		CPPUNIT_ASSERT(control->stopped()); // Reporter::stop() after the last report
	}

	void testQueueOverflowDropsTheOldestAndCountsIt()
	{
		auto control = std::make_shared<ReporterControl>();
		LaneSettings settings = fastRetries();
		settings.queueCapacity = 3;
		control->closeGate();
		auto lane = startLane("overflow", control, settings);
		OpenGateOnExit openGate(control);
		lane->enqueue(profile(1));
		CPPUNIT_ASSERT(control->waitForEntered(1)); // the lane is inside report(seq 1)
		for (std::uint64_t seq = 2; seq <= 10; ++seq) lane->enqueue(profile(seq));
		control->openGate();
		CPPUNIT_ASSERT(control->waitForReturned(4));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().queued == 0; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		CPPUNIT_ASSERT_EQUAL(text({1, 8, 9, 10}), text(control->seqs(Status::Ok)));
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(10), status.enqueued);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), status.delivered);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), status.droppedQueueFull);
	}

	void testQueueHoldsAtMostCapacityWhileReporterIsBusy()
	{
		// Profiles taken in during a backoff and profiles arriving during the
		// next report() together must stay within queueCapacity.
		auto control = std::make_shared<ReporterControl>();
		LaneSettings settings = fastRetries();
		settings.queueCapacity = 3;
		control->closeGate();
		control->script({ReportResult::retry("busy", milliseconds(1))});
		auto lane = startLane("bounded", control, settings);
		OpenGateOnExit openGate(control);
		lane->enqueue(profile(1));
		CPPUNIT_ASSERT(control->waitForEntered(1));
		for (std::uint64_t seq = 2; seq <= 4; ++seq) lane->enqueue(profile(seq));
		control->releaseOne(); // Retry: the lane takes 2..4 in during the backoff, then calls again
		CPPUNIT_ASSERT(control->waitForEntered(2));
		for (std::uint64_t seq = 5; seq <= 7; ++seq) lane->enqueue(profile(seq));
		std::size_t queuedWhileBusy = lane->status().queued;
		control->openGate();
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().queued == 0; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		// At most the profile in flight plus queueCapacity others, the newest.
		CPPUNIT_ASSERT_MESSAGE("queued while busy: " + std::to_string(queuedWhileBusy), queuedWhileBusy <= settings.queueCapacity + 1);
		CPPUNIT_ASSERT_EQUAL(text({1, 5, 6, 7}), text(control->seqs(Status::Ok)));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), lane->status().droppedQueueFull);
	}

	void testRetryIsRetriedUntilOkInOrder()
	{
		auto control = std::make_shared<ReporterControl>();
		control->script({ReportResult::retry("503"), ReportResult::retry("503"), ReportResult::retry("503")});
		auto lane = startLane("retry", control, fastRetries());
		for (std::uint64_t seq = 1; seq <= 3; ++seq) lane->enqueue(profile(seq));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 3; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		// Seq 1 is tried until it is Ok; no later profile overtakes it.
		CPPUNIT_ASSERT_EQUAL(text({1, 1, 1, 1, 2, 3}), text(control->allSeqs()));
		CPPUNIT_ASSERT_EQUAL(text({1, 2, 3}), text(control->seqs(Status::Ok)));
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), status.retried);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.failed);
		CPPUNIT_ASSERT_EQUAL(std::string("503"), status.lastError);
	}

	void testRetryGivesUpAfterMaxAttemptsWithoutSpool()
	{
		auto control = std::make_shared<ReporterControl>();
		control->answer(ReportResult::retry("connection refused"));
		LaneSettings settings = fastRetries();
		settings.retryMaxAttempts = 3;
		auto lane = startLane("give-up", control, settings);
		for (std::uint64_t seq = 1; seq <= 3; ++seq) lane->enqueue(profile(seq));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().failed == 3; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		CPPUNIT_ASSERT_EQUAL(text({1, 1, 1, 2, 2, 2, 3, 3, 3}), text(control->allSeqs()));
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.delivered);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(6), status.retried);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), status.queued);
	}

	void testRetryHonoursRetryAfter()
	{
		auto control = std::make_shared<ReporterControl>();
		control->script({ReportResult::retry("429 slow down", milliseconds(50))});
		LaneSettings settings;
		settings.retryInitialBackoff = seconds(10);
		settings.retryMaxBackoff = seconds(30);
		auto lane = startLane("retry-after", control, settings);
		lane->enqueue(profile(1));
		// Without retryAfter the lane would wait up to 10 s here.
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 1; }, seconds(5)));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		auto calls = control->calls();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), calls.size());
		long gap = millisecondsBetween(calls[0].returned, calls[1].entered);
		CPPUNIT_ASSERT_MESSAGE("gap " + std::to_string(gap) + " ms", gap >= 50);
	}

	void testBackoffGrowsButStaysBelowMax()
	{
		auto control = std::make_shared<ReporterControl>();
		control->answer(ReportResult::retry("timeout"));
		LaneSettings settings;
		settings.retryInitialBackoff = milliseconds(20);
		settings.retryMaxBackoff = milliseconds(80);
		settings.retryMaxAttempts = 16;
		auto lane = startLane("backoff", control, settings);
		lane->enqueue(profile(1));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().failed == 1; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		auto calls = control->calls();
		CPPUNIT_ASSERT_EQUAL(std::size_t(16), calls.size());
		long total = 0;
		long longest = 0;
		for (std::size_t i = 1; i < calls.size(); ++i)
		{
			long gap = millisecondsBetween(calls[i - 1].returned, calls[i].entered);
			CPPUNIT_ASSERT_MESSAGE("gap " + std::to_string(gap) + " ms after attempt " + std::to_string(i), gap <= 80 + 500);
			total += gap;
			longest = std::max(longest, gap);
		}
		// Full jitter: each wait is random in [0, min(80, 20 * 2^attempt)] ms.
		// It did wait (the chance of 15 waits summing below 20 ms is ~1e-20),
		// and it grew past the initial 20 ms: the chance that none of the 13
		// waits capped at 80 ms exceeds 30 ms is (30/80)^13, about 3e-6.
		CPPUNIT_ASSERT_MESSAGE("total " + std::to_string(total) + " ms", total >= 20);
		CPPUNIT_ASSERT_MESSAGE("longest " + std::to_string(longest) + " ms", longest > 30);
	}

	void testFailIsDroppedCountedAndLoggedOncePerCause()
	{
		LogCapture log("asprof.lane.fail-once", Poco::Message::PRIO_ERROR);
		auto control = std::make_shared<ReporterControl>();
		control->answer(ReportResult::fail("403 quota exceeded"));
		auto lane = startLane("fail-once", control, fastRetries());
		for (std::uint64_t seq = 1; seq <= 5; ++seq) lane->enqueue(profile(seq));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().failed == 5; }));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("403 quota exceeded"));

		control->answer(ReportResult::fail("401 access denied"));
		for (std::uint64_t seq = 6; seq <= 8; ++seq) lane->enqueue(profile(seq));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().failed == 8; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("403 quota exceeded"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("401 access denied"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(8), control->calls().size()); // Fail is never retried
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.delivered);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.retried);
		CPPUNIT_ASSERT_EQUAL(std::string("401 access denied"), status.lastError);
	}

	void testManyDistinctCausesDoNotFloodTheLog()
	{
		// A long outage whose messages vary (e.g. per-request ids) must not
		// turn into one error line per profile once many causes were seen.
		const std::uint64_t causes = 70;
		const std::string last = "[cause " + std::to_string(causes) + "]";
		LogCapture log("asprof.lane.many-causes", Poco::Message::PRIO_ERROR);
		auto control = std::make_shared<ReporterControl>();
		std::vector<ReportResult> answers;
		for (std::uint64_t cause = 1; cause <= causes; ++cause)
			answers.push_back(ReportResult::fail("[cause " + std::to_string(cause) + "]"));
		for (int repeat = 0; repeat < 5; ++repeat) answers.push_back(ReportResult::fail(last));
		control->script(answers);
		LaneSettings settings = fastRetries();
		settings.queueCapacity = answers.size();
		auto lane = startLane("many-causes", control, settings);
		for (std::uint64_t seq = 1; seq <= answers.size(); ++seq) lane->enqueue(profile(seq));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().failed == answers.size(); }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("[cause 1]"));
		CPPUNIT_ASSERT_MESSAGE(last + " logged " + std::to_string(log.count(last)) + " times as an error", log.count(last) <= 1);
	}

	void testStopDeliversWhatIsQueuedBeforeReturning()
	{
		auto control = std::make_shared<ReporterControl>();
		control->script({ReportResult::retry("503", milliseconds(100)), ReportResult::retry("503", milliseconds(100))});
		auto lane = startLane("drain", control, fastRetries());
		for (std::uint64_t seq = 1; seq <= 5; ++seq) lane->enqueue(profile(seq));
		CPPUNIT_ASSERT(control->waitForReturned(1)); // seq 1 is backing off; 2..5 wait

		CPPUNIT_ASSERT(lane->stop(seconds(10)));
		CPPUNIT_ASSERT_EQUAL(text(range(1, 5)), text(control->seqs(Status::Ok)));
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), status.delivered);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.droppedAtStop);
	}

	void testHangingReporterCannotStretchStop()
	{
		auto control = std::make_shared<ReporterControl>();
		control->closeGate();
		auto lane = startLane("hang", control, fastRetries());
		OpenGateOnExit openGate(control);
		lane->enqueue(profile(1));
		CPPUNIT_ASSERT(control->waitForEntered(1));
		lane->enqueue(profile(2));
		lane->enqueue(profile(3));

		auto before = Clock::now();
		bool complete = lane->stop(milliseconds(300));
		long elapsed = millisecondsBetween(before, Clock::now());
		CPPUNIT_ASSERT(!complete);
		CPPUNIT_ASSERT_MESSAGE("stop took " + std::to_string(elapsed) + " ms", elapsed < 3000);
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), status.droppedAtStop); // the one in flight and the two queued
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.delivered);
		lane->enqueue(profile(4)); // after the deadline: counted, never reported
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), lane->status().droppedAtStop);

		// The host may destroy the lane at once; the abandoned thread must end
		// cleanly once the reporter returns (ASan watches this).
		lane.reset();
		control->openGate();
		CPPUNIT_ASSERT(control->waitUntilDestroyed());
		CPPUNIT_ASSERT_EQUAL(text({1}), text(control->allSeqs()));
	}

	void testBackoffWaitIsInterruptedByStop()
	{
		auto control = std::make_shared<ReporterControl>();
		control->answer(ReportResult::retry("503"));
		LaneSettings settings;
		settings.retryInitialBackoff = seconds(30);
		settings.retryMaxBackoff = seconds(30);
		auto lane = startLane("interrupt", control, settings);
		lane->enqueue(profile(1));
		// Counted just before the wait begins, under the lane's lock: from
		// here on the lane is in (or entering) its 30 s backoff.
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().retried == 1; }));

		auto before = Clock::now();
		bool complete = lane->stop(seconds(5));
		long elapsed = millisecondsBetween(before, Clock::now());
		CPPUNIT_ASSERT(!complete);
		CPPUNIT_ASSERT_MESSAGE("stop took " + std::to_string(elapsed) + " ms", elapsed < 10000);
		// Stop woke the backoff for one last attempt.
		auto calls = control->calls();
		CPPUNIT_ASSERT(calls.size() >= 2);
		CPPUNIT_ASSERT(calls.back().entered >= before);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), lane->status().droppedAtStop);
		lane.reset();
		CPPUNIT_ASSERT(control->waitUntilDestroyed());
	}

	void testStopRequestedDuringReportStillCutsTheBackoffShort()
	{
		// Shutdown while an upload is in flight, and the upload answers Retry:
		// the lane must retry at once, as it does when stop arrives during the
		// backoff, not sit out the backoff until stop's deadline abandons it.
		auto control = std::make_shared<ReporterControl>();
		control->script({ReportResult::retry("503", seconds(30))});
		LaneSettings settings;
		settings.retryInitialBackoff = seconds(30);
		settings.retryMaxBackoff = seconds(30);
		DeliveryLane* running = nullptr;
		control->onCall(1, [&]() { running->requestStop(); });
		auto lane = startLane("stop-in-report", control, settings);
		running = lane.get();
		lane->enqueue(profile(1));
		CPPUNIT_ASSERT(control->waitForReturned(1));

		auto before = Clock::now();
		Poco::Timestamp deadline;
		deadline += seconds(5);
		bool complete = lane->awaitStop(deadline);
		long elapsed = millisecondsBetween(before, Clock::now());
		lane.reset(); // joined, or abandoned (then its thread ends at once: aborted)
		CPPUNIT_ASSERT(control->waitUntilDestroyed());
		CPPUNIT_ASSERT_EQUAL(text({1}), text(control->seqs(Status::Ok)));
		CPPUNIT_ASSERT(complete);
		CPPUNIT_ASSERT_MESSAGE("stop took " + std::to_string(elapsed) + " ms", elapsed < 4000);
	}

	void testAssemblerCompletesOnTheIntakeThreadBeforeReport()
	{
		auto control = std::make_shared<ReporterControl>();
		TestMetadata* metadata = nullptr;
		auto lane = startLane("prepare", control, fastRetries(), assemblerWith(metadata));
		lane->enqueue(profile(1));
		lane->enqueue(profile(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 2; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		auto calls = control->calls();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), calls.size());
		std::lock_guard<std::mutex> lock(metadata->mutex);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), metadata->threads.size()); // detected once, then cached
		for (std::size_t i = 0; i < calls.size(); ++i)
		{
			CPPUNIT_ASSERT_EQUAL(std::string("prepared"), calls[i].hostKind);
			// On the lane's intake thread: neither the caller's nor the reporter's.
			CPPUNIT_ASSERT(metadata->threads[0] != std::this_thread::get_id());
			CPPUNIT_ASSERT(metadata->threads[0] != calls[i].thread);
		}
	}

	void testThrowingMetadataFallsBackAndStillDelivers()
	{
		LogCapture log("asprof.agent", Poco::Message::PRIO_WARNING);
		auto control = std::make_shared<ReporterControl>();
		TestMetadata* metadata = nullptr;
		auto lane = startLane("prepare-fails", control, fastRetries(), assemblerWith(metadata, Poco::Timespan(0), true));
		for (std::uint64_t seq = 1; seq <= 3; ++seq) lane->enqueue(profile(seq));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 3; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		CPPUNIT_ASSERT_EQUAL(text({1, 2, 3}), text(control->allSeqs()));
		for (const auto& call : control->calls()) CPPUNIT_ASSERT_EQUAL(std::string("onprem"), call.hostKind);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("metadata lookup exploded"));
	}

	void testReporterThatThrowsCountsAsFailedAndIsNamed()
	{
		LogCapture log("asprof.lane.throws", Poco::Message::PRIO_ERROR);
		auto control = std::make_shared<ReporterControl>();
		control->onCall(1, []() { throw std::runtime_error("helper blew up"); });
		LaneSettings settings = fastRetries();
		settings.pluginPath = "/plugins/libasprof-reporter-broken.so";
		auto lane = startLane("throws", control, settings);
		lane->enqueue(profile(1));
		lane->enqueue(profile(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 1; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5))); // nothing left: one delivered, one failed

		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), status.failed);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), status.delivered);
		CPPUNIT_ASSERT_EQUAL(
			std::size_t(1), log.count("[reporter.throws] (/plugins/libasprof-reporter-broken.so) threw from report(): helper blew up"));
	}

	void testExceptionWithANullMessageIsStillJustAFail()
	{
		struct NullMessage: std::exception
		{
			const char* what() const noexcept override
			{
				return nullptr;
			}
		};
		auto control = std::make_shared<ReporterControl>();
		control->onCall(1, []() { throw NullMessage(); });
		auto lane = startLane("null-what", control, fastRetries());
		lane->enqueue(profile(1));
		lane->enqueue(profile(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 1; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), lane->status().failed);
		CPPUNIT_ASSERT(lane->status().lastError.find("an exception with a null message") != std::string::npos);
	}

	void testMetadataWithControlCharactersFallsThrough()
	{
		struct ForgedKind: asprof::sdk::MetadataProvider
		{
			void configure(asprof::sdk::PluginContext&) override
			{
			}

			asprof::sdk::HostMetadata detect() override
			{
				asprof::sdk::HostMetadata host;
				host.kind = "evil\r\nkind";
				return host;
			}
		};
		LogCapture log("asprof.agent", Poco::Message::PRIO_WARNING);
		std::vector<MetadataResolver::Candidate> candidates;
		candidates.push_back(MetadataResolver::Candidate{"forged", std::make_unique<ForgedKind>(), {}});
		MetadataResolver resolver(std::move(candidates));
		CPPUNIT_ASSERT_EQUAL(std::string("onprem"), resolver.resolve().kind);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("its kind contains control characters"));
	}

	void testReporterThatEndsItsThreadLeavesTheHostRunning()
	{
		// pthread_exit() inside report(): that thread ends (swallowing the
		// forced unwind would abort the process); stop counts what is left.
		LogCapture log("asprof.lane.exits", Poco::Message::PRIO_ERROR);
		auto control = std::make_shared<ReporterControl>();
		control->onCall(1, []() { ::pthread_exit(nullptr); });
		auto lane = startLane("exits", control, fastRetries());
		lane->enqueue(profile(1));
		lane->enqueue(profile(2));
		CPPUNIT_ASSERT(control->waitForEntered(1));
		CPPUNIT_ASSERT(waitUntil([&]() { return log.count("a plugin ended this thread") == 1; }));
		CPPUNIT_ASSERT(!lane->stop(seconds(2)));
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), status.droppedAtStop); // the one in flight and the one behind it
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), status.queued);
	}

	void testStopWaitsForASlowFirstMetadataDetection()
	{
		// A program that lives less than an interval: its only profile is still
		// in intake (metadata takes 1.5 s) when stop begins.
		auto control = std::make_shared<ReporterControl>();
		TestMetadata* metadata = nullptr;
		auto lane = startLane("slow-metadata", control, fastRetries(), assemblerWith(metadata, milliseconds(1500)));
		lane->enqueue(profile(1));
		CPPUNIT_ASSERT(lane->stop(seconds(10)));
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), status.delivered);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.droppedAtStop);
	}

	void testProfileInIntakeAtTheDeadlineIsCounted()
	{
		TemporaryDirectory directory;
		auto control = std::make_shared<ReporterControl>();
		TestMetadata* metadata = nullptr;
		LaneSettings settings = fastRetries();
		settings.spoolDir = directory.file("spool");
		auto lane = startLane("intake-deadline", control, settings, assemblerWith(metadata, seconds(2)));
		lane->enqueue(profile(1));
		lane->enqueue(profile(2));
		auto before = Clock::now();
		CPPUNIT_ASSERT(!lane->stop(milliseconds(300)));
		CPPUNIT_ASSERT(millisecondsBetween(before, Clock::now()) < 1500);
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), status.droppedAtStop); // one in intake, one arriving: neither on disk
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), status.queued);

		// The spool is released at once: the same directory can be used again
		// in this process, and the abandoned intake never writes into it.
		auto next = startLane("intake-deadline-2", std::make_shared<ReporterControl>(), settings);
		lane.reset();
		CPPUNIT_ASSERT(control->waitUntilDestroyed()); // the abandoned threads are done: detect() returned, the write was refused
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), spoolFiles(settings.spoolDir).size());
		CPPUNIT_ASSERT(next->stop(seconds(5)));
	}

	void testSpoolIsReleasedAfterAnAbandonedStop()
	{
		TemporaryDirectory directory;
		auto control = std::make_shared<ReporterControl>();
		control->closeGate();
		OpenGateOnExit openGate(control);
		LaneSettings settings = fastRetries();
		settings.spoolDir = directory.file("spool");
		auto lane = startLane("abandoned", control, settings);
		lane->enqueue(profile(1));
		lane->enqueue(profile(2));
		CPPUNIT_ASSERT(control->waitForEntered(1));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().spooled == 2; }));
		CPPUNIT_ASSERT(!lane->stop(milliseconds(200)));
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), status.leftInSpool); // both safe on disk
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.droppedAtStop);

		// A new lane on the same directory, in the same process, replays both.
		auto replayControl = std::make_shared<ReporterControl>();
		auto next = startLane("abandoned-2", replayControl, settings);
		CPPUNIT_ASSERT(waitUntil([&]() { return next->status().delivered == 2; }));
		CPPUNIT_ASSERT(next->stop(seconds(5)));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), next->status().recovered);
		control->openGate(); // the abandoned report() returns Ok: the spool is not touched again
		CPPUNIT_ASSERT(control->waitForReturned(1));
		CPPUNIT_ASSERT_EQUAL(text({1, 2}), text(replayControl->allSeqs()));
	}

	void testBackoffUsesTheInjectedClockAndRandomSource()
	{
		auto control = std::make_shared<ReporterControl>();
		control->answer(ReportResult::retry("timeout"));
		LaneSettings settings;
		settings.retryInitialBackoff = seconds(1);
		settings.retryMaxBackoff = seconds(30);
		settings.retryMaxAttempts = 8;
		auto clock = std::make_shared<ManualClock>();
		LaneSeams seams;
		seams.clock = clock;
		seams.random = []() { return 0.5; };
		auto lane = startLane("manual-clock", control, settings, nullptr, seams);
		lane->enqueue(profile(1));
		// Seven backoffs of up to 30 s each: instant with the manual clock.
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().failed == 1; }, seconds(5)));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));
		std::vector<long> waits;
		for (auto wait : clock->waits) waits.push_back(static_cast<long>(wait.count() / 1000));
		// Half of min(30 s, 1 s * 2^attempt), attempt 0..6.
		CPPUNIT_ASSERT_EQUAL(std::string("500 1000 2000 4000 8000 15000 15000"), [&]() {
			std::string text;
			for (auto ms : waits) text += (text.empty() ? "" : " ") + std::to_string(ms);
			return text;
		}());
	}

	void testSpoolHoldsEveryProfileUntilDelivered()
	{
		TemporaryDirectory directory;
		auto control = std::make_shared<ReporterControl>();
		LaneSettings settings = fastRetries();
		settings.spoolDir = directory.file("spool");
		control->answer(ReportResult::retry("backend down"));
		control->checkSpoolEntriesIn(settings.spoolDir);
		auto lane = startLane("spool-hold", control, settings);
		for (std::uint64_t seq = 1; seq <= 5; ++seq) lane->enqueue(profile(seq));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().spooled == 5; }));

		std::vector<std::string> expected;
		for (std::uint64_t seq = 1; seq <= 5; ++seq)
		{
			expected.push_back(Spool::fileName(spoolId(seq), ".jfr"));
			expected.push_back(Spool::fileName(spoolId(seq), ".json"));
		}
		CPPUNIT_ASSERT(expected == spoolFiles(settings.spoolDir));
		const std::string recording = readFile(dataFile(JFR));
		for (std::uint64_t seq = 1; seq <= 5; ++seq)
			CPPUNIT_ASSERT(recording == readFile(settings.spoolDir + "/" + Spool::fileName(spoolId(seq), ".jfr")));
		CPPUNIT_ASSERT_EQUAL(std::size_t(5), lane->status().spoolEntries);

		control->answer(ReportResult::ok());
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 5; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));
		CPPUNIT_ASSERT_EQUAL(text(range(1, 5)), text(control->seqs(Status::Ok)));
		for (const auto& call : control->calls()) CPPUNIT_ASSERT(call.spoolEntryExisted); // on disk before delivery began
		CPPUNIT_ASSERT(spoolFiles(settings.spoolDir).empty());
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), status.spoolEntries);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.spoolBytes);
	}

	void testSpoolTakesArrivalsWhileReporterIsBusy()
	{
		// With a spool, a queue overflow goes to disk (DESIGN 2.5), also while
		// report() takes long (a slow upload), so kill -9 loses at most the
		// recording in progress.
		TemporaryDirectory directory;
		auto control = std::make_shared<ReporterControl>();
		LaneSettings settings = fastRetries();
		settings.spoolDir = directory.file("spool");
		settings.queueCapacity = 2;
		control->closeGate();
		auto lane = startLane("spool-busy", control, settings);
		OpenGateOnExit openGate(control);
		lane->enqueue(profile(1));
		CPPUNIT_ASSERT(control->waitForEntered(1));
		bool spooledWhileBusy = true;
		for (std::uint64_t seq = 2; seq <= 6; ++seq)
		{
			lane->enqueue(profile(seq));
			if (spooledWhileBusy) spooledWhileBusy = waitUntil([&]() { return lane->status().spooled == seq; }, seconds(3));
		}
		std::size_t filesWhileBusy = spoolFiles(settings.spoolDir).size();
		control->openGate();
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().queued == 0; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		CPPUNIT_ASSERT_MESSAGE("spool files while busy: " + std::to_string(filesWhileBusy), spooledWhileBusy);
		CPPUNIT_ASSERT_EQUAL(text(range(1, 6)), text(control->seqs(Status::Ok)));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), lane->status().droppedQueueFull);
	}

	void testSpoolReplaysOldestFirstAtNextStart()
	{
		TemporaryDirectory directory;
		LaneSettings settings = fastRetries();
		settings.spoolDir = directory.file("spool");
		{
			auto control = std::make_shared<ReporterControl>();
			control->answer(ReportResult::retry("backend down"));
			auto lane = startLane("replay", control, settings);
			for (std::uint64_t seq = 1; seq <= 4; ++seq) lane->enqueue(profile(seq));
			CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().spooled == 4; }));

			auto before = Clock::now();
			CPPUNIT_ASSERT(!lane->stop(seconds(5))); // parked: the entries wait on disk
			long elapsed = millisecondsBetween(before, Clock::now());
			CPPUNIT_ASSERT_MESSAGE("stop took " + std::to_string(elapsed) + " ms", elapsed < 4000);
			LaneStatus status = lane->status();
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.droppedAtStop);
			CPPUNIT_ASSERT_EQUAL(std::size_t(4), status.spoolEntries);
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.delivered);
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(8), spoolFiles(settings.spoolDir).size());

		auto control = std::make_shared<ReporterControl>();
		auto lane = startLane("replay", control, settings);
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 4; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));
		CPPUNIT_ASSERT_EQUAL(text(range(1, 4)), text(control->seqs(Status::Ok)));
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.enqueued);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), status.replayed);
		CPPUNIT_ASSERT_EQUAL(4 * JFR_BYTES, status.bytesDelivered);
		CPPUNIT_ASSERT(spoolFiles(settings.spoolDir).empty());
	}

	void testSpoolCapsHoldUnderLongOutage()
	{
		TemporaryDirectory directory;
		auto control = std::make_shared<ReporterControl>();
		LaneSettings settings = fastRetries();
		settings.spoolDir = directory.file("spool");
		settings.spoolMaxBytes = 3 * (JFR_BYTES + 600); // three entries (recording + ~350 bytes of JSON)
		control->answer(ReportResult::retry("backend down"));
		control->checkSpoolEntriesIn(settings.spoolDir);
		auto lane = startLane("spool-caps", control, settings);
		for (std::uint64_t seq = 1; seq <= 20; ++seq)
		{
			lane->enqueue(profile(seq));
			CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().spooled == seq; }));
			LaneStatus status = lane->status();
			CPPUNIT_ASSERT_MESSAGE(
				std::to_string(status.spoolBytes) + " bytes after seq " + std::to_string(seq), status.spoolBytes <= settings.spoolMaxBytes);
			CPPUNIT_ASSERT(status.spoolEntries <= 3);
		}

		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), status.spoolEntries);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(20 - status.spoolEntries), status.droppedSpoolFull);
		CPPUNIT_ASSERT_EQUAL(status.spoolBytes, entryBytesOnDisk(settings.spoolDir));
		CPPUNIT_ASSERT(entryBytesOnDisk(settings.spoolDir) <= settings.spoolMaxBytes);
		std::vector<std::string> expected;
		for (std::uint64_t seq = 18; seq <= 20; ++seq)
		{
			expected.push_back(Spool::fileName(spoolId(seq), ".jfr"));
			expected.push_back(Spool::fileName(spoolId(seq), ".json"));
		}
		CPPUNIT_ASSERT(expected == spoolFiles(settings.spoolDir));

		// Recover once the lane is retrying an entry that is still spooled (a
		// call for an evicted one is testProfileEvictedFromSpoolIsNotReportedAgain's matter).
		std::size_t callsSoFar = control->calls().size();
		CPPUNIT_ASSERT(control->waitFor([&](const std::vector<Call>& calls) {
			for (std::size_t i = callsSoFar; i < calls.size(); ++i)
			{
				if (calls[i].spoolEntryExisted) return true;
			}
			return false;
		}));
		control->answer(ReportResult::ok());
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().queued == 0; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));
		CPPUNIT_ASSERT_EQUAL(text(range(18, 20)), text(control->seqs(Status::Ok)));
		CPPUNIT_ASSERT(spoolFiles(settings.spoolDir).empty());
	}

	void testProfileEvictedFromSpoolIsNotReportedAgain()
	{
		// The spool's cap holds one entry. Seq 1 waits in a long backoff when
		// seq 2 arrives and evicts it (counted as droppedSpoolFull): seq 1 is
		// gone and must not be reported (and counted delivered) afterwards.
		TemporaryDirectory directory;
		auto control = std::make_shared<ReporterControl>();
		LaneSettings settings;
		settings.spoolDir = directory.file("spool");
		settings.spoolMaxBytes = JFR_BYTES + JFR_BYTES / 2;
		settings.retryInitialBackoff = seconds(30);
		settings.retryMaxBackoff = seconds(30);
		control->answer(ReportResult::retry("backend down", seconds(30)));
		auto lane = startLane("evicted", control, settings);
		lane->enqueue(profile(1));
		CPPUNIT_ASSERT(control->waitForReturned(1));
		lane->enqueue(profile(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().droppedSpoolFull == 1; }));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), lane->status().spoolEntries);

		control->answer(ReportResult::ok());
		CPPUNIT_ASSERT(lane->stop(seconds(5))); // wakes a backoff of seq 2, if it got one meanwhile
		// Seq 1 left its backoff when it was evicted, and was never reported again.
		std::vector<std::uint64_t> seqs = control->allSeqs();
		CPPUNIT_ASSERT_EQUAL(std::ptrdiff_t(1), std::count(seqs.begin(), seqs.end(), std::uint64_t(1)));
		CPPUNIT_ASSERT_EQUAL(text({2}), text(control->seqs(Status::Ok)));
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), status.delivered);
		CPPUNIT_ASSERT_EQUAL(status.enqueued, status.delivered + status.droppedSpoolFull);
	}

	void testExpiredEntriesAreDroppedAtOpen()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		leaveEntries(spoolDir, 4);
		std::time_t twoDaysAgo = std::time(nullptr) - 2 * 24 * 3600;
		for (std::uint64_t seq = 1; seq <= 3; ++seq) setWrittenTime(spoolDir, seq, twoDaysAgo);

		auto control = std::make_shared<ReporterControl>();
		LaneSettings settings = fastRetries();
		settings.spoolDir = spoolDir;
		settings.spoolMaxAge = Poco::Timespan(24 * Poco::Timespan::HOURS);
		auto lane = startLane("expired", control, settings);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), lane->status().droppedExpired);
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 1; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));
		CPPUNIT_ASSERT_EQUAL(text({4}), text(control->allSeqs())); // only the fresh one
		CPPUNIT_ASSERT(spoolFiles(spoolDir).empty());
	}

	void testCorruptEntryIsMovedAsideNotFatal()
	{
		TemporaryDirectory directory;
		const std::string spoolDir = directory.file("spool");
		leaveEntries(spoolDir, 5);
		writeFile(spoolDir + "/" + Spool::fileName(spoolId(2), ".json"), "{\"seq\": 2, \"start"); // garbage metadata
		Poco::File(spoolDir + "/" + Spool::fileName(spoolId(3), ".jfr")).remove();                // metadata without recording
		writeFile(spoolDir + "/" + Spool::fileName(spoolId(4), ".jfr"), "");                      // empty recording

		LogCapture log("asprof.spool", Poco::Message::PRIO_ERROR);
		auto control = std::make_shared<ReporterControl>();
		LaneSettings settings = fastRetries();
		settings.spoolDir = spoolDir;
		auto lane = startLane("corrupt", control, settings);
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().queued == 0; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		CPPUNIT_ASSERT_EQUAL(text({1, 5}), text(control->allSeqs()));
		CPPUNIT_ASSERT(spoolFiles(spoolDir).empty());
		std::vector<std::string> aside = {Spool::fileName(spoolId(2), ".jfr"), Spool::fileName(spoolId(2), ".json"),
			Spool::fileName(spoolId(3), ".json"), Spool::fileName(spoolId(4), ".jfr"), Spool::fileName(spoolId(4), ".json")};
		CPPUNIT_ASSERT(aside == listFiles(spoolDir + "/corrupt"));
		for (std::uint64_t seq = 2; seq <= 4; ++seq) CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count(spoolId(seq)));
	}

	void testSecondLaneCannotShareSpoolDir()
	{
		TemporaryDirectory directory;
		LaneSettings settings = fastRetries();
		settings.spoolDir = directory.file("spool");
		auto firstControl = std::make_shared<ReporterControl>();
		auto first = startLane("owner", firstControl, settings);
		auto second = makeLane("intruder", std::make_shared<ReporterControl>(), settings);
		std::string message;
		try
		{
			second->start();
		}
		catch (Poco::Exception& e)
		{
			message = e.displayText();
		}
		CPPUNIT_ASSERT_MESSAGE(message, message.find(settings.spoolDir) != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(
			message, message.find("in use by another agent (pid " + std::to_string(::getpid()) + ")") != std::string::npos);

		// The owner is unaffected.
		first->enqueue(profile(1));
		CPPUNIT_ASSERT(waitUntil([&]() { return first->status().delivered == 1; }));
		CPPUNIT_ASSERT(first->stop(seconds(5)));
		CPPUNIT_ASSERT(second->stop(seconds(1)));
	}

	void testSpoolDirThatIsAFileIsRefusedAndLeftAlone()
	{
		TemporaryDirectory directory;
		const std::string notADirectory = directory.file("spool");
		writeFile(notADirectory, "someone else's file");
		::chmod(notADirectory.c_str(), 0644);
		LaneSettings settings = fastRetries();
		settings.spoolDir = notADirectory;
		auto lane = makeLane("spool-file", std::make_shared<ReporterControl>(), settings);
		std::string message;
		try
		{
			lane->start();
		}
		catch (Poco::Exception& e)
		{
			message = e.displayText();
		}
		// Observed: "cannot open spool lock <spoolDir>/.lock: Not a directory".
		CPPUNIT_ASSERT_MESSAGE(message, message.find(notADirectory) != std::string::npos);
		CPPUNIT_ASSERT_EQUAL(std::string("someone else's file"), readFile(notADirectory));
		struct stat info;
		CPPUNIT_ASSERT_EQUAL(0, ::stat(notADirectory.c_str(), &info));
		CPPUNIT_ASSERT_EQUAL(0644, static_cast<int>(info.st_mode & 07777)); // a failed start changes nothing
	}

	void testUnwritableSpoolKeepsProfilesInMemory()
	{
		TemporaryDirectory directory;
		auto control = std::make_shared<ReporterControl>();
		LaneSettings settings = fastRetries();
		settings.spoolDir = directory.file("spool");
		LogCapture log("asprof.lane.spool-broken", Poco::Message::PRIO_ERROR);
		auto lane = startLane("spool-broken", control, settings);
		// The spool directory disappears under the running lane (a file now
		// sits at its path, so writes fail even for root).
		Poco::File(settings.spoolDir).remove(true);
		writeFile(settings.spoolDir, "");
		for (std::uint64_t seq = 1; seq <= 3; ++seq) lane->enqueue(profile(seq));
		CPPUNIT_ASSERT(waitUntil([&]() { return lane->status().delivered == 3; }));
		CPPUNIT_ASSERT(lane->stop(seconds(5)));

		CPPUNIT_ASSERT_EQUAL(text(range(1, 3)), text(control->seqs(Status::Ok)));
		LaneStatus status = lane->status();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.spooled);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), status.failed);
		// One cause (the spool directory is broken), one error line; not one per profile.
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.count("cannot write to the spool"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(DeliveryLaneTest);
