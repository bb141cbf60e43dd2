//
// Workload.h
//
// The demo's work: functions with distinctive names to find in the profiles.
//

#ifndef Asprof_Demo_Workload_INCLUDED
#define Asprof_Demo_Workload_INCLUDED

#include <atomic>
#include <thread>
#include <vector>

namespace asprof {
namespace demo {

/// One CPU-bound thread (asprof_demo_cpu_burn) and one thread that
/// mostly sleeps (asprof_demo_sleepy_wait), until stop().
class Workload
{
public:
	void start();
	void stop();

private:
	std::atomic<bool> _stop{false};
	std::vector<std::thread> _threads;
};

} // namespace demo
} // namespace asprof

#endif // Asprof_Demo_Workload_INCLUDED
