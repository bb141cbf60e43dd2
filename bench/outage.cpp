//
// outage.cpp
//
// bench-outage: what a long backend outage costs. 1000 intervals of ~109 KB
// recordings go to a reporter that answers Retry every time, once through a
// lane with a spool and once without. Prints the peak RSS growth, the peak
// spool size and the configured caps side by side (DESIGN section 8: memory
// at most queueCapacity x profile size, disk at most spoolMaxBytes).
//

#include "BenchSupport.h"
#include "DeliveryLane.h"
#include "FileRecording.h"
#include "Poco/Logger.h"
#include "Poco/NumberParser.h"
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

using namespace asprof;

namespace {

const char* const SAMPLE_JFR = ASPROF_BENCH_DATA_DIR "/pollcatch.jfr";

/// A backend that is down: every report is a transient failure.
class DownReporter: public sdk::Reporter
{
public:
	void configure(sdk::PluginContext&) override
	{
	}

	sdk::ReportResult report(const sdk::Profile&) noexcept override
	{
		return sdk::ReportResult::retry("backend down");
	}
};

struct OutageResult
{
	long peakRssGrowthKiB = 0;
	std::uint64_t peakSpoolBytes = 0;
	agent::LaneStatus status;
	double seconds = 0;
};

OutageResult runOutage(int intervals, const agent::LaneSettings& settings)
{
	agent::DeliveryLane lane("bench", std::unique_ptr<sdk::Reporter>(new DownReporter), settings, nullptr);
	lane.start();
	OutageResult result;
	long baseline = bench::residentKiB();
	auto started = std::chrono::steady_clock::now();
	for (int seq = 1; seq <= intervals; ++seq)
	{
		auto profile = std::make_shared<sdk::Profile>();
		profile->seq = static_cast<std::uint64_t>(seq);
		profile->end = Poco::Timestamp();
		profile->start = profile->end - Poco::Timespan(30, 0);
		profile->reportingInterval = Poco::Timespan(30, 0);
		profile->pid = 1;
		profile->recording = agent::FileRecording::fromFile(SAMPLE_JFR);
		lane.enqueue(profile);
		// One interval: let the lane take the profile in, as it would over 30 s.
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
		while (!settings.spoolDir.empty() && std::chrono::steady_clock::now() < deadline)
		{
			agent::LaneStatus status = lane.status();
			if (status.spooled + status.droppedQueueFull >= static_cast<std::uint64_t>(seq)) break;
			std::this_thread::sleep_for(std::chrono::microseconds(100));
		}
		if (settings.spoolDir.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
		agent::LaneStatus status = lane.status();
		result.peakSpoolBytes = std::max(result.peakSpoolBytes, status.spoolBytes);
		result.peakRssGrowthKiB = std::max(result.peakRssGrowthKiB, bench::residentKiB() - baseline);
	}
	result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
	lane.stop(Poco::Timespan(0, 100000));
	result.status = lane.status();
	return result;
}

void printScenario(const char* name, const OutageResult& result, const agent::LaneSettings& settings)
{
	const agent::LaneStatus& status = result.status;
	std::printf("  %-10s peak RSS growth %7ld KiB   peak spool %10llu bytes (cap %llu)   %.1f s\n", name, result.peakRssGrowthKiB,
		static_cast<unsigned long long>(result.peakSpoolBytes),
		static_cast<unsigned long long>(settings.spoolDir.empty() ? 0 : settings.spoolMaxBytes), result.seconds);
	std::printf("  %-10s enqueued %llu, spooled %llu, retried %llu, failed %llu, dropped: queue-full %llu, spool-full %llu, at stop %llu; "
				"left in spool %llu (received %llu = settled %llu)\n",
		"", static_cast<unsigned long long>(status.enqueued), static_cast<unsigned long long>(status.spooled),
		static_cast<unsigned long long>(status.retried), static_cast<unsigned long long>(status.failed),
		static_cast<unsigned long long>(status.droppedQueueFull), static_cast<unsigned long long>(status.droppedSpoolFull),
		static_cast<unsigned long long>(status.droppedAtStop), static_cast<unsigned long long>(status.leftInSpool),
		static_cast<unsigned long long>(status.received()), static_cast<unsigned long long>(status.settled()));
}

} // namespace

int main(int argc, char** argv)
{
	Poco::Logger::root().setLevel(Poco::Message::PRIO_FATAL);
	int intervals = 1000;
	for (int i = 1; i < argc; ++i)
	{
		std::string arg = argv[i];
		if (arg.compare(0, 12, "--intervals=") == 0) intervals = Poco::NumberParser::parse(arg.substr(12));
	}
	try
	{
		bench::ScratchDirectory scratch("bench-outage");
		agent::LaneSettings settings;
		settings.queueCapacity = 16;
		settings.retryInitialBackoff = Poco::Timespan(5 * 1000);
		settings.retryMaxBackoff = Poco::Timespan(20 * 1000);
		settings.retryMaxAttempts = 8;
		settings.spoolMaxBytes = 20ULL * 1024 * 1024;
		std::printf("bench-outage: %d intervals of %s (~109 KB) to a backend that is down; queueCapacity %zu\n", intervals, SAMPLE_JFR,
			settings.queueCapacity);
		std::printf("  budget: memory <= queueCapacity x profile size = %zu KiB; disk <= spoolMaxBytes\n\n", settings.queueCapacity * 110);

		OutageResult memoryOnly = runOutage(intervals, settings);
		printScenario("no spool", memoryOnly, settings);
		settings.spoolDir = scratch.path() + "/spool";
		OutageResult spooled = runOutage(intervals, settings);
		printScenario("spool", spooled, settings);

		std::printf("RESULT rss_growth_kib=%ld spool_bytes=%llu cap_bytes=%llu\n",
			std::max(memoryOnly.peakRssGrowthKiB, spooled.peakRssGrowthKiB), static_cast<unsigned long long>(spooled.peakSpoolBytes),
			static_cast<unsigned long long>(settings.spoolMaxBytes));
		return 0;
	}
	catch (std::exception& e)
	{
		std::fprintf(stderr, "bench-outage: %s\n", e.what());
		return 1;
	}
}
