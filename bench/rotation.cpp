//
// rotation.cpp
//
// bench-rotation: what one rotation costs (DESIGN section 8), measured in one
// run, side by side:
//   baseline  a minimal loop of bare async-profiler stop + start calls through
//             the same binding, with the next file created beforehand;
//   agent     ProfilingLoop::rotateNow() with each recording delivered by the
//             agent's Delivery (assembler, lane) to the local reporter plugin
//             in zip format, once per rotation strategy: restart (stop +
//             start) and dump (chunk switch, cut out of one file);
//   sampling gap  for both strategies, at 10, 100 and 1000 busy threads, from
//             the samples themselves (SamplingGap.h): a busy thread's last CPU
//             sample before the switch to its first after it, less the
//             sampling interval; also merged over all busy threads, and at the
//             middle of an interval as a control. Real library only (the
//             fake's samples are canned).
//   delivery  the CPU a lane's thread spends on one recording before sending:
//             the zip (ProfileArchive, the s3/local/http zip path) next to the
//             http reporter's pprof conversion (format = pprof and pyroscope:
//             one gzipped pprof per event type), on the same recording,
//             measured with the thread's own CPU clock.
// It prints figures to compare; it never asserts timings.
//
// Usage: bench-rotation [--rotations=N] [--library=PATH] [--gap-threads=10,100,1000]
//   The fake libasyncProfiler.so (tests/) by default, writing a ~100 KB JFR;
//   with ASPROF_LIB set (or --library=) the given library instead.
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
#include "asprof/agent/AgentConfig.h"
#include "Poco/DirectoryIterator.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Logger.h"
#include <chrono>
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
const double GAP_TARGET_US = 100.0;
const double CPU_TARGET_US = 5000.0;
const Poco::Timespan CALL_TIMEOUT(60 * Poco::Timespan::SECONDS);
const Poco::Timespan DELIVERY_TIMEOUT(120 * Poco::Timespan::SECONDS);

using Clock = std::chrono::steady_clock;

struct Options
{
	std::string library;
	bool fake = true;
	int rotations = 0;
	std::vector<int> gapThreads = {10, 100, 1000};
};

struct BaselineResult
{
	bench::Samples gap;      ///< stop returned -> start called, µs
	bench::Samples pair;     ///< stop called -> start returned, µs
	double cpuPerPairUs = 0; ///< process CPU of one stop + start pair
};

struct AgentResult
{
	std::string strategy;        ///< as the loop reported it
	bench::Samples gap;          ///< LoopStatistics::lastGapNanos (restart) or lastSwitchNanos (dump), in µs
	bench::Samples roundTrip;    ///< rotateNow() as seen by the caller, µs
	double cpuPerRotationUs = 0; ///< process CPU per rotation, delivery included
	double kernelShare = 0;      ///< of that CPU, the part in the kernel
	std::uint64_t recordings = 0;
	std::uint64_t bytesRecorded = 0;
	std::uint64_t archiveBytes = 0;
	std::uint64_t archives = 0;
	long rssAfterWarmUpKiB = 0; ///< the baseline: libasyncProfiler and the agent set up
	long rssHalfwayGrowthKiB = 0;
	long rssGrowthKiB = 0; ///< after all rotations, delivered
};

double micros(Clock::duration duration)
{
	return std::chrono::duration<double, std::micro>(duration).count();
}

[[noreturn]] void usage(const std::string& problem)
{
	if (!problem.empty()) std::cerr << "bench-rotation: " << problem << "\n";
	std::cerr << "usage: bench-rotation [--rotations=N] [--library=PATH] [--gap-threads=10,100,1000]\n";
	std::cerr << "  default library: the fake one (" << FAKE_LIBRARY << "),\n";
	std::cerr << "  or $ASPROF_LIB when set (e.g. /opt/async-profiler/lib/libasyncProfiler.so)\n";
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
		{
			char* end = nullptr;
			long value = std::strtol(arg.c_str() + 12, &end, 10);
			if (*end != '\0' || value < 1 || value > 1000000) usage("bad --rotations: " + arg.substr(12));
			options.rotations = static_cast<int>(value);
		}
		else
			usage("unknown argument: " + arg);
	}
	if (options.library.empty()) options.library = FAKE_LIBRARY;
	options.fake = options.library == FAKE_LIBRARY;
	if (options.rotations == 0) options.rotations = options.fake ? 200 : 50;
	if (options.fake && !Poco::File(FAKE_LIBRARY).exists())
		usage(std::string("the fake library ") + FAKE_LIBRARY +
			" is not built (ASPROF_BUILD_TESTS=ON, target "
			"asprof-fake-profiler); or set ASPROF_LIB / --library=");
	return options;
}

// A valid multi-chunk JFR: JFR files are sequences of self-contained chunks.
void check(const std::string& error, const std::string& command)
{
	if (!error.empty()) throw std::runtime_error("async-profiler refused '" + command + "': " + error);
}

// One bare rotation, like the agent's: the next file and command exist before stop.
void bareRotation(agent::AsyncProfiler& profiler, const agent::ProfilerSettings& settings, std::unique_ptr<agent::FileRecording>& current,
	BaselineResult* result)
{
	std::unique_ptr<agent::FileRecording> next = agent::FileRecording::create("");
	std::string startCommand = settings.startCommand(next->path());
	double cpuBefore = bench::processCpuMicros();
	Clock::time_point stopCalled = Clock::now();
	std::string stopError = profiler.execute("stop");
	Clock::time_point stopReturned = Clock::now();
	Clock::time_point startCalled = Clock::now();
	std::string startError = profiler.execute(startCommand);
	Clock::time_point startReturned = Clock::now();
	double cpuAfter = bench::processCpuMicros();
	check(stopError, "stop");
	check(startError, startCommand);
	current = std::move(next);
	if (!result) return;
	result->gap.add(micros(startCalled - stopReturned));
	result->pair.add(micros(startReturned - stopCalled));
	result->cpuPerPairUs += cpuAfter - cpuBefore;
}

BaselineResult runBaseline(agent::AsyncProfiler& profiler, const agent::ProfilerSettings& settings, int rotations)
{
	BaselineResult result;
	std::unique_ptr<agent::FileRecording> current = agent::FileRecording::create("");
	std::string firstStart = settings.startCommand(current->path());
	check(profiler.execute(firstStart), firstStart);
	bareRotation(profiler, settings, current, nullptr); // warm-up
	for (int i = 0; i < rotations; ++i) bareRotation(profiler, settings, current, &result);
	check(profiler.execute("stop"), "stop");
	result.cpuPerPairUs /= rotations;
	return result;
}

// The agent's own delivery, built from configuration as Agent::start builds
// it: the local reporter plugin (zip), onprem metadata, labels.
std::unique_ptr<agent::Delivery> createDelivery(const std::string& directory, int rotations)
{
	std::string ini = "[agent]\npluginDir = " ASPROF_BENCH_PLUGIN_DIR "\nreporter = bench\nmetadata = onprem\n"
					  "labels = service=bench-rotation\n"
					  "[reporter.bench]\ntype = local\nformat = zip\ndirectory = " +
		directory +
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
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
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

AgentResult runAgent(agent::AsyncProfiler& profiler, const agent::ProfilerSettings& settings, const std::string& rotation, int rotations,
	const std::string& outputDirectory)
{
	agent::RotationSettings rotationSettings;
	rotationSettings.strategy = rotation;
	rotationSettings.restartEvery = rotations + 2;                 // only chunk switches in the measured run
	const Poco::Timespan interval(3600 * Poco::Timespan::SECONDS); // only explicit rotations
	std::unique_ptr<agent::Delivery> delivery = createDelivery(outputDirectory, rotations);
	delivery->start();
	ShiftedSink sink(*delivery);
	agent::ProfilingLoop loop(profiler, settings, interval, "", sink, nullptr, rotationSettings);
	loop.start();
	rotate(loop, nullptr); // warm-up, delivered before measuring
	waitForDelivery(*delivery, 1);

	AgentResult result;
	agent::LoopStatistics before = loop.statistics();
	rusage usageBefore = bench::resourceUsage();
	double cpuBefore = bench::processCpuMicros();
	result.gap.reserve(static_cast<std::size_t>(rotations));
	result.roundTrip.reserve(static_cast<std::size_t>(rotations));
	result.rssAfterWarmUpKiB = bench::residentKiB();
	for (int i = 0; i < rotations; ++i)
	{
		rotate(loop, &result);
		// Paced like production (one rotation per interval, each delivered long
		// before the next): otherwise a backlog of queued profiles would pile up
		// and RSS would show that backlog, not the agent's steady state.
		waitForDelivery(*delivery, 2 + static_cast<std::uint64_t>(i));
		if (i + 1 == rotations / 2) result.rssHalfwayGrowthKiB = bench::residentKiB() - result.rssAfterWarmUpKiB;
	}
	waitForDelivery(*delivery, 1 + static_cast<std::uint64_t>(rotations));
	result.rssGrowthKiB = bench::residentKiB() - result.rssAfterWarmUpKiB;
	double cpuAfter = bench::processCpuMicros();
	result.kernelShare = bench::kernelShareSince(usageBefore);
	agent::LoopStatistics after = loop.statistics();
	result.strategy = after.rotationStrategy;

	bool stopped = loop.stop(CALL_TIMEOUT);
	Poco::Timestamp deadline;
	deadline += CALL_TIMEOUT;
	bool drained = delivery->stop(deadline);
	if (!stopped || !drained) throw std::runtime_error("the loop or the lane did not stop within 60s");
	result.cpuPerRotationUs = (cpuAfter - cpuBefore) / rotations;
	result.recordings = after.recordings - before.recordings;
	result.bytesRecorded = after.bytesRecorded - before.bytesRecorded;
	measureArchives(outputDirectory, result);
	return result;
}

void printRow(const char* name, const bench::Samples& samples, const std::string& target)
{
	std::printf(
		"  %-36s %10.3f %10.3f %10.3f   %s\n", name, samples.median(), samples.quantile(0.9), samples.quantile(1.0), target.c_str());
}

void printReport(const BaselineResult& baseline, const AgentResult& agentResult, const AgentResult& dumpResult)
{
	double ownCpu = agentResult.cpuPerRotationUs - baseline.cpuPerPairUs;
	double recordingKb = agentResult.recordings ? agentResult.bytesRecorded / 1024.0 / agentResult.recordings : 0;
	double archiveKb = agentResult.archives ? agentResult.archiveBytes / 1024.0 / agentResult.archives : 0;
	char target[64];
	std::printf("\n  %-36s %10s %10s %10s   %s\n", "time (µs)", "median", "p90", "max", "target (DESIGN §8)");
	std::snprintf(target, sizeof(target), "<= %.0f median", GAP_TARGET_US);
	printRow("gap, agent (stop ret. -> start call)", agentResult.gap, target);
	printRow("gap, baseline", baseline.gap, "");
	printRow("stop+start pair, baseline", baseline.pair, "");
	printRow("rotateNow round trip, agent", agentResult.roundTrip, "(info: thread hop + tick)");
	printRow(("dump call, agent (" + dumpResult.strategy + ")").c_str(), dumpResult.gap, "(no stop/start gap at all)");
	printRow("rotateNow round trip, agent dump", dumpResult.roundTrip, "");
	std::printf("\n  %-36s %10s\n", "process CPU per rotation (µs)", "mean");
	std::printf("  %-36s %10.3f   (%.0f %% in the kernel)\n", "agent rotation + delivery, total", agentResult.cpuPerRotationUs,
		100 * agentResult.kernelShare);
	std::printf("  %-36s %10.3f   (%.0f %% in the kernel)\n", "the same, rotation = dump", dumpResult.cpuPerRotationUs,
		100 * dumpResult.kernelShare);
	std::printf("  %-36s %10.3f\n", "bare stop+start pair (baseline)", baseline.cpuPerPairUs);
	std::printf("  %-36s %10.3f   <= %.0f for a 100 KB recording\n", "agent's own (difference)", ownCpu, CPU_TARGET_US);
	std::printf("\n  recording: %.1f KB on average (%llu recordings); zip archive: %.1f KB on average (%llu files)\n", recordingKb,
		static_cast<unsigned long long>(agentResult.recordings), archiveKb, static_cast<unsigned long long>(agentResult.archives));
	std::printf("\n  RSS after the warm-up %ld KiB (libasyncProfiler and the agent loaded); growth after %zu rotations %+ld KiB,\n"
				"  after %zu %+ld KiB   (DESIGN: <= 8 MiB beyond libasyncProfiler, flat); rotation = dump: %+ld KiB\n",
		agentResult.rssAfterWarmUpKiB, agentResult.gap.size() / 2, agentResult.rssHalfwayGrowthKiB, agentResult.gap.size(),
		agentResult.rssGrowthKiB, dumpResult.rssGrowthKiB);
	std::printf("RESULT gap_us_median=%.3f baseline_us_median=%.3f agent_cpu_us_per_rotation=%.3f rss_growth_kib=%ld "
				"dump_us_median=%.3f dump_cpu_us_per_rotation=%.3f dump_rss_growth_kib=%ld\n",
		agentResult.gap.median(), baseline.gap.median(), ownCpu, agentResult.rssGrowthKiB, dumpResult.gap.median(),
		dumpResult.cpuPerRotationUs - baseline.cpuPerPairUs, dumpResult.rssGrowthKiB);
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
	const int rotations = 4;
	std::printf("\n  sampling gap around a rotation (ms), from the recordings' own CPU samples (cpuInterval 1ms, %d rotations,\n"
				"  %ld cores): per thread = a busy thread's last sample before the switch to its first after, less 1ms;\n"
				"  merged = the same over all busy threads, less 1ms / runnable threads; control = merged, mid-interval\n",
		rotations, ::sysconf(_SC_NPROCESSORS_ONLN));
	std::printf("  %-30s %10s %10s %10s %10s %8s\n", "", "min", "median", "p90", "max", "n");
	std::string resultLine = "RESULT";
	for (int threads : options.gapThreads)
	{
		for (const char* rotation : {"restart", "dump"})
		{
			bench::SamplingGapResult gap = bench::measureSamplingGap(profiler, rotation, threads, rotations);
			std::string label = std::to_string(threads) + " threads, " + gap.strategy;
			printGapRow(label + ", per thread", gap.perThread);
			printGapRow(label + ", merged", gap.merged);
			printGapRow(label + ", control", gap.control);
			char figures[160];
			std::snprintf(figures, sizeof(figures), " sampling_gap_ms_%s_%d=%.3f per_thread_gap_ms_%s_%d=%.3f", rotation, threads,
				gap.merged.size() ? gap.merged.median() : -1.0, rotation, threads, gap.perThread.size() ? gap.perThread.median() : -1.0);
			resultLine += figures;
			std::fflush(stdout);
		}
	}
	std::printf("%s\n", resultLine.c_str());
}

#ifdef ASPROF_BENCH_WITH_PPROF
double threadCpuMicros()
{
	timespec now{};
	::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

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

void runBench(const Options& options)
{
	bench::ScratchDirectory scratch("bench-rotation");
	std::printf("bench-rotation: %d rotations (after 1 warm-up each)\n", options.rotations);
	if (options.fake && Poco::Environment::get("ASPROF_FAKE_JFR", "").empty())
		::setenv("ASPROF_FAKE_JFR", SAMPLE_JFR, 1);         // not Poco::Environment::set (see tests/common/TestSupport.cpp)
	if (options.fake) ::setenv("ASPROF_FAKE_DUMP", "1", 1); // the fake switches chunks like async-profiler
	agent::AsyncProfiler& profiler = agent::AsyncProfiler::load(options.library);
	std::printf("  library:  %s (%s)\n", profiler.path().c_str(), options.fake ? "fake" : "real");
	if (options.fake) std::printf("  fake JFR: %s\n", Poco::Environment::get("ASPROF_FAKE_JFR").c_str());
	std::printf("  reporter: local, format = zip, into %s/profiles (%s; recordings in $TMPDIR or /tmp)\n", scratch.path().c_str(),
		bench::fileSystemType(scratch.path()).c_str());
	std::fflush(stdout);

	agent::ProfilerSettings settings;
	BaselineResult baseline = runBaseline(profiler, settings, options.rotations);
	AgentResult agentResult = runAgent(profiler, settings, "restart", options.rotations, scratch.path() + "/profiles");
	AgentResult dumpResult = runAgent(profiler, settings, "dump", options.rotations, scratch.path() + "/profiles-dump");
	printReport(baseline, agentResult, dumpResult);
	runSamplingGap(profiler, options);
	runDeliveryWork(options.fake ? Poco::Environment::get("ASPROF_FAKE_JFR") : std::string(SAMPLE_JFR), options.rotations);
}

} // namespace

int main(int argc, char** argv)
{
	Options options = parseOptions(argc, argv);
	Poco::Logger::root().setLevel(Poco::Message::PRIO_FATAL);
	Poco::Logger::setLevel("", Poco::Message::PRIO_FATAL);
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
