//
// rotation.cpp
//
// bench-rotation: what one rotation costs (DESIGN section 8), measured in one
// run, side by side. Every figure prints next to async-profiler alone; none
// is asserted.
//   start and footprint  fresh processes, alternating: async-profiler alone
//             (load, init, start) next to Agent::start() with the local and
//             the s3 reporter: the time to the first recording, and RSS.
//   cost table  per recording size (the fake writes 20 KB, 200 KB and 2 MB
//             of real async-profiler chunks; the real library: what it
//             records), back-to-back rotations, each delivered before the
//             next: async-profiler alone (bare stop + start pairs, bare
//             dumps: the calling thread's CPU and wall time) next to the
//             agent (ProfilingLoop + Delivery to the local reporter plugin,
//             format jfr, its default, then zip) with each rotation strategy.
//             The agent's CPU comes from its own threads' clocks only (the
//             asprof-* threads' schedstat): the control thread, the lane, the
//             metadata thread; never the bench's own polling thread.
//             "own" is that less async-profiler's calls alone; the first and
//             the last tenth of the run show whether it stays flat.
//   sampling gap  for both strategies, at 10, 100 and 1000 busy threads, from
//             the samples themselves (SamplingGap.h): a busy thread's last CPU
//             sample before the switch to its first after it, less the
//             sampling interval; also merged over all busy threads, and at the
//             middle of an interval as a control. Real library only (the
//             fake's samples are canned).
//   profiler memory  async-profiler's own memory (its "metrics") after 1,
//             10, 100 and --memory-rotations chunk switches with 100 busy
//             threads, in one file and with the default restart bound.
//             Real library only.
//   delivery  the CPU a lane's thread spends on one recording before sending:
//             the zip (ProfileArchive, the s3/local/http zip path) next to the
//             http reporter's pprof conversion (format = pprof and pyroscope:
//             one gzipped pprof per event type), on the same recording,
//             measured with the thread's own CPU clock.
//
// Usage: bench-rotation [--rotations=N] [--library=PATH] [--gap-threads=10,100,1000]
//                       [--gap-rotations=N] [--gap-strategies=alone-restart,restart,alone-dump,dump]
//                       [--gap-only] [--memory-rotations=N]
//   --gap-only: the sampling gap and the memory only (no start or cost table).
//   The fake libasyncProfiler.so (tests/) by default; with ASPROF_LIB set (or
//   --library=) the given library instead. N rotations per figure (default
//   1000 with the fake, 50 with a real library).
//

#include "AsyncProfiler.h"
#include "BenchSupport.h"
#include "asprof/sdk/ProfileArchive.h"
#ifdef ASPROF_BENCH_WITH_PPROF
#include "PprofDelivery.h"
#endif
#include "Delivery.h"
#include "PluginRegistry.h"
#include "FileRecording.h"
#include "ProfilingLoop.h"
#include "SamplingGap.h"
#include "asprof/agent/Agent.h"
#include "asprof/agent/AgentConfig.h"
#include "Poco/Pipe.h"
#include "Poco/PipeStream.h"
#include "Poco/Process.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Logger.h"
#include "Poco/Path.h"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <dlfcn.h>
#include <fstream>
#include <iterator>
#include <map>
#include <pthread.h>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace agent = asprof::agent;
namespace bench = asprof::bench;
namespace sdk = asprof::sdk;

namespace {

const char* const FAKE_LIBRARY = ASPROF_BENCH_FAKE_PROFILER;
// A real 109 KB async-profiler recording (deflates like production ones).
const char* const SAMPLE_JFR = ASPROF_BENCH_DATA_DIR "/pollcatch.jfr";
const Poco::Timespan CALL_TIMEOUT(60 * Poco::Timespan::SECONDS);
const Poco::Timespan DELIVERY_TIMEOUT(120 * Poco::Timespan::SECONDS);

using Clock = std::chrono::steady_clock;

struct Options
{
	std::string library;
	bool fake = true;
	int rotations = 0;
	std::vector<int> gapThreads = {10, 100, 1000};
	int memoryRotations = 1000;
	int gapRotations = 4;
	std::vector<std::string> gapStrategies = {"alone-restart", "restart", "alone-dump", "dump"};
	bool costs = true; ///< the start and cost tables
};

// One recording size of the cost table: the fake writes this JFR per interval.
struct RecordingSize
{
	std::string label; ///< "20KB", "200KB", "2MB"
	std::string path;  ///< empty: what the real library records
};

struct BaselineResult
{
	bench::Samples gap;        ///< stop returned -> start called, µs
	bench::Samples pair;       ///< stop called -> start returned, µs
	bench::Samples dump;       ///< one dump call, µs
	double cpuPerPairUs = 0;   ///< the calling thread's CPU in one stop + start pair
	double cpuPerDumpUs = 0;   ///< the calling thread's CPU in one dump
	long rssAfterStartKiB = 0; ///< async-profiler alone, recording
};

struct AgentResult
{
	std::string strategy;      ///< as the loop reported it
	bench::Samples gap;        ///< LoopStatistics::lastGapNanos (restart) or lastSwitchNanos (dump), in µs
	bench::Samples roundTrip;  ///< rotateNow() as seen by the caller, µs
	bench::Samples controlCpu; ///< asprof-control's CPU per rotation (async-profiler's calls included), µs
	bench::Samples agentCpu;   ///< every asprof-* thread's CPU per rotation, delivery included, µs
	std::uint64_t recordings = 0;
	std::uint64_t bytesRecorded = 0;
	std::uint64_t archiveBytes = 0;
	std::uint64_t archives = 0;
	long rssAfterWarmUpKiB = 0; ///< libasyncProfiler and the agent set up
	long rssGrowthKiB = 0;      ///< after all rotations, delivered
};

double micros(Clock::duration duration)
{
	return std::chrono::duration<double, std::micro>(duration).count();
}

// The agent's threads are all named asprof-* (docs/embedding.md#threads);
// the sampling-gap run's busy threads are asprof-busy, not the agent's.
double agentThreadsCpuMicros()
{
	return bench::threadsCpuMicros("asprof-", "asprof-busy");
}

double controlThreadCpuMicros()
{
	return bench::threadsCpuMicros("asprof-control");
}

[[noreturn]] void usage(const std::string& problem)
{
	if (!problem.empty()) std::cerr << "bench-rotation: " << problem << "\n";
	std::cerr << "usage: bench-rotation [--rotations=N] [--library=PATH] [--gap-threads=10,100,1000] [--gap-rotations=N]\n"
				 "                      [--gap-strategies=alone-restart,restart,alone-dump,dump] [--gap-only]\n"
				 "                      [--memory-rotations=N]\n";
	std::cerr << "  default library: the fake one (" << FAKE_LIBRARY << "),\n";
	std::cerr << "  or $ASPROF_LIB when set (e.g. /opt/async-profiler/lib/libasyncProfiler.so)\n";
	std::exit(problem.empty() ? 0 : 2);
}

int positive(const std::string& arg, std::size_t prefix, long max)
{
	char* end = nullptr;
	long value = std::strtol(arg.c_str() + prefix, &end, 10);
	if (arg.size() == prefix || *end != '\0' || value < 0 || value > max) usage("bad " + arg);
	return static_cast<int>(value);
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
		else if (arg.rfind("--gap-threads=", 0) == 0)
		{
			options.gapThreads.clear();
			std::istringstream list(arg.substr(14));
			for (std::string item; std::getline(list, item, ',');)
			{
				char* end = nullptr;
				long value = std::strtol(item.c_str(), &end, 10);
				if (item.empty() || *end != '\0' || value < 1 || value > 10000) usage("bad --gap-threads: " + arg.substr(14));
				options.gapThreads.push_back(static_cast<int>(value));
			}
		}
		else if (arg.rfind("--rotations=", 0) == 0)
			options.rotations = std::max(1, positive(arg, 12, 1000000));
		else if (arg.rfind("--memory-rotations=", 0) == 0)
			options.memoryRotations = positive(arg, 19, 1000000);
		else if (arg.rfind("--gap-strategies=", 0) == 0)
		{
			options.gapStrategies.clear();
			std::istringstream list(arg.substr(17));
			for (std::string item; std::getline(list, item, ',');)
			{
				if (item != "alone-restart" && item != "restart" && item != "alone-dump" && item != "dump")
					usage("bad --gap-strategies: " + item + " (alone-restart, restart, alone-dump, dump)");
				options.gapStrategies.push_back(item);
			}
		}
		else if (arg == "--gap-only")
			options.costs = false;
		else if (arg.rfind("--gap-rotations=", 0) == 0)
			options.gapRotations = std::max(2, positive(arg, 16, 1000));
		else
			usage("unknown argument: " + arg);
	}
	if (options.library.empty()) options.library = FAKE_LIBRARY;
	options.fake = options.library == FAKE_LIBRARY;
	if (options.rotations == 0) options.rotations = options.fake ? 1000 : 50;
	if (options.fake && !Poco::File(FAKE_LIBRARY).exists())
		usage(std::string("the fake library ") + FAKE_LIBRARY +
			" is not built (ASPROF_BUILD_TESTS=ON, target "
			"asprof-fake-profiler); or set ASPROF_LIB / --library=");
	return options;
}

// The fake's settings, through its exported setter (never setenv while it runs).
void setFake(const char* name, const std::string& value)
{
	void* handle = ::dlopen(FAKE_LIBRARY, RTLD_NOW | RTLD_NOLOAD);
	auto set = handle ? reinterpret_cast<int (*)(const char*, const char*)>(::dlsym(handle, "asprof_fake_set")) : nullptr;
	if (!set || set(name, value.c_str()) != 0) throw std::runtime_error(std::string("cannot set the fake's ") + name);
}

// A valid JFR of about the given size: copies of a real recording's chunk
// (JFR files are sequences of self-contained chunks).
std::string makeRecording(const std::string& directory, const std::string& source, int copies)
{
	std::string chunk;
	{
		std::ifstream in(source, std::ios::binary);
		chunk.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
	}
	if (chunk.empty()) throw std::runtime_error("cannot read " + source);
	std::string path = directory + "/recording-" + std::to_string(copies) + "x-" + Poco::Path(source).getFileName();
	std::ofstream out(path, std::ios::binary);
	for (int i = 0; i < copies; ++i) out << chunk;
	if (!out.flush()) throw std::runtime_error("cannot write " + path);
	return path;
}

// One bare rotation, like the agent's: the next file and command exist before stop.
void bareRotation(agent::AsyncProfiler& profiler, const agent::ProfilerSettings& settings, std::unique_ptr<agent::FileRecording>& current,
	BaselineResult* result)
{
	std::unique_ptr<agent::FileRecording> next = agent::FileRecording::create("");
	std::string startCommand = settings.startCommand(next->path());
	double cpuBefore = bench::threadCpuMicros();
	Clock::time_point stopCalled = Clock::now();
	std::string stopError = profiler.execute("stop");
	Clock::time_point stopReturned = Clock::now();
	Clock::time_point startCalled = Clock::now();
	std::string startError = profiler.execute(startCommand);
	Clock::time_point startReturned = Clock::now();
	double cpuAfter = bench::threadCpuMicros();
	bench::requireAccepted(stopError, "stop");
	bench::requireAccepted(startError, startCommand);
	current = std::move(next);
	if (!result) return;
	result->gap.add(micros(startCalled - stopReturned));
	result->pair.add(micros(startReturned - stopCalled));
	result->cpuPerPairUs += cpuAfter - cpuBefore;
}

// async-profiler alone: bare stop + start pairs, then bare dumps, with a
// stop + start into a fresh file every restartEvery dumps as the agent's
// default rotation makes (timed with the dumps): without it one file would
// grow by every chunk of the run (20 GB at 10,000 x 2 MB), and what that
// costs the page cache is no part of a rotation.
BaselineResult runBaseline(agent::AsyncProfiler& profiler, const agent::ProfilerSettings& settings, int rotations)
{
	const int restartEvery = agent::RotationSettings().restartEvery;
	BaselineResult result;
	std::unique_ptr<agent::FileRecording> current = agent::FileRecording::create("");
	std::string firstStart = settings.startCommand(current->path());
	bench::requireAccepted(profiler.execute(firstStart), firstStart);
	bareRotation(profiler, settings, current, nullptr); // warm-up
	result.rssAfterStartKiB = bench::residentKiB();
	for (int i = 0; i < rotations; ++i) bareRotation(profiler, settings, current, &result);
	result.cpuPerPairUs /= rotations;
	bench::requireAccepted(profiler.execute("dump,jfr"), "dump,jfr"); // warm-up
	for (int i = 0; i < rotations; ++i)
	{
		if ((i + 1) % restartEvery == 0)
		{
			double cpuBefore = bench::threadCpuMicros();
			Clock::time_point called = Clock::now();
			bareRotation(profiler, settings, current, nullptr);
			result.dump.add(micros(Clock::now() - called));
			result.cpuPerDumpUs += bench::threadCpuMicros() - cpuBefore;
			continue;
		}
		double cpuBefore = bench::threadCpuMicros();
		Clock::time_point called = Clock::now();
		std::string error = profiler.execute("dump,jfr");
		result.dump.add(micros(Clock::now() - called));
		result.cpuPerDumpUs += bench::threadCpuMicros() - cpuBefore;
		bench::requireAccepted(error, "dump,jfr");
	}
	result.cpuPerDumpUs /= rotations;
	bench::requireAccepted(profiler.execute("stop"), "stop");
	return result;
}

// The agent's own delivery, built from configuration as Agent::start builds
// it: the local reporter plugin (zip), onprem metadata, labels.
std::unique_ptr<agent::Delivery> createDelivery(const std::string& directory, const std::string& format, int rotations)
{
	std::string ini = "[agent]\npluginDir = " ASPROF_BENCH_PLUGIN_DIR "\nreporter = bench\nmetadata = onprem\n"
					  "labels = service=bench-rotation\n"
					  "[reporter.bench]\ntype = local\nmaxFiles = 100\nformat = " +
		format + "\ndirectory = " + directory +
		"\n"
		"queueCapacity = " +
		std::to_string(rotations + 2) + "\n"; // back-to-back rotations: drop nothing
	agent::AgentConfig config = agent::AgentConfig::fromIni(ini, "<bench-rotation>");
	agent::PluginRegistry registry(config.pluginDir);
	return std::make_unique<agent::Delivery>(config, registry);
}

// Hands each recording to the agent's delivery, as the loop does, with one
// difference: the times are shifted by seq seconds. The rotations here run
// back to back, so without it hundreds of profiles would end in the same second
// and the local reporter would link() k times for the k-th of them (its
// "-1", "-2", ... names), a cost no real interval has.
class ShiftedSink: public agent::RecordingSink
{
public:
	explicit ShiftedSink(agent::Delivery& delivery): _delivery(delivery)
	{
	}

	void accept(agent::FinishedRecording&& finished) override
	{
		const Poco::Timespan shift(static_cast<long>(finished.seq), 0);
		finished.start += shift;
		finished.end += shift;
		_delivery.accept(std::move(finished));
	}

private:
	agent::Delivery& _delivery;
};

void waitForDelivery(const agent::Delivery& delivery, std::uint64_t count)
{
	Clock::time_point deadline = Clock::now() + std::chrono::microseconds(DELIVERY_TIMEOUT.totalMicroseconds());
	for (;;)
	{
		agent::LaneStatus status = delivery.status().front();
		if (status.failed > 0 || status.droppedQueueFull > 0) throw std::runtime_error("delivery lost a profile: " + status.lastError);
		if (status.delivered >= count) return;
		if (Clock::now() > deadline)
			throw std::runtime_error("only " + std::to_string(status.delivered) + " of " + std::to_string(count) +
				" profiles delivered within " + std::to_string(DELIVERY_TIMEOUT.totalSeconds()) + "s");
		std::this_thread::sleep_for(std::chrono::microseconds(200));
	}
}

void rotate(agent::ProfilingLoop& loop, AgentResult* result)
{
	agent::LoopStatistics before = loop.statistics();
	Clock::time_point called = Clock::now();
	if (!loop.rotateNow(CALL_TIMEOUT)) throw std::runtime_error("rotateNow did not finish within 60s");
	Clock::time_point returned = Clock::now();
	agent::LoopStatistics stats = loop.statistics();
	if (stats.profilerErrors != before.profilerErrors) throw std::runtime_error("rotation failed: " + stats.lastError);
	if (stats.recordings == before.recordings)
		throw std::runtime_error("the rotation handed over no recording (an empty one is not reported)");
	if (!result) return;
	bool switched = stats.chunkSwitches != before.chunkSwitches;
	result->gap.add(static_cast<double>(switched ? stats.lastSwitchNanos : stats.lastGapNanos) / 1e3);
	result->roundTrip.add(micros(returned - called));
}

void measureArchives(const std::string& directory, AgentResult& result)
{
	for (Poco::DirectoryIterator it(directory), end; it != end; ++it)
	{
		if (it.name().size() < 4 || it.name().compare(it.name().size() - 4, 4, ".zip") != 0) continue;
		++result.archives;
		result.archiveBytes += it->getSize();
	}
}

AgentResult runAgent(agent::AsyncProfiler& profiler, const agent::ProfilerSettings& settings, const std::string& rotation,
	const std::string& format, int rotations, const std::string& outputDirectory)
{
	agent::RotationSettings rotationSettings;
	rotationSettings.strategy = rotation;
	rotationSettings.restartEvery = 120;                           // the default: a restart every 120 intervals
	const Poco::Timespan interval(3600 * Poco::Timespan::SECONDS); // only explicit rotations
	std::unique_ptr<agent::Delivery> delivery = createDelivery(outputDirectory, format, rotations);
	delivery->start();
	ShiftedSink sink(*delivery);
	agent::ProfilingLoop loop(profiler, settings, interval, "", sink, nullptr, rotationSettings);
	loop.start();
	rotate(loop, nullptr); // warm-up, delivered before measuring
	waitForDelivery(*delivery, 1);

	AgentResult result;
	agent::LoopStatistics before = loop.statistics();
	result.gap.reserve(static_cast<std::size_t>(rotations));
	result.roundTrip.reserve(static_cast<std::size_t>(rotations));
	result.rssAfterWarmUpKiB = bench::residentKiB();
	double agentCpu = agentThreadsCpuMicros(), controlCpu = controlThreadCpuMicros();
	for (int i = 0; i < rotations; ++i)
	{
		rotate(loop, &result);
		// Paced like production (one rotation per interval, each delivered long
		// before the next): otherwise a backlog of queued profiles would pile up
		// and RSS would show that backlog, not the agent's steady state.
		waitForDelivery(*delivery, 2 + static_cast<std::uint64_t>(i));
		double agentNow = agentThreadsCpuMicros(), controlNow = controlThreadCpuMicros();
		result.agentCpu.add(agentNow - agentCpu);
		result.controlCpu.add(controlNow - controlCpu);
		agentCpu = agentNow;
		controlCpu = controlNow;
	}
	result.rssGrowthKiB = bench::residentKiB() - result.rssAfterWarmUpKiB;
	agent::LoopStatistics after = loop.statistics();
	result.strategy = after.rotationStrategy + ", " + format;

	bool stopped = loop.stop(CALL_TIMEOUT);
	Poco::Timestamp deadline;
	deadline += CALL_TIMEOUT;
	bool drained = delivery->stop(deadline);
	if (!stopped || !drained) throw std::runtime_error("the loop or the lane did not stop within 60s");
	result.recordings = after.recordings - before.recordings;
	result.bytesRecorded = after.bytesRecorded - before.bytesRecorded;
	measureArchives(outputDirectory, result);
	return result;
}

// The mean of the first or the last tenth of a series (at least one value).
double tenth(const bench::Samples& samples, bool last)
{
	std::size_t n = std::max<std::size_t>(1, samples.size() / 10);
	double sum = 0;
	for (std::size_t i = 0; i < n; ++i) sum += samples.at(last ? samples.size() - 1 - i : i);
	return samples.size() ? sum / static_cast<double>(n) : 0;
}

// One size: async-profiler alone and the agent with both strategies, side by side.
void printCostRows(const std::string& size, const BaselineResult& alone, const AgentResult& restart, const AgentResult& dump,
	const AgentResult& zip, std::string& resultLine)
{
	double recordingKb = dump.recordings ? static_cast<double>(dump.bytesRecorded) / 1024.0 / static_cast<double>(dump.recordings) : 0;
	std::printf("  %-7s %-26s %9s %9s %9s %9s %9s %9s %8s\n", size.c_str(), "", "ctl wall", "ctl CPU", "agent CPU", "own CPU", "own 1st",
		"own last", "RSS KiB");
	std::printf("  %-7s %-26s %9.1f %9.1f %9s %9s %9s %9s %8s\n", "", "async-profiler alone, stop+start", alone.pair.median(),
		alone.cpuPerPairUs, "-", "-", "", "", "");
	std::printf("  %-7s %-26s %9.1f %9.1f %9s %9s %9s %9s %8s\n", "", "async-profiler alone, dump", alone.dump.median(), alone.cpuPerDumpUs,
		"-", "-", "", "", "");
	for (const AgentResult* agent : {&restart, &dump, &zip})
	{
		double aloneCpu = agent == &restart ? alone.cpuPerPairUs : alone.cpuPerDumpUs;
		double own = agent->agentCpu.mean() - aloneCpu;
		std::printf("  %-7s %-26s %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f %+8ld\n", "", ("agent, " + agent->strategy).c_str(),
			agent->roundTrip.median(), agent->controlCpu.mean(), agent->agentCpu.mean(), own, tenth(agent->agentCpu, false) - aloneCpu,
			tenth(agent->agentCpu, true) - aloneCpu, agent->rssGrowthKiB);
		char figures[200];
		std::snprintf(figures, sizeof(figures), " own_cpu_us_%s_%s=%.1f",
			agent == &restart    ? "restart"
				: agent == &dump ? "dump"
								 : "dump_zip",
			size.c_str(), own);
		resultLine += figures;
	}
	std::printf("  %-7s recording %.1f KB, zip %.1f KB on average; RSS with async-profiler alone %ld KiB, with the agent %ld KiB\n\n", "",
		recordingKb, zip.archives ? static_cast<double>(zip.archiveBytes) / 1024.0 / static_cast<double>(zip.archives) : 0,
		alone.rssAfterStartKiB, dump.rssAfterWarmUpKiB);
	std::fflush(stdout);
}

// What each rotation costs, per recording size: async-profiler alone next to
// the agent with each strategy (delivered to the local reporter as zip).
void runCostTable(agent::AsyncProfiler& profiler, const Options& options, const std::string& scratch)
{
	std::vector<RecordingSize> sizes;
	if (options.fake)
	{
		sizes.push_back({"20KB", makeRecording(scratch, ASPROF_BENCH_DATA_DIR "/cpu-wall.jfr", 1)});
		sizes.push_back({"200KB", makeRecording(scratch, SAMPLE_JFR, 2)});
		sizes.push_back({"2MB", makeRecording(scratch, SAMPLE_JFR, 19)});
	}
	else
		sizes.push_back({"recorded", ""});
	std::printf("\n  cost per rotation, %d rotations each, delivered to the local reporter (format jfr, its default, then zip)\n"
				"  (µs; means unless said): ctl wall = rotateNow's round trip (median), ctl CPU = the control thread's CPU\n"
				"  (async-profiler's calls included), agent CPU = every asprof-* thread's (control, lane, metadata), own =\n"
				"  agent CPU less async-profiler's calls alone; own 1st/last = the same over the first and last tenth;\n"
				"  RSS = growth over the run (the local reporter keeps 100 files)\n\n",
		options.rotations);
	std::string resultLine = "RESULT";
	agent::ProfilerSettings settings;
	for (const auto& size : sizes)
	{
		if (options.fake) setFake("ASPROF_FAKE_JFR", size.path);
		BaselineResult alone = runBaseline(profiler, settings, options.rotations);
		// The local reporter's default format (jfr), then zip (s3's and http's zip; deflate at the default level, fast).
		std::string out = scratch + "/profiles-" + size.label;
		AgentResult restart = runAgent(profiler, settings, "restart", "jfr", options.rotations, out + "-restart");
		AgentResult dump = runAgent(profiler, settings, "dump", "jfr", options.rotations, out + "-dump");
		AgentResult zip = runAgent(profiler, settings, "dump", "zip", options.rotations, out + "-zip");
		printCostRows(size.label, alone, restart, dump, zip, resultLine);
	}
	std::printf("%s\n", resultLine.c_str());
}

void printGapRow(const std::string& name, const bench::Samples& samples)
{
	if (samples.size() == 0)
	{
		std::printf("  %-30s %10s\n", name.c_str(), "no data");
		return;
	}
	std::printf("  %-30s %10.3f %10.3f %10.3f %10.3f %8zu\n", name.c_str(), samples.quantile(0.0), samples.median(), samples.quantile(0.9),
		samples.quantile(1.0), samples.size());
}

// The sampling gap of both strategies side by side, from the samples.
void runSamplingGap(agent::AsyncProfiler& profiler, const Options& options)
{
	if (options.fake)
	{
		std::printf("\n  sampling gap: needs the real library (ASPROF_LIB): the fake's samples are canned\n");
		return;
	}
	const int rotations = options.gapRotations;
	std::printf("\n  sampling gap around a rotation (ms), from the recordings' own CPU samples (cpuInterval 1ms, %d rotations,\n"
				"  %ld cores): per thread = a busy thread's last sample before the switch to its first after, less 1ms;\n"
				"  merged = the same over all busy threads, less 1ms / runnable threads; control = merged, mid-interval\n",
		rotations, ::sysconf(_SC_NPROCESSORS_ONLN));
	std::printf("  %-30s %10s %10s %10s %10s %8s\n", "", "min", "median", "p90", "max", "n");
	std::string resultLine = "RESULT";
	for (int threads : options.gapThreads)
	{
		// A strategy named more than once (alone-dump,dump,alone-dump,dump:
		// runs alternate, so a quiet or busy spell of the machine falls on
		// both) also gets its runs pooled into one row.
		std::map<std::string, std::pair<std::string, std::vector<double>>> pooled;
		std::map<std::string, int> runs;
		for (const std::string& rotation : options.gapStrategies)
		{
			bench::SamplingGapResult gap = bench::measureSamplingGap(profiler, rotation, threads, rotations);
			pooled[rotation].first = gap.strategy;
			for (std::size_t i = 0; i < gap.merged.size(); ++i) pooled[rotation].second.push_back(gap.merged.at(i));
			++runs[rotation];
			std::string label = std::to_string(threads) + " threads, " + gap.strategy;
			printGapRow(label + ", per thread", gap.perThread);
			printGapRow(label + ", merged", gap.merged);
			printGapRow(label + ", control", gap.control);
			std::string key = rotation;
			std::replace(key.begin(), key.end(), '-', '_');
			char figures[200];
			std::snprintf(figures, sizeof(figures), " sampling_gap_ms_%s_%d=%.3f per_thread_gap_ms_%s_%d=%.3f", key.c_str(), threads,
				gap.merged.size() ? gap.merged.median() : -1.0, key.c_str(), threads, gap.perThread.size() ? gap.perThread.median() : -1.0);
			resultLine += figures;
			std::fflush(stdout);
		}
		for (const auto& entry : pooled)
		{
			if (runs[entry.first] < 2) continue;
			bench::Samples all;
			for (double value : entry.second.second) all.add(value);
			printGapRow(std::to_string(threads) + " threads, " + entry.second.first + ", merged, " + std::to_string(runs[entry.first]) +
					" runs pooled",
				all);
			std::string key = entry.first;
			std::replace(key.begin(), key.end(), '-', '_');
			char figures[200];
			std::snprintf(
				figures, sizeof(figures), " sampling_gap_ms_%s_%d_pooled=%.3f", key.c_str(), threads, all.size() ? all.median() : -1.0);
			resultLine += figures;
		}
	}
	std::printf("%s\n", resultLine.c_str());
}

#ifdef ASPROF_BENCH_WITH_PPROF
using bench::threadCpuMicros;

// The lane's work on one recording before the network: zip vs pprof conversion.
void runDeliveryWork(const std::string& jfrPath, int rotations)
{
	sdk::Profile profile;
	profile.seq = 1;
	profile.end = Poco::Timestamp();
	profile.start = profile.end - Poco::Timespan(30, 0);
	profile.reportingInterval = Poco::Timespan(30, 0);
	profile.host.kind = "onprem";
	profile.recording = agent::FileRecording::fromFile(jfrPath);
	bench::Samples zip, pprof;
	std::size_t zipBytes = 0, pprofBytes = 0, parts = 0;
	for (int i = 0; i <= rotations; ++i) // the first round warms up
	{
		double before = threadCpuMicros();
		const std::string archive = sdk::ProfileArchive::toString(profile);
		double middle = threadCpuMicros();
		const auto converted = asprof::plugins::PprofDelivery::convert(profile, true, nullptr);
		double after = threadCpuMicros();
		if (i == 0) continue;
		zip.add(middle - before);
		pprof.add(after - middle);
		zipBytes = archive.size();
		parts = converted.size();
		pprofBytes = 0;
		for (const auto& part : converted) pprofBytes += part.data.size();
	}
	std::printf("\n  delivery work on the lane's thread, per recording (%s, %.1f KB), thread CPU (µs)\n", jfrPath.c_str(),
		static_cast<double>(profile.recording->size()) / 1024.0);
	std::printf("  %-36s %10s %10s %10s   %s\n", "", "median", "p90", "max", "output");
	std::printf("  %-36s %10.3f %10.3f %10.3f   %.1f KB zip\n", "zip (ProfileArchive)", zip.median(), zip.quantile(0.9), zip.quantile(1.0),
		static_cast<double>(zipBytes) / 1024.0);
	std::printf("  %-36s %10.3f %10.3f %10.3f   %.1f KB in %zu gzipped pprof(s)\n", "pprof (http format = pprof|pyroscope)", pprof.median(),
		pprof.quantile(0.9), pprof.quantile(1.0), static_cast<double>(pprofBytes) / 1024.0, parts);
	std::printf("RESULT zip_cpu_us_median=%.3f pprof_cpu_us_median=%.3f pprof_over_zip=%.2f\n", zip.median(), pprof.median(),
		zip.median() > 0 ? pprof.median() / zip.median() : 0.0);
}
#else
void runDeliveryWork(const std::string&, int)
{
	std::printf("\n  delivery work: the http reporter is not built (ASPROF_WITH_HTTP=OFF): no pprof figures\n");
}
#endif

class DiscardingSink: public agent::RecordingSink
{
public:
	void accept(agent::FinishedRecording&&) override
	{
	}
};

// async-profiler's own memory (its "metrics") over many chunk switches:
// keeping one file (no restart) next to the default restart bound.
void runProfilerMemory(agent::AsyncProfiler& profiler, const Options& options)
{
	if (options.memoryRotations == 0) return;
	if (options.fake)
	{
		std::printf("\n  async-profiler's memory over rotations: needs the real library (ASPROF_LIB)\n");
		return;
	}
	const int threads = 100;
	std::printf("\n  async-profiler's memory (metrics, mem_* KiB) and RSS over %d chunk switches, %d busy threads, back to back\n",
		options.memoryRotations, threads);
	std::printf("  %-34s %10s %10s %10s %10s %10s\n", "", "after 1", "10", "100", "last", "RSS growth");
	std::string resultLine = "RESULT";
	bench::BusyThreads busy(threads);
	for (int restartEvery : {100000, 120})
	{
		agent::RotationSettings rotation;
		rotation.strategy = "dump";
		rotation.restartEvery = restartEvery;
		rotation.maxProfilerMemory = std::uint64_t(1) << 40; // measured after every switch, never reached
		DiscardingSink sink;
		agent::ProfilingLoop loop(profiler, agent::ProfilerSettings(), Poco::Timespan(3600, 0), "", sink, nullptr, rotation);
		loop.start();
		long rssBefore = bench::residentKiB();
		std::vector<double> memory;
		for (int i = 1; i <= options.memoryRotations; ++i)
		{
			if (!loop.rotateNow(CALL_TIMEOUT)) throw std::runtime_error("rotateNow did not finish within 60s");
			if (i == 1 || i == 10 || i == 100 || i == options.memoryRotations)
				memory.push_back(static_cast<double>(loop.statistics().profilerMemory) / 1024.0);
		}
		long rssGrowth = bench::residentKiB() - rssBefore;
		agent::LoopStatistics stats = loop.statistics();
		loop.stop(CALL_TIMEOUT);
		while (memory.size() < 4) memory.insert(memory.end() - 1, -1);
		std::string label = restartEvery == 120 ? "dump, restartEvery = 120 (default)" : "dump, one file (no restart)";
		std::printf("  %-34s %10.0f %10.0f %10.0f %10.0f %+10ld   (%llu restarts)\n", label.c_str(), memory[0], memory[1], memory[2],
			memory[3], rssGrowth, static_cast<unsigned long long>(stats.restarts));
		char figures[160];
		std::snprintf(figures, sizeof(figures), " profiler_kib_after_%d_%s=%.0f", options.memoryRotations,
			restartEvery == 120 ? "restart120" : "onefile", memory[3]);
		resultLine += figures;
		std::fflush(stdout);
	}
	std::printf("%s\n", resultLine.c_str());
}

// One fresh process's start: async-profiler alone (load, init, start into a
// file, as the agent's binding does it) or the agent (Agent::start() with
// the local or the s3 reporter; s3 with an http:// endpoint, so no TLS).
// Prints "START <µs> <RSS KiB at exec> <RSS KiB 300 ms after start>".
int runStartChild(const std::string& what, const std::string& library)
{
	long rssAtExec = bench::residentKiB();
	bench::ScratchDirectory scratch("bench-rotation-start");
	std::string ini = "[agent]\nlibrary = " + library +
		"\npluginDir = " ASPROF_BENCH_PLUGIN_DIR "\nreportingInterval = 60s\nmetadata = onprem\nreporter = main\n";
	if (what == "local")
		ini += "[reporter.main]\ntype = local\ndirectory = " + scratch.path() + "\n";
	else
		ini += "[reporter.main]\ntype = s3\nbucket = bench\nregion = us-east-1\nendpoint = http://127.0.0.1:9\npathStyle = yes\n"
			   "accessKeyId = AKIDBENCH\nsecretAccessKey = secret\n";
	std::unique_ptr<agent::FileRecording> file;
	std::unique_ptr<agent::Agent> running;
	Clock::time_point started = Clock::now();
	if (what == "alone")
	{
		agent::AsyncProfiler& profiler = agent::AsyncProfiler::load(library);
		file = agent::FileRecording::create("");
		std::string command = agent::ProfilerSettings().startCommand(file->path());
		bench::requireAccepted(profiler.execute(command), command);
	}
	else
	{
		running = std::make_unique<agent::Agent>(agent::AgentConfig::fromIni(ini, "<bench-rotation>"));
		running->start();
	}
	double startUs = micros(Clock::now() - started);
	std::this_thread::sleep_for(std::chrono::milliseconds(300));
	std::printf("START %.0f %ld %ld\n", startUs, rssAtExec, bench::residentKiB());
	std::fflush(stdout);
	if (running) running->stop(Poco::Timespan(5, 0));
	return 0;
}

struct StartFigures
{
	bench::Samples startUs;
	bench::Samples rssKiB;
};

// Start and footprint: fresh processes (async-profiler's first start is its
// most expensive), alternating async-profiler alone and the agent.
void runStartTable(const Options& options)
{
	const int runs = 5;
	std::map<std::string, StartFigures> figures;
	const std::vector<std::string> kinds = {"alone", "local", "s3"};
	for (int run = 0; run < runs; ++run)
	{
		for (const auto& kind : kinds)
		{
			Poco::Pipe out;
			Poco::ProcessHandle child =
				Poco::Process::launch("/proc/self/exe", {"--start-child=" + kind, "--library=" + options.library}, nullptr, &out, nullptr);
			Poco::PipeInputStream in(out);
			std::string line, result;
			while (std::getline(in, line))
				if (line.compare(0, 6, "START ") == 0) result = line;
			int status = child.wait();
			double us = 0;
			long rssAtExec = 0, rss = 0;
			if (status != 0 || std::sscanf(result.c_str(), "START %lf %ld %ld", &us, &rssAtExec, &rss) != 3)
				throw std::runtime_error("the " + kind + " start child failed (exit " + std::to_string(status) + ")");
			figures[kind].startUs.add(us);
			figures[kind].rssKiB.add(static_cast<double>(rss - rssAtExec));
		}
	}
	std::printf("\n  start and footprint, %d fresh processes each (alternating): from the call to the first recording running\n"
				"  (ms, median and max), and RSS 300 ms after it over the process's RSS at exec (KiB, median)\n",
		runs);
	std::printf("  %-46s %10s %10s %12s %12s\n", "", "start", "max", "RSS", "over alone");
	std::string resultLine = "RESULT";
	const StartFigures& alone = figures["alone"];
	for (const auto& kind : kinds)
	{
		const StartFigures& f = figures[kind];
		std::string label = kind == "alone" ? "async-profiler alone (load, init, start)"
			: kind == "local"               ? "agent, local reporter (Agent::start)"
											: "agent, s3 reporter, http:// endpoint";
		std::printf("  %-46s %10.1f %10.1f %12.0f %+12.0f\n", label.c_str(), f.startUs.median() / 1e3, f.startUs.quantile(1.0) / 1e3,
			f.rssKiB.median(), f.rssKiB.median() - alone.rssKiB.median());
		if (kind == "alone") continue;
		char text[160];
		std::snprintf(text, sizeof(text), " start_over_alone_ms_%s=%.1f rss_over_alone_kib_%s=%.0f", kind.c_str(),
			(f.startUs.median() - alone.startUs.median()) / 1e3, kind.c_str(), f.rssKiB.median() - alone.rssKiB.median());
		resultLine += text;
	}
	std::printf("%s\n", resultLine.c_str());
	std::fflush(stdout);
}

void runBench(const Options& options)
{
	bench::ScratchDirectory scratch("bench-rotation");
	std::printf("bench-rotation: %d rotations per figure (after 1 warm-up each)\n", options.rotations);
	if (options.fake && Poco::Environment::get("ASPROF_FAKE_JFR", "").empty())
		::setenv("ASPROF_FAKE_JFR", SAMPLE_JFR, 1);         // not Poco::Environment::set (see tests/common/TestSupport.cpp)
	if (options.fake) ::setenv("ASPROF_FAKE_DUMP", "1", 1); // the fake switches chunks like async-profiler
	agent::AsyncProfiler& profiler = agent::AsyncProfiler::load(options.library);
	std::printf("  library:  %s (%s)\n", profiler.path().c_str(), options.fake ? "fake" : "real");
	std::printf("  reporter: local, format = zip, into %s (%s; recordings in $TMPDIR or /tmp)\n", scratch.path().c_str(),
		bench::fileSystemType(scratch.path()).c_str());
	std::fflush(stdout);
	if (options.costs)
	{
		runStartTable(options);
		runCostTable(profiler, options, scratch.path());
	}
	runSamplingGap(profiler, options);
	runProfilerMemory(profiler, options);
	if (options.costs) runDeliveryWork(SAMPLE_JFR, std::min(options.rotations, 200));
}

} // namespace

int main(int argc, char** argv)
{
	Poco::Logger::root().setLevel(Poco::Message::PRIO_FATAL);
	Poco::Logger::setLevel("", Poco::Message::PRIO_FATAL);
	if (argc == 3 && std::string(argv[1]).rfind("--start-child=", 0) == 0 && std::string(argv[2]).rfind("--library=", 0) == 0)
	{
		try
		{
			return runStartChild(std::string(argv[1]).substr(14), std::string(argv[2]).substr(10));
		}
		catch (Poco::Exception& e)
		{
			std::cerr << "bench-rotation start child: " << e.displayText() << "\n";
		}
		catch (std::exception& e)
		{
			std::cerr << "bench-rotation start child: " << e.what() << "\n";
		}
		return 1;
	}
	Options options = parseOptions(argc, argv);
	try
	{
		runBench(options);
		return 0;
	}
	catch (Poco::Exception& e)
	{
		std::cerr << "bench-rotation: " << e.displayText() << "\n";
	}
	catch (std::exception& e)
	{
		std::cerr << "bench-rotation: " << e.what() << "\n";
	}
	return 1;
}
