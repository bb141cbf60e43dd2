//
// DeliveryPropertyTest.cpp
//
// Random runs of a delivery lane: reporters that answer Ok, Retry, Fail,
// throw, are slow or hang; metadata that is slow or throws; random queue
// sizes, spool or not, and a random stop deadline. Whatever happens, after
// stop every profile the lane received is in exactly one final counter, and
// with a spool, exactly the profiles counted leftInSpool are on disk for the
// next start (which recovers them).
//
// CI runs a fixed set of seeds. More:
//   ASPROF_DELIVERY_SEEDS=<first>:<count> build-test/bin/delivery-tests DeliveryPropertyTest
//

#include "DeliveryLane.h"
#include "MetadataResolver.h"
#include "ProfileAssembler.h"
#include "TestSupport.h"
#include "asprof/agent/AgentConfig.h"
#include "asprof/sdk/MetadataProvider.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Environment.h"
#include "Poco/File.h"
#include "Poco/NumberParser.h"
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

using namespace asprof;
using agent::DeliveryLane;
using agent::LaneSettings;
using agent::LaneStatus;
using sdk::ReportResult;

namespace {

const std::uint64_t DEFAULT_FIRST_SEED = 20261129;
const int DEFAULT_SEED_COUNT = 24;

/// Holds hanging calls until opened (after the stop under test).
class Gate
{
public:
	void wait()
	{
		std::unique_lock<std::mutex> lock(_mutex);
		_opened.wait(lock, [&]() { return _open; });
	}

	void open()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_open = true;
		_opened.notify_all();
	}

private:
	std::mutex _mutex;
	std::condition_variable _opened;
	bool _open = false;
};

enum class Behaviour
{
	Ok,
	Retry,
	Fail,
	ThrowStd,
	ThrowOther,
	Slow,
	Hang
};

/// What the test and the lane's plugins share; outlives abandoned threads.
struct Shared
{
	std::mutex mutex;
	std::mt19937_64 random;
	Gate gate;
	std::condition_variable destroyed;
	bool reporterGone = false;

	Behaviour next()
	{
		std::lock_guard<std::mutex> lock(mutex);
		static const Behaviour choices[] = {Behaviour::Ok, Behaviour::Ok, Behaviour::Ok, Behaviour::Retry, Behaviour::Retry,
			Behaviour::Fail, Behaviour::ThrowStd, Behaviour::ThrowOther, Behaviour::Slow, Behaviour::Hang};
		return choices[random() % (sizeof(choices) / sizeof(choices[0]))];
	}

	int below(int limit)
	{
		std::lock_guard<std::mutex> lock(mutex);
		return static_cast<int>(random() % static_cast<std::uint64_t>(limit));
	}
};

class RandomReporter: public sdk::Reporter
{
public:
	explicit RandomReporter(std::shared_ptr<Shared> shared): _shared(std::move(shared))
	{
	}

	~RandomReporter() override
	{
		std::lock_guard<std::mutex> lock(_shared->mutex);
		_shared->reporterGone = true;
		_shared->destroyed.notify_all();
	}

	void configure(sdk::PluginContext&) override
	{
	}

	ReportResult report(const sdk::Profile&) override
	{
		switch (_shared->next())
		{
		case Behaviour::Ok: return ReportResult::ok();
		case Behaviour::Retry: return ReportResult::retry("503");
		case Behaviour::Fail: return ReportResult::fail("400");
		case Behaviour::ThrowStd: throw std::runtime_error("reporter bug");
		case Behaviour::ThrowOther: throw 42;
		case Behaviour::Slow: std::this_thread::sleep_for(std::chrono::milliseconds(_shared->below(30))); return ReportResult::ok();
		case Behaviour::Hang: _shared->gate.wait(); return ReportResult::ok();
		}
		return ReportResult::ok();
	}

private:
	std::shared_ptr<Shared> _shared;
};

class RandomMetadata: public sdk::MetadataProvider
{
public:
	RandomMetadata(std::shared_ptr<Shared> shared, int delayMs, bool fails): _shared(std::move(shared)), _delayMs(delayMs), _fails(fails)
	{
	}

	void configure(sdk::PluginContext&) override
	{
	}

	sdk::HostMetadata detect() override
	{
		std::this_thread::sleep_for(std::chrono::milliseconds(_delayMs));
		if (_fails) throw std::runtime_error("metadata endpoint exploded");
		sdk::HostMetadata host;
		host.kind = "random";
		return host;
	}

private:
	std::shared_ptr<Shared> _shared;
	int _delayMs;
	bool _fails;
};

std::string describe(const LaneStatus& status)
{
	return "received " + std::to_string(status.received()) + " (enqueued " + std::to_string(status.enqueued) + ", recovered " +
		std::to_string(status.recovered) + "), delivered " + std::to_string(status.delivered) + ", failed " +
		std::to_string(status.failed) + ", dropped " + std::to_string(status.dropped()) + " (at stop " +
		std::to_string(status.droppedAtStop) + "), left in spool " + std::to_string(status.leftInSpool) + ", queued " +
		std::to_string(status.queued);
}

std::size_t entriesOnDisk(const std::string& directory)
{
	std::size_t entries = 0;
	if (!Poco::File(directory).exists()) return 0;
	for (const auto& name : test::listFiles(directory))
		entries += name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0 ? 1 : 0;
	return entries;
}

void runOnce(std::uint64_t seed)
{
	const std::string context = "seed " + std::to_string(seed) + ": ";
	auto shared = std::make_shared<Shared>();
	shared->random.seed(seed);
	test::TemporaryDirectory directory;
	LaneSettings settings;
	settings.queueCapacity = static_cast<std::size_t>(1 + shared->below(4));
	settings.retryInitialBackoff = Poco::Timespan(1000 * (1 + shared->below(3)));
	settings.retryMaxBackoff = Poco::Timespan(5000);
	settings.retryMaxAttempts = 1 + shared->below(4);
	bool withSpool = shared->below(2) == 1;
	if (withSpool) settings.spoolDir = directory.file("spool");

	std::vector<agent::MetadataResolver::Candidate> candidates;
	candidates.push_back(
		{"random", std::make_unique<RandomMetadata>(shared, shared->below(4) == 0 ? shared->below(300) : 0, shared->below(5) == 0), {}});
	agent::AgentConfig config = agent::AgentConfig::fromIni("[agent]\n", "property.ini");
	auto assembler =
		std::make_shared<const agent::ProfileAssembler>(config, std::make_shared<agent::MetadataResolver>(std::move(candidates)));

	auto lane = std::make_unique<DeliveryLane>("property", std::make_unique<RandomReporter>(shared), settings, assembler);
	lane->start();
	int profiles = 1 + shared->below(12);
	for (int seq = 1; seq <= profiles; ++seq)
	{
		lane->enqueue(std::make_shared<const sdk::Profile>(test::makeProfile("cpu-wall.jfr", static_cast<std::uint64_t>(seq))));
		std::this_thread::sleep_for(std::chrono::milliseconds(shared->below(15)));
	}
	Poco::Timespan deadline(1000 * shared->below(400));
	auto before = std::chrono::steady_clock::now();
	bool complete = lane->stop(deadline);
	auto elapsed = std::chrono::steady_clock::now() - before;

	LaneStatus stopped = lane->status();
	CPPUNIT_ASSERT_MESSAGE(
		context + "stop overran its deadline", elapsed < std::chrono::microseconds(deadline.totalMicroseconds()) + std::chrono::seconds(2));
	CPPUNIT_ASSERT_EQUAL_MESSAGE(context + describe(stopped), std::uint64_t(profiles), stopped.enqueued);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(context + describe(stopped), std::size_t(0), stopped.queued);
	CPPUNIT_ASSERT_EQUAL_MESSAGE(context + describe(stopped), stopped.received(), stopped.settled());
	CPPUNIT_ASSERT_MESSAGE(context + "stop said complete but left profiles: " + describe(stopped),
		!complete || stopped.leftInSpool + stopped.droppedAtStop == 0);
	if (!withSpool) CPPUNIT_ASSERT_EQUAL_MESSAGE(context + describe(stopped), std::uint64_t(0), stopped.leftInSpool);

	// Let abandoned threads finish: they must not change a counter or the spool.
	shared->gate.open();
	lane.reset();
	{
		std::unique_lock<std::mutex> lock(shared->mutex);
		CPPUNIT_ASSERT_MESSAGE(context + "an abandoned thread never ended",
			shared->destroyed.wait_for(lock, std::chrono::seconds(20), [&]() { return shared->reporterGone; }));
	}
	if (!withSpool) return;
	CPPUNIT_ASSERT_EQUAL_MESSAGE(
		context + "spool entries vs leftInSpool; " + describe(stopped), std::size_t(stopped.leftInSpool), entriesOnDisk(settings.spoolDir));

	// The next start recovers exactly those, and delivers them.
	auto replay = std::make_shared<Shared>();
	replay->random.seed(seed);
	replay->gate.open();
	DeliveryLane next("property-next", std::make_unique<RandomReporter>(replay), settings);
	next.start();
	CPPUNIT_ASSERT_EQUAL_MESSAGE(context, stopped.leftInSpool, next.status().recovered);
	next.stop(Poco::Timespan(5, 0));
	LaneStatus after = next.status();
	CPPUNIT_ASSERT_EQUAL_MESSAGE(context + describe(after), after.received(), after.settled());
}

} // namespace

class DeliveryPropertyTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(DeliveryPropertyTest);
	CPPUNIT_TEST(testEveryProfileEndsInExactlyOneCounterWhateverHappens);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEveryProfileEndsInExactlyOneCounterWhateverHappens()
	{
		std::uint64_t first = DEFAULT_FIRST_SEED;
		int count = DEFAULT_SEED_COUNT;
		std::string seeds = Poco::Environment::get("ASPROF_DELIVERY_SEEDS", "");
		if (!seeds.empty())
		{
			std::size_t colon = seeds.find(':');
			first = Poco::NumberParser::parseUnsigned64(seeds.substr(0, colon));
			count = colon == std::string::npos ? 1 : Poco::NumberParser::parse(seeds.substr(colon + 1));
		}
		for (int i = 0; i < count; ++i) runOnce(first + static_cast<std::uint64_t>(i));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(DeliveryPropertyTest);
