//
// pollcatch.cpp
//
// bench-pollcatch: what the PollCatch hooks (asprof/pollcatch.h) cost, in one
// run, side by side:
//   per call     an empty function call; a before/after pair and a PollScope
//                with no agent, with an agent and no sample in the poll, and
//                with a sample in every poll (the event emitted);
//   throughput   a loop of ~1 µs polls (about 1M polls/s) without hooks,
//                with hooks and no agent, and with hooks under the agent,
//                runs interleaved; the hooks' cost in %, target <= 1 %.
// The hooks are libasprof-agent.so's, called like a program calls them (PLT,
// the library's thread-local storage). It prints figures; it never asserts.
//
// Usage: bench-pollcatch [--library=PATH] [--polls=N]
//   The fake libasyncProfiler.so (tests/) by default, whose user-event
//   function is a mutex and a hex dump; with ASPROF_LIB set (or --library=)
//   the given library, recording (at the [profiler] defaults) meanwhile.
//   A sample "lands" when the bench writes the thread's sample counter, as
//   async-profiler does.
//

#include "BenchSupport.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/PollScope.h"
#include "asprof/pollcatch.h"
#include "Poco/Environment.h"
#include "Poco/File.h"
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <iostream>
#include <stdexcept>
#include <string>

namespace agent = asprof::agent;
namespace bench = asprof::bench;

extern "C" __attribute__((noinline)) void asprof_bench_empty(void)
{
	asm volatile("");
}

namespace {

const char* const FAKE_LIBRARY = ASPROF_BENCH_FAKE_PROFILER;
const long CALLS = 10000000;
const int REPEATS = 7;
const double OVERHEAD_TARGET_PERCENT = 1.0;

using Clock = std::chrono::steady_clock;

struct Options
{
	std::string library;
	bool fake = true;
	long polls = 1000000;
};

[[noreturn]] void usage(const std::string& problem)
{
	if (!problem.empty()) std::cerr << "bench-pollcatch: " << problem << "\n";
	std::cerr << "usage: bench-pollcatch [--library=PATH] [--polls=N]\n";
	std::cerr << "  default library: the fake one (" << FAKE_LIBRARY << "), or $ASPROF_LIB when set\n";
	std::exit(problem.empty() ? 0 : 2);
}

Options parseOptions(int argc, char** argv)
{
	Options options;
	options.library = Poco::Environment::get("ASPROF_LIB", "");
	for (int i = 1; i < argc; ++i)
	{
		std::string arg = argv[i];
		if (arg == "--help" || arg == "-h")
			usage("");
		else if (arg.rfind("--library=", 0) == 0)
			options.library = arg.substr(10);
		else if (arg.rfind("--polls=", 0) == 0)
		{
			char* end = nullptr;
			options.polls = std::strtol(arg.c_str() + 8, &end, 10);
			if (*end != '\0' || options.polls < 1000 || options.polls > 100000000) usage("bad --polls: " + arg.substr(8));
		}
		else
			usage("unknown argument: " + arg);
	}
	if (options.library.empty()) options.library = FAKE_LIBRARY;
	options.fake = options.library == FAKE_LIBRARY;
	if (!Poco::File(options.library).exists())
		usage("no library " + options.library + " (build the tests, or set ASPROF_LIB / --library=)");
	return options;
}

// The thread's async-profiler slot, { volatile uint64_t sample_counter; }.
volatile std::uint64_t* sampleCounter(const std::string& library)
{
	void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_NOLOAD);
	void* function = handle ? ::dlsym(handle, "asprof_get_thread_local_data") : nullptr;
	if (!function) throw std::runtime_error(library + " is not loaded or has no asprof_get_thread_local_data");
	return reinterpret_cast<volatile std::uint64_t* (*)()>(function)();
}

// Nanoseconds per call of body, the best of REPEATS runs (the least disturbed).
template <typename Body>
double nanosPerCall(Body body, long calls)
{
	double best = 1e30;
	for (int repeat = 0; repeat < REPEATS; ++repeat)
	{
		auto start = Clock::now();
		for (long i = 0; i < calls; ++i) body();
		best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - start).count() / calls);
	}
	return best;
}

struct CallCosts
{
	double empty = 0;
	double pair = 0;
	double scope = 0;
};

CallCosts callCosts(volatile std::uint64_t* landSampleIn)
{
	CallCosts costs;
	costs.empty = nanosPerCall([]() { asprof_bench_empty(); }, CALLS);
	long calls = landSampleIn ? CALLS / 20 : CALLS; // an event each: slower
	costs.pair = nanosPerCall(
		[&]() {
			asprof_pollcatch_before_poll();
			if (landSampleIn) *landSampleIn += 1;
			asprof_pollcatch_after_poll();
		},
		calls);
	costs.scope = nanosPerCall(
		[&]() {
			agent::PollScope poll;
			if (landSampleIn) *landSampleIn += 1;
		},
		calls);
	return costs;
}

// About 1 µs of work: the poll of the throughput loop.
__attribute__((noinline)) double work(long iterations)
{
	double sum = 0;
	for (long i = 1; i <= iterations; ++i) sum += 1.0 / static_cast<double>(i);
	asm volatile("" ::: "memory"); // a side effect: never merged with the previous call
	return sum;
}

long calibrateWork()
{
	long iterations = 64;
	for (;;)
	{
		auto start = Clock::now();
		volatile double sink = 0;
		for (int i = 0; i < 10000; ++i) sink = sink + work(iterations);
		double nanos = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / 10000;
		if (nanos >= 1000 || iterations > (1L << 24)) return static_cast<long>(static_cast<double>(iterations) * 1000 / nanos);
		iterations *= 2;
	}
}

// Seconds for polls polls of work, with or without the hooks around each.
double loopSeconds(long polls, long iterations, bool hooks)
{
	volatile double sink = 0;
	auto start = Clock::now();
	for (long i = 0; i < polls; ++i)
	{
		if (hooks) asprof_pollcatch_before_poll();
		sink = sink + work(iterations);
		if (hooks) asprof_pollcatch_after_poll();
	}
	return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string agentIni(const Options& options, const std::string& directory)
{
	return "[agent]\nlibrary = " + options.library +
		"\npluginDir = " ASPROF_BENCH_PLUGIN_DIR "\nreportingInterval = 1h\n"
		"reporter = local\nmetadata = onprem\n[reporter.local]\ntype = local\ndirectory = " +
		directory + "\n";
}

void printCosts(const char* name, const CallCosts& costs, const char* note)
{
	std::printf("  %-34s %10.2f %10.2f   %s\n", name, costs.pair, costs.scope, note);
}

} // namespace

int main(int argc, char** argv)
{
	Options options = parseOptions(argc, argv);
	try
	{
		bench::ScratchDirectory scratch("bench-pollcatch");
		std::fprintf(stderr, "bench-pollcatch: per call, no agent...\n");
		CallCosts off = callCosts(nullptr);
		bool enabledWithout = asprof_pollcatch_enabled() != 0;
		long iterations = calibrateWork();

		agent::Agent profiling(agent::AgentConfig::fromIni(agentIni(options, scratch.path()), "bench-pollcatch.ini"));
		profiling.start();
		if (!asprof_pollcatch_enabled()) throw std::runtime_error("the hooks are off under the agent: " + options.library);
		std::fprintf(stderr, "bench-pollcatch: per call, agent...\n");
		CallCosts on = callCosts(nullptr);
		CallCosts sampled = callCosts(sampleCounter(options.library));
		std::fprintf(stderr, "bench-pollcatch: loops of %ld polls (%ld iterations of work each)...\n", options.polls, iterations);

		// Interleaved, so that a neighbour's load hits each variant alike;
		// the best run of each counts.
		// the best run of each counts. Each variant is compared with the
		// plain loop of the same phase (a real profiler samples both).
		double plain = 1e30, hooked = 1e30, plainIdle = 1e30, idle = 1e30;
		for (int repeat = 0; repeat < REPEATS; ++repeat)
		{
			plain = std::min(plain, loopSeconds(options.polls, iterations, false));
			hooked = std::min(hooked, loopSeconds(options.polls, iterations, true));
		}
		profiling.stop();
		for (int repeat = 0; repeat < REPEATS; ++repeat)
		{
			plainIdle = std::min(plainIdle, loopSeconds(options.polls, iterations, false));
			idle = std::min(idle, loopSeconds(options.polls, iterations, true));
		}
		double overhead = (hooked / plain - 1) * 100;
		double idleOverhead = (idle / plainIdle - 1) * 100;

		std::printf("bench-pollcatch: library %s%s\n", options.library.c_str(), options.fake ? " (the fake one)" : "");
		std::printf("\n  %-34s %10s %10s\n", "ns per call (best of 7)", "pair", "PollScope");
		std::printf("  %-34s %10.2f\n", "empty function call", off.empty);
		printCosts("hooks, no agent", off, enabledWithout ? "(hooks were on!)" : "one load and a branch per hook");
		printCosts("hooks, agent, no sample in the poll", on, "clock read + thread-local slot");
		printCosts("hooks, agent, a sample in every poll", sampled,
			options.fake ? "+ the fake's emit (a mutex, a hex dump)" : "+ async-profiler's emit");
		// What the pairs cost per poll by the figures above, next to what the
		// loop measured (which the CPU's overlap of the hooks with the work,
		// and a neighbour's noise of about 1 %, blur).
		double pollNanos = plain * 1e9 / options.polls;
		std::printf("\n  %-34s %12s %10s %14s\n", "loop of ~1 µs polls (best of 7)", "polls/s", "cost", "pair / poll");
		std::printf("  %-34s %12.0f\n", "no hooks, no agent", options.polls / plainIdle);
		std::printf(
			"  %-34s %12.0f %9.2f %% %12.2f %%\n", "hooks, no agent", options.polls / idle, idleOverhead, 100 * off.pair / pollNanos);
		std::printf("  %-34s %12.0f\n", "no hooks, agent recording", options.polls / plain);
		std::printf("  %-34s %12.0f %9.2f %% %12.2f %%   target <= %.0f %%\n", "hooks, agent recording", options.polls / hooked, overhead,
			100 * on.pair / pollNanos, OVERHEAD_TARGET_PERCENT);
		std::printf("RESULT empty_call_ns=%.2f pair_off_ns=%.2f pair_on_ns=%.2f pair_sampled_ns=%.2f scope_on_ns=%.2f "
					"loop_polls_per_s=%.0f loop_cost_pct=%.2f loop_cost_off_pct=%.2f pair_per_poll_pct=%.2f\n",
			off.empty, off.pair, on.pair, sampled.pair, on.scope, options.polls / plain, overhead, idleOverhead, 100 * on.pair / pollNanos);
	}
	catch (std::exception& e)
	{
		std::cerr << "bench-pollcatch: " << e.what() << std::endl;
		return 1;
	}
	return 0;
}
