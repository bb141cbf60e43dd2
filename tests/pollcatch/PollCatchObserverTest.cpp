// PollCatchObserver: a Poco::Net::SocketReactor whose every dispatch to a
// handler is one poll, with the fake libasyncProfiler.so (a sample landing
// is the handler writing its thread's sample counter).
#include "FakeUserEvents.h"
#include "TestSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/PollCatchObserver.h"
#include "Poco/NObserver.h"
#include "Poco/Net/ServerSocket.h"
#include "Poco/Net/SocketNotification.h"
#include "Poco/Net/SocketReactor.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/NotificationCenter.h"
#include "Poco/Observer.h"
#include "Poco/Thread.h"
#include <atomic>
#include <chrono>
#include <cppunit/extensions/HelperMacros.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

using namespace asprof::agent;
using asprof::test::FakeProfilerSetting;
using asprof::test::FakeUserEvents;
using asprof::test::TemporaryDirectory;
using asprof::test::waitUntil;

namespace {

const auto STALL = std::chrono::milliseconds(20);

/// Reads one-byte requests: 's' is a slow one (a 20 ms stall that a
/// sample lands in), anything else is quick.
class Connection
{
public:
	explicit Connection(Poco::Net::StreamSocket socket): _socket(socket)
	{
	}

	void onReadable(const Poco::AutoPtr<Poco::Net::ReadableNotification>&)
	{
		char request = 0;
		if (_socket.receiveBytes(&request, 1) != 1) return;
		thread = static_cast<long>(::syscall(SYS_gettid));
		if (request == 's')
		{
			FakeUserEvents::landSample();
			std::this_thread::sleep_for(STALL); // the handler blocking its reactor
		}
		++handled;
	}

	std::atomic<int> handled{0};
	std::atomic<long> thread{0};

private:
	Poco::Net::StreamSocket _socket;
};

using ReadObserver = Poco::NObserver<Connection, Poco::Net::ReadableNotification>;

/// A reactor on which, once asked, samples land while it waits for its
/// sockets (onTimeout() runs on its thread after a poll() that timed out).
class IdleSampledReactor: public Poco::Net::SocketReactor
{
public:
	IdleSampledReactor(): Poco::Net::SocketReactor(Poco::Timespan(0, 20000))
	{
	}

	std::atomic<bool> sampleWhenIdle{false};
	std::atomic<int> idleSamples{0};

protected:
	void onTimeout() override
	{
		if (sampleWhenIdle)
		{
			FakeUserEvents::landSample();
			++idleSamples;
		}
		Poco::Net::SocketReactor::onTimeout();
	}
};

struct Receiver
{
	void handle(Poco::Notification* notification)
	{
		notification->release(); // Poco::Observer hands over a reference
		FakeUserEvents::landSample();
	}
};

} // namespace

class PollCatchObserverTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PollCatchObserverTest);
	CPPUNIT_TEST(testSlowSocketReactorHandlerIsCaughtAndIdleTimeIsNot);
	CPPUNIT_TEST(testWrapsPlainObserversOfANotificationCenter);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		FakeUserEvents::reset();
	}

	void testSlowSocketReactorHandlerIsCaughtAndIdleTimeIsNot()
	{
		TemporaryDirectory dir;
		Agent agent(
			AgentConfig::fromIni(asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + dir.path() + "\n") +
					"[profiler]\nextraArgs = clock=monotonic\n",
				"pollcatch.ini"));
		agent.start();

		Poco::Net::ServerSocket server(Poco::Net::SocketAddress("127.0.0.1", 0));
		Poco::Net::StreamSocket client(server.address());
		Poco::Net::StreamSocket accepted = server.acceptConnection();
		Connection connection(accepted);
		IdleSampledReactor reactor;
		reactor.addEventHandler(accepted, PollCatchObserver<ReadObserver>(connection, &Connection::onReadable));
		Poco::Thread thread("pc-reactor");
		thread.start(reactor);

		// A quick request, then a slow one: the slow poll alone is recorded
		// (polls run in order, so the quick one was over by then).
		client.sendBytes("q", 1);
		client.sendBytes("s", 1);
		CPPUNIT_ASSERT(waitUntil([&]() { return FakeUserEvents::emitted() >= 1; }));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), FakeUserEvents::emitted());
		asprof::test::FakeEvent slow = FakeUserEvents::last();
		CPPUNIT_ASSERT_EQUAL(connection.thread.load(), slow.thread);
		CPPUNIT_ASSERT(slow.after() - slow.before() >= std::uint64_t(std::chrono::nanoseconds(STALL).count()));

		// A sample that lands while the reactor waits for sockets is idle
		// time, in no poll: the next quick request is not reported.
		reactor.sampleWhenIdle = true;
		CPPUNIT_ASSERT(waitUntil([&]() { return reactor.idleSamples >= 2; }));
		client.sendBytes("q", 1);
		client.sendBytes("s", 1);
		CPPUNIT_ASSERT(waitUntil([&]() { return FakeUserEvents::emitted() >= 2; }));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), FakeUserEvents::emitted());
		CPPUNIT_ASSERT_EQUAL(4, connection.handled.load());

		// The plain observer finds the wrapped one.
		reactor.removeEventHandler(accepted, ReadObserver(connection, &Connection::onReadable));
		CPPUNIT_ASSERT(!reactor.hasEventHandler(accepted, PollCatchObserver<ReadObserver>(connection, &Connection::onReadable)));
		reactor.stop();
		reactor.wakeUp();
		thread.join();
		agent.stop();
	}

	void testWrapsPlainObserversOfANotificationCenter()
	{
		TemporaryDirectory dir;
		Agent agent(AgentConfig::fromIni(
			asprof::test::fakeProfilerIni("[reporter.main]\ntype = capture\ndirectory = " + dir.path() + "\n"), "pollcatch.ini"));
		agent.start();
		Receiver receiver;
		Poco::NotificationCenter center;
		center.addObserver(PollCatchObserver<Poco::Observer<Receiver, Poco::Notification>>(receiver, &Receiver::handle));
		center.postNotification(new Poco::Notification);
		agent.stop();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), FakeUserEvents::emitted());
		CPPUNIT_ASSERT(center.hasObserver(Poco::Observer<Receiver, Poco::Notification>(receiver, &Receiver::handle)));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PollCatchObserverTest);
