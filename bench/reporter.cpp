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
//   copies    (--copies, alone) what one report of a ~2 MB recording costs in
//             memory and CPU through each reporter plugin (local jfr and zip,
//             http raw and zip to a loopback sink, s3 to the same sink, and a
//             multi of local zip + http zip + s3): peak heap growth and bytes
//             allocated (malloc, counted by this program), peak RSS growth
//             (VmHWM after clear_refs) and thread CPU, medians of 7 reports.
//             --baseline=FILE (the output of an earlier run, e.g. before a
//             change) prints its figures side by side with this run's.
// Figures only, never an assertion.
//
//   bench-reporter [--reports=N] [--plugin-dir=DIR] [--jfr=FILE]
//   bench-reporter --copies [--plugin-dir=DIR] [--jfr=FILE] [--baseline=FILE]
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
#include "Poco/Net/ServerSocket.h"
#include "Poco/Net/StreamSocket.h"
#include "Poco/NumberParser.h"
#include "Poco/String.h"
#include "Poco/Util/MapConfiguration.h"
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <malloc.h>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace asprof;

// Every allocation of the process (plugins, Poco, zlib, libstdc++) goes through
// these: glibc's own functions behind a count of the bytes allocated and the
// bytes live (malloc_usable_size), with the peak of the latter.
namespace {

std::atomic<long long> heapLive{0};
std::atomic<long long> heapPeak{0};
std::atomic<long long> heapAllocated{0};

void counted(void* block)
{
	if (!block) return;
	const long long size = static_cast<long long>(::malloc_usable_size(block));
	heapAllocated += size;
	const long long live = heapLive += size;
	long long peak = heapPeak.load(std::memory_order_relaxed);
	while (live > peak && !heapPeak.compare_exchange_weak(peak, live))
	{
	}
}

void uncounted(void* block)
{
	if (block) heapLive -= static_cast<long long>(::malloc_usable_size(block));
}

} // namespace

extern "C"
{
	void* __libc_malloc(std::size_t size);
	void* __libc_calloc(std::size_t count, std::size_t size);
	void* __libc_realloc(void* block, std::size_t size);
	void* __libc_memalign(std::size_t alignment, std::size_t size);
	void __libc_free(void* block);

	void* malloc(std::size_t size)
	{
		void* block = __libc_malloc(size);
		counted(block);
		return block;
	}

	void* calloc(std::size_t count, std::size_t size)
	{
		void* block = __libc_calloc(count, size);
		counted(block);
		return block;
	}

	void* realloc(void* block, std::size_t size)
	{
		uncounted(block);
		void* moved = __libc_realloc(block, size);
		counted(moved ? moved : (size == 0 ? nullptr : block));
		return moved;
	}

	void free(void* block)
	{
		uncounted(block);
		__libc_free(block);
	}

	void* memalign(std::size_t alignment, std::size_t size)
	{
		void* block = __libc_memalign(alignment, size);
		counted(block);
		return block;
	}

	void* aligned_alloc(std::size_t alignment, std::size_t size)
	{
		return memalign(alignment, size);
	}

	int posix_memalign(void** result, std::size_t alignment, std::size_t size)
	{
		void* block = memalign(alignment, size);
		if (!block) return ENOMEM;
		*result = block;
		return 0;
	}
}

namespace {

const char* const SMALL_JFR = ASPROF_BENCH_DATA_DIR "/cpu-wall.jfr";
// Three real recordings, concatenated (a valid multi-chunk JFR): 1.99 MB.
const char* const LARGE_PARTS[] = {
	ASPROF_BENCH_DATA_DIR "/fanout.jfr", ASPROF_BENCH_DATA_DIR "/nativemem.jfr", ASPROF_BENCH_DATA_DIR "/pollcatch.jfr"};

using bench::threadCpuMicros;

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

std::string largeRecording(const std::string& directory);

// An HTTP server that takes every request and answers 200 with no body,
// reading bodies into a fixed buffer (its own allocations stay small).
class SinkServer
{
public:
	SinkServer(): _listener(Poco::Net::SocketAddress("127.0.0.1", 0)), _thread([this] { run(); })
	{
	}

	~SinkServer()
	{
		_running = false;
		try
		{
			Poco::Net::StreamSocket wake(Poco::Net::SocketAddress("127.0.0.1", _listener.address().port()));
		}
		catch (const Poco::Exception&)
		{
		}
		_thread.join();
		std::lock_guard<std::mutex> guard(_mutex);
		for (auto& connection : _connections)
		{
			try
			{
				connection.shutdown();
			}
			catch (const Poco::Exception&)
			{
			}
		}
		for (auto& server : _servers) server.join();
	}

	std::string url() const
	{
		return "http://127.0.0.1:" + std::to_string(_listener.address().port());
	}

	std::uint64_t bodyBytes() const
	{
		return _bodyBytes;
	}

private:
	void run()
	{
		while (_running)
		{
			try
			{
				Poco::Net::StreamSocket connection = _listener.acceptConnection();
				if (!_running) return;
				std::lock_guard<std::mutex> guard(_mutex);
				_connections.push_back(connection); // shares the socket: shut down at the end
				_servers.emplace_back([this, connection]() mutable { serve(connection); });
			}
			catch (const Poco::Exception&)
			{
			}
		}
	}

	void serve(Poco::Net::StreamSocket& connection)
	{
		try
		{
			exchange(connection);
		}
		catch (const Poco::Exception&)
		{
		}
	}

	void exchange(Poco::Net::StreamSocket& connection)
	{
		std::vector<char> room(65536);
		char* buffer = room.data();
		const int bufferSize = static_cast<int>(room.size());
		std::string head;
		for (;;)
		{
			std::size_t end;
			while ((end = head.find("\r\n\r\n")) == std::string::npos)
			{
				const int n = connection.receiveBytes(buffer, bufferSize);
				if (n <= 0) return;
				head.append(buffer, static_cast<std::size_t>(n));
			}
			std::uint64_t length = 0;
			std::string lower = Poco::toLower(head.substr(0, end));
			const std::size_t field = lower.find("\r\ncontent-length:");
			if (field != std::string::npos) length = std::strtoull(lower.c_str() + field + 17, nullptr, 10);
			std::uint64_t have = head.size() - end - 4;
			head.clear();
			while (have < length)
			{
				const int n = connection.receiveBytes(buffer, static_cast<int>(std::min<std::uint64_t>(room.size(), length - have)));
				if (n <= 0) return;
				have += static_cast<std::uint64_t>(n);
			}
			_bodyBytes = length;
			const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
			connection.sendBytes(answer, static_cast<int>(sizeof(answer) - 1));
		}
	}

	Poco::Net::ServerSocket _listener;
	std::atomic<bool> _running{true};
	std::atomic<std::uint64_t> _bodyBytes{0};
	std::mutex _mutex;
	std::vector<Poco::Net::StreamSocket> _connections;
	std::vector<std::thread> _servers;
	std::thread _thread;
};

// VmHWM (peak RSS) of the process, in KiB; clearPeakResident() sets it back to VmRSS.
long peakResidentKiB()
{
	std::ifstream status("/proc/self/status");
	std::string line;
	while (std::getline(status, line))
	{
		if (line.compare(0, 6, "VmHWM:") == 0) return std::stol(line.substr(6));
	}
	return 0;
}

void clearPeakResident()
{
	std::ofstream("/proc/self/clear_refs") << "5";
}

struct CopyFigures
{
	std::string name;
	double heapPeakKiB = 0;
	double allocatedKiB = 0;
	double rssPeakKiB = 0;
	double cpuUs = 0;
};

using Settings = std::vector<std::pair<std::string, std::string>>;

// Reports the profile `runs` times through one reporter made from settings
// ([reporter.<first name>], children of a multi from the other names) and
// measures each report.
CopyFigures measureReports(agent::PluginRegistry& registry, const std::string& name, const std::map<std::string, Settings>& sections,
	const std::string& top, const sdk::Profile& profile, int runs)
{
	Poco::AutoPtr<Poco::Util::MapConfiguration> root(new Poco::Util::MapConfiguration);
	for (const auto& section : sections)
		for (const auto& setting : section.second) root->setString("reporter." + section.first + "." + setting.first, setting.second);
	std::vector<std::unique_ptr<agent::SectionContext>> contexts;
	std::function<std::unique_ptr<sdk::Reporter>(const std::string&)> make = [&](const std::string& instance) {
		contexts.push_back(
			std::make_unique<agent::SectionContext>(root, "reporter." + instance, "bench-reporter", "asprof.reporter." + instance, make));
		std::unique_ptr<sdk::Reporter> reporter = registry.createReporter(root->getString("reporter." + instance + ".type"), "");
		reporter->configure(*contexts.back());
		return reporter;
	};
	std::unique_ptr<sdk::Reporter> reporter = make(top);
	reporter->start();
	bench::Samples heap, allocated, rss, cpu;
	for (int run = 0; run <= runs; ++run)
	{
		clearPeakResident();
		const long rssBefore = bench::residentKiB();
		const long long liveBefore = heapLive.load();
		heapPeak = liveBefore;
		const long long allocatedBefore = heapAllocated.load();
		const double cpuBefore = threadCpuMicros();
		sdk::ReportResult result = reporter->report(profile);
		const double cpuUs = threadCpuMicros() - cpuBefore;
		if (!result.isOk()) throw std::runtime_error(name + ": report failed: " + result.message);
		if (run == 0) continue; // warm-up: connections, TLS-free client set-up, first directory scan
		heap.add(static_cast<double>(heapPeak.load() - liveBefore) / 1024.0);
		allocated.add(static_cast<double>(heapAllocated.load() - allocatedBefore) / 1024.0);
		rss.add(static_cast<double>(peakResidentKiB() - rssBefore));
		cpu.add(cpuUs);
	}
	reporter->stop();
	return CopyFigures{name, heap.median(), allocated.median(), rss.median(), cpu.median()};
}

// key=value pairs of the RESULT line in file (empty when there is none).
std::map<std::string, double> baselineFigures(const std::string& path)
{
	std::map<std::string, double> figures;
	std::ifstream in(path);
	std::string line;
	while (std::getline(in, line))
	{
		if (line.compare(0, 7, "RESULT ") != 0) continue;
		std::istringstream words(line.substr(7));
		std::string word;
		while (words >> word)
		{
			const std::size_t equals = word.find('=');
			if (equals != std::string::npos) figures[word.substr(0, equals)] = std::atof(word.c_str() + equals + 1);
		}
	}
	return figures;
}

int benchCopies(const std::string& pluginDir, const std::string& jfrPath, const std::string& baselinePath)
{
	agent::PluginRegistry registry(pluginDir);
	bench::ScratchDirectory scratch("asprof-bench-reporter");
	const std::string path = jfrPath.empty() ? largeRecording(scratch.path()) : jfrPath;
	sdk::Profile profile = makeProfile(path, 1, Poco::Timestamp() - Poco::Timespan(60, 0));
	const double recordingKiB = static_cast<double>(profile.recording->size()) / 1024.0;
	SinkServer sink;
	const Settings s3 = {{"type", "s3"}, {"bucket", "bench-bucket"}, {"endpoint", sink.url()}, {"pathStyle", "yes"},
		{"region", "us-east-1"}, {"accessKeyId", "AKIDBENCH"}, {"secretAccessKey", "bench-secret"}};
	const Settings httpZip = {{"type", "http"}, {"url", sink.url() + "/zip"}, {"format", "zip"}};
	const Settings localZip = {{"type", "local"}, {"directory", scratch.path() + "/zip"}, {"format", "zip"}, {"maxFiles", "4"}};
	struct Case
	{
		const char* key;
		std::map<std::string, Settings> sections;
		std::string top;
	};
	const Case cases[] = {
		{"local_jfr", {{"r", {{"type", "local"}, {"directory", scratch.path() + "/jfr"}, {"format", "jfr"}, {"maxFiles", "4"}}}}, "r"},
		{"local_zip", {{"r", localZip}}, "r"},
		{"http_raw", {{"r", {{"type", "http"}, {"url", sink.url() + "/raw"}, {"format", "raw"}}}}, "r"},
		{"http_zip", {{"r", httpZip}}, "r"},
		{"s3", {{"r", s3}}, "r"},
		{"multi3", {{"m", {{"type", "multi"}, {"reporters", "a, b, c"}}}, {"a", localZip}, {"b", httpZip}, {"c", s3}}, "m"},
	};
	const std::map<std::string, double> before = baselinePath.empty() ? std::map<std::string, double>() : baselineFigures(baselinePath);
	const bool sideBySide = !before.empty();
	std::printf(
		"one report of %s (%.0f KiB) per reporter, medians of 7 (plugins from %s)\n", path.c_str(), recordingKiB, pluginDir.c_str());
	std::printf("  multi3 = a multi of local zip + http zip + s3, each child reporting in turn (in the agent each child has a lane)\n");
	if (sideBySide) std::printf("  before (%s) -> now\n", baselinePath.c_str());
	std::printf("  %-10s %22s %22s %22s %22s\n", "", "peak heap growth KiB", "allocated KiB", "peak RSS growth KiB", "thread CPU µs");
	std::string result = "RESULT recording_kib=" + std::to_string(static_cast<long>(recordingKiB));
	for (const auto& c : cases)
	{
		CopyFigures figures = measureReports(registry, c.key, c.sections, c.top, profile, 7);
		const double values[] = {figures.heapPeakKiB, figures.allocatedKiB, figures.rssPeakKiB, figures.cpuUs};
		const char* suffixes[] = {"heap_peak_kib", "allocated_kib", "rss_peak_kib", "cpu_us"};
		std::printf("  %-10s", c.key);
		for (int i = 0; i < 4; ++i)
		{
			const std::string key = std::string(c.key) + "_" + suffixes[i];
			char cell[64];
			auto found = before.find(key);
			if (found != before.end())
				std::snprintf(cell, sizeof(cell), "%9.0f -> %9.0f", found->second, values[i]);
			else
				std::snprintf(cell, sizeof(cell), "%22.0f", values[i]);
			std::printf(" %22s", cell);
			char pair[96];
			std::snprintf(pair, sizeof(pair), " %s=%.0f", key.c_str(), values[i]);
			result += pair;
		}
		std::printf("\n");
	}
	std::printf("  (heap: malloc'd bytes, counted here; the zip the s3 and http reporters stage in an anonymous\n"
				"   memory file is page cache, not heap or RSS: about the zip's size, see compressionLevel above)\n");
	std::printf("%s\n", result.c_str());
	return 0;
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
	std::string baselinePath;
	bool copies = false;
	for (int i = 1; i < argc; ++i)
	{
		std::string argument = argv[i];
		if (argument == "--copies")
			copies = true;
		else if (argument.compare(0, 11, "--baseline=") == 0)
			baselinePath = argument.substr(11);
		else if (argument.compare(0, 10, "--reports=") == 0)
			reports = Poco::NumberParser::parse(argument.substr(10));
		else if (argument.compare(0, 13, "--plugin-dir=") == 0)
			pluginDir = argument.substr(13);
		else if (argument.compare(0, 6, "--jfr=") == 0)
			jfrPath = argument.substr(6);
		else
		{
			std::fprintf(stderr,
				"usage: bench-reporter [--reports=N] [--plugin-dir=DIR] [--jfr=FILE]\n"
				"       bench-reporter --copies [--plugin-dir=DIR] [--jfr=FILE] [--baseline=FILE]\n");
			return 2;
		}
	}
	Poco::Logger::root().setLevel("warning");
	try
	{
		if (copies) return benchCopies(pluginDir, jfrPath, baselinePath);
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
