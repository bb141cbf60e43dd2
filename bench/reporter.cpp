//
// reporter.cpp
//
// bench-reporter: what a reporter costs per profile as history accumulates,
// and what compression costs.
//   local     10,000 reports (--reports=N) through the local reporter plugin
//             (loaded from the plugin directory as the agent loads it),
//             format = jfr, first with maxFiles = 0 (every file kept), then
//             with maxFiles = 1000: the first and the last thousand reports
//             side by side. The same cost at both ends means O(1) per
//             rotation, whatever the directory holds.
//   compress  the zip (ProfileArchive, as local/s3/http zip write it) and
//             the http reporter's gzip at each compressionLevel (zlib 1, 6,
//             9) on a ~2 MB recording: thread CPU and size.
//   tls       the HTTP client's set-up for an http:// endpoint next to what
//             a TLS context with the system's CA store costs (what every
//             client made at configure before it became lazy).
// Figures only, never an assertion.
//
//   bench-reporter [--reports=N] [--plugin-dir=DIR] [--jfr=FILE]
//

#include "BenchSupport.h"
#include "FileRecording.h"
#include "PluginRegistry.h"
#include "SectionContext.h"
#include "asprof/plugins/HttpClient.h"
#include "asprof/sdk/ProfileArchive.h"
#include "Poco/DeflatingStream.h"
#include "Poco/Logger.h"
#include "Poco/Net/Context.h"
#include "Poco/Net/NetSSL.h"
#include "Poco/NumberParser.h"
#include "Poco/Util/MapConfiguration.h"
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

using namespace asprof;

namespace {

const char* const SMALL_JFR = ASPROF_BENCH_DATA_DIR "/cpu-wall.jfr";
// Three real recordings, concatenated (a valid multi-chunk JFR): 1.99 MB.
const char* const LARGE_PARTS[] = {
	ASPROF_BENCH_DATA_DIR "/fanout.jfr", ASPROF_BENCH_DATA_DIR "/nativemem.jfr", ASPROF_BENCH_DATA_DIR "/pollcatch.jfr"};

double threadCpuMicros()
{
	timespec now{};
	::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
	return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

double wallMicros()
{
	return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string readAll(const std::string& path)
{
	std::ifstream in(path, std::ios::binary);
	std::ostringstream out;
	out << in.rdbuf();
	return out.str();
}

sdk::Profile makeProfile(const std::string& jfrPath, std::uint64_t seq, const Poco::Timestamp& end)
{
	sdk::Profile profile;
	profile.seq = seq;
	profile.end = end;
	profile.start = end - Poco::Timespan(30, 0);
	profile.reportingInterval = Poco::Timespan(30, 0);
	profile.pid = 4242;
	profile.host.kind = "onprem";
	profile.host.setField("hostname", "bench-host");
	profile.recording = agent::FileRecording::fromFile(jfrPath);
	return profile;
}

struct Halves
{
	bench::Samples firstCpu, lastCpu, firstWall, lastWall;
	std::size_t scans = 0;
};

// One reporter instance of the plugin, configured from [reporter.bench] as the agent does.
Halves runLocal(agent::PluginRegistry& registry, const std::string& directory, int reports, const std::string& maxFiles)
{
	Poco::AutoPtr<Poco::Util::MapConfiguration> root(new Poco::Util::MapConfiguration);
	root->setString("reporter.bench.type", "local");
	root->setString("reporter.bench.directory", directory);
	root->setString("reporter.bench.maxFiles", maxFiles);
	agent::SectionContext context(root, "reporter.bench", "bench-reporter", "asprof.reporter.bench");
	std::unique_ptr<sdk::Reporter> reporter = registry.createReporter("local", "");
	reporter->configure(context);
	reporter->start();
	Halves halves;
	const int window = std::min(1000, reports / 2);
	// Five profiles a second, starting a day ago: suffixes and new seconds both.
	const Poco::Timestamp start = Poco::Timestamp() - Poco::Timespan(1, 0, 0, 0, 0);
	for (int i = 0; i < reports; ++i)
	{
		sdk::Profile profile = makeProfile(SMALL_JFR, static_cast<std::uint64_t>(i + 1), start + Poco::Timespan(i / 5, 0));
		const double cpu = threadCpuMicros();
		const double wall = wallMicros();
		sdk::ReportResult result = reporter->report(profile);
		const double cpuUs = threadCpuMicros() - cpu;
		const double wallUs = wallMicros() - wall;
		if (!result.isOk()) throw std::runtime_error("report " + std::to_string(i) + " failed: " + result.message);
		if (i < window)
		{
			halves.firstCpu.add(cpuUs);
			halves.firstWall.add(wallUs);
		}
		else if (i >= reports - window)
		{
			halves.lastCpu.add(cpuUs);
			halves.lastWall.add(wallUs);
		}
	}
	reporter->stop();
	return halves;
}

void printHalves(const char* what, const Halves& halves)
{
	std::printf("  %-34s %9.1f %9.1f %9.1f   %9.1f %9.1f %9.1f   %6.2fx\n", what, halves.firstCpu.median(), halves.firstCpu.quantile(0.9),
		halves.firstWall.median(), halves.lastCpu.median(), halves.lastCpu.quantile(0.9), halves.lastWall.median(),
		halves.firstCpu.median() > 0 ? halves.lastCpu.median() / halves.firstCpu.median() : 0.0);
}

struct LocalFigures
{
	double firstUs = 0;
	double lastUs = 0;
	double retentionFirstUs = 0;
	double retentionLastUs = 0;
};

LocalFigures benchLocal(const std::string& pluginDir, int reports)
{
	agent::PluginRegistry registry(pluginDir);
	std::printf("local reporter plugin %s, format = jfr (%s), %d reports, 5 a second\n", registry.pluginPath("reporter", "local").c_str(),
		SMALL_JFR, reports);
	std::printf("  %-34s %-31s   %-31s   %s\n", "", "first 1000: cpu med, p90, wall", "last 1000: cpu med, p90, wall", "last/first");
	LocalFigures figures;
	{
		bench::ScratchDirectory scratch("asprof-bench-reporter");
		std::printf("  (in %s, %s)\n", scratch.path().c_str(), bench::fileSystemType(scratch.path()).c_str());
		Halves all = runLocal(registry, scratch.path() + "/all", reports, "0");
		printHalves("maxFiles = 0 (keeps every file)", all);
		figures.firstUs = all.firstCpu.median();
		figures.lastUs = all.lastCpu.median();
	}
	{
		bench::ScratchDirectory scratch("asprof-bench-reporter");
		Halves kept = runLocal(registry, scratch.path() + "/kept", reports, "1000");
		printHalves("maxFiles = 1000", kept);
		figures.retentionFirstUs = kept.firstCpu.median();
		figures.retentionLastUs = kept.lastCpu.median();
	}
	std::printf("  (thread CPU and wall time of report(), µs)\n");
	return figures;
}

struct CompressFigures
{
	double zipUs[3] = {0, 0, 0};
	std::size_t zipBytes[3] = {0, 0, 0};
};

CompressFigures benchCompression(const std::string& jfrPath)
{
	const std::string recording = readAll(jfrPath);
	sdk::Profile profile = makeProfile(jfrPath, 1, Poco::Timestamp());
	const sdk::ProfileArchive::CompressionLevel levels[] = {
		sdk::ProfileArchive::CL_FAST, sdk::ProfileArchive::CL_NORMAL, sdk::ProfileArchive::CL_BEST};
	const char* names[] = {"fast (zlib 1, default)", "normal (zlib 6, before)", "best (zlib 9)"};
	std::printf("\ncompressionLevel on %s (%.1f KB), thread CPU per profile (µs, median of 9)\n", jfrPath.c_str(),
		static_cast<double>(recording.size()) / 1024.0);
	std::printf("  %-26s %12s %10s %8s   %12s %10s\n", "", "zip cpu", "zip KB", "ratio", "gzip cpu", "gzip KB");
	CompressFigures figures;
	for (int i = 0; i < 3; ++i)
	{
		bench::Samples zip, gzip;
		std::size_t gzipBytes = 0;
		for (int run = 0; run < 9; ++run)
		{
			double before = threadCpuMicros();
			figures.zipBytes[i] = sdk::ProfileArchive::toString(profile, levels[i]).size();
			double middle = threadCpuMicros();
			std::ostringstream out;
			Poco::DeflatingOutputStream deflater(out, Poco::DeflatingStreamBuf::STREAM_GZIP, static_cast<int>(levels[i]));
			deflater.write(recording.data(), static_cast<std::streamsize>(recording.size()));
			deflater.close();
			gzipBytes = out.str().size();
			zip.add(middle - before);
			gzip.add(threadCpuMicros() - middle);
		}
		figures.zipUs[i] = zip.median();
		std::printf("  %-26s %12.0f %10.1f %7.1fx   %12.0f %10.1f\n", names[i], zip.median(),
			static_cast<double>(figures.zipBytes[i]) / 1024.0,
			static_cast<double>(recording.size()) / static_cast<double>(figures.zipBytes[i]), gzip.median(),
			static_cast<double>(gzipBytes) / 1024.0);
	}
	return figures;
}

struct TlsFigures
{
	double clientSetupUs = 0;
	double systemStoreContextUs = 0;
};

TlsFigures benchTls()
{
	double before = wallMicros();
	{
		plugins::HttpClient client{plugins::HttpOptions()};
	}
	double lazy = wallMicros() - before;
	const std::uint64_t loads = plugins::HttpClient::systemTrustLoads();
	// What every client's constructor did before: a context loading the system store.
	Poco::Net::initializeSSL();
	Poco::Net::Context::Params params;
	params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
	params.loadDefaultCAs = true;
	before = wallMicros();
	Poco::Net::Context::Ptr eager = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
	double loaded = wallMicros() - before;
	std::printf("\nHTTP client set-up (wall µs)\n");
	std::printf("  %-52s %10.0f   (system CA store loaded: %s)\n", "HttpClient, default options (http:// costs no TLS)", lazy,
		loads ? "yes" : "no");
	std::printf("  %-52s %10.0f\n", "a client TLS context with the system CA store", loaded);
	return TlsFigures{lazy, loaded};
}

std::string largeRecording(const std::string& directory)
{
	std::string path = directory + "/large.jfr";
	std::ofstream out(path, std::ios::binary);
	for (const char* part : LARGE_PARTS) out << readAll(part);
	return path;
}

} // namespace

int main(int argc, char** argv)
{
	int reports = 10000;
	std::string pluginDir = ASPROF_BENCH_PLUGIN_DIR;
	std::string jfrPath;
	for (int i = 1; i < argc; ++i)
	{
		std::string argument = argv[i];
		if (argument.compare(0, 10, "--reports=") == 0)
			reports = Poco::NumberParser::parse(argument.substr(10));
		else if (argument.compare(0, 13, "--plugin-dir=") == 0)
			pluginDir = argument.substr(13);
		else if (argument.compare(0, 6, "--jfr=") == 0)
			jfrPath = argument.substr(6);
		else
		{
			std::fprintf(stderr, "usage: bench-reporter [--reports=N] [--plugin-dir=DIR] [--jfr=FILE]\n");
			return 2;
		}
	}
	Poco::Logger::root().setLevel("warning");
	try
	{
		LocalFigures local = benchLocal(pluginDir, std::max(reports, 2));
		bench::ScratchDirectory scratch("asprof-bench-reporter");
		CompressFigures compress = benchCompression(jfrPath.empty() ? largeRecording(scratch.path()) : jfrPath);
		TlsFigures tls = benchTls();
		std::printf(
			"RESULT local_first1000_cpu_us_median=%.1f local_last1000_cpu_us_median=%.1f retention_first1000_cpu_us_median=%.1f "
			"retention_last1000_cpu_us_median=%.1f zip_fast_cpu_us=%.0f zip_normal_cpu_us=%.0f zip_fast_kib=%.1f zip_normal_kib=%.1f "
			"http_client_setup_us=%.0f system_store_context_us=%.0f\n",
			local.firstUs, local.lastUs, local.retentionFirstUs, local.retentionLastUs, compress.zipUs[0], compress.zipUs[1],
			static_cast<double>(compress.zipBytes[0]) / 1024.0, static_cast<double>(compress.zipBytes[1]) / 1024.0, tls.clientSetupUs,
			tls.systemStoreContextUs);
	}
	catch (const Poco::Exception& error)
	{
		std::fprintf(stderr, "bench-reporter: %s\n", error.displayText().c_str());
		return 1;
	}
	catch (const std::exception& error)
	{
		std::fprintf(stderr, "bench-reporter: %s\n", error.what());
		return 1;
	}
	return 0;
}
