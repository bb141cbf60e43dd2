#include "Workload.h"
#include <cerrno>
#include <cmath>
#include <ctime>

// C linkage and noinline so the frames show these plain names.
extern "C" __attribute__((noinline)) double asprof_demo_cpu_burn(const std::atomic<bool>* stop)
{
	double sum = 0;
	for (unsigned long i = 1; !stop->load(std::memory_order_relaxed); ++i)
	{
		sum += std::sqrt(static_cast<double>(i % 10007));
	}
	return sum;
}

extern "C" __attribute__((noinline)) void asprof_demo_sleepy_wait(const std::atomic<bool>* stop)
{
	while (!stop->load(std::memory_order_relaxed))
	{
		struct timespec request = {0, 50 * 1000 * 1000};
		// Wall-clock sampling interrupts sleeps (EINTR): just sleep again.
		while (nanosleep(&request, &request) != 0 && errno == EINTR && !stop->load())
		{
		}
	}
}

namespace asprof {
namespace demo {

void Workload::start()
{
	_stop = false;
	_threads.emplace_back([this]() {
		volatile double sink = asprof_demo_cpu_burn(&_stop);
		(void)sink;
	});
	_threads.emplace_back([this]() { asprof_demo_sleepy_wait(&_stop); });
}

void Workload::stop()
{
	_stop = true;
	for (auto& thread : _threads) thread.join();
	_threads.clear();
}

} // namespace demo
} // namespace asprof
