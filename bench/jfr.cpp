//
// bench-jfr: asprof-jfr against async-profiler's Java converter on the same
// large recording, in the same run: throughput (MB/s of JFR) and peak RSS of
// each, for collapsed native memory, CPU and native memory leaks. Checks on the way that
// both give the same output. A bench, not a test: it prints figures and a
// RESULT line, it asserts nothing.
//
//   bench-jfr FILE.jfr [--runs N] [--jfrconv PATH]
//   bench-jfr --record FILE.jfr [--seconds S] [--library libasyncProfiler.so]
//
// The recording is not committed (50-300 MB). --record makes one with the real
// async-profiler (ASPROF_LIB or --library): cpu every 1 ms and every malloc
// (nativemem=0) of a few allocating threads. The converter is found as
// --jfrconv, $JFRCONV, or jfrconv on PATH; without it only our figures print.
//

#include "AsyncProfiler.h"
#include "BenchSupport.h"
#include "Poco/Environment.h"
#include "Poco/File.h"
#include "Poco/Path.h"
#include "Poco/Process.h"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Run
{
	double seconds = 0;
	long peakRssKiB = 0;
	int status = 0;
};

// Runs argv as a child with stdout to outputPath; wall time and its peak RSS.
Run runChild(const std::vector<std::string>& argv, const std::string& outputPath)
{
	Run run;
	auto start = Clock::now();
	std::fflush(stdout);
	pid_t pid = ::fork();
	if (pid < 0)
	{
		std::perror("fork");
		std::exit(1);
	}
	if (pid == 0)
	{
		if (!outputPath.empty())
		{
			FILE* out = std::freopen(outputPath.c_str(), "w", stdout);
			if (!out) _exit(126);
		}
		std::vector<char*> args;
		for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
		args.push_back(nullptr);
		::execvp(args[0], args.data());
		_exit(127);
	}
	int status = 0;
	struct rusage usage;
	std::memset(&usage, 0, sizeof(usage));
	::wait4(pid, &status, 0, &usage);
	run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
	run.peakRssKiB = usage.ru_maxrss;
	run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return run;
}

Run best(const std::vector<std::string>& argv, const std::string& output, int runs)
{
	Run result;
	result.seconds = 1e300;
	for (int i = 0; i < runs; ++i)
	{
		Run run = runChild(argv, output);
		if (run.status != 0) return run;
		if (run.seconds < result.seconds) result.seconds = run.seconds;
		result.peakRssKiB = std::max(result.peakRssKiB, run.peakRssKiB);
	}
	return result;
}

std::string readAll(const std::string& path)
{
	std::ifstream in(path, std::ios::binary);
	return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string findJfrconv(const std::string& given)
{
	if (!given.empty()) return given;
	std::string fromEnvironment = Poco::Environment::get("JFRCONV", "");
	if (!fromEnvironment.empty()) return fromEnvironment;
	std::string path = Poco::Environment::get("PATH", "");
	std::istringstream directories(path);
	for (std::string directory; std::getline(directories, directory, ':');)
	{
		std::string candidate = directory + "/jfrconv";
		if (::access(candidate.c_str(), X_OK) == 0) return candidate;
	}
	return "";
}

std::string ourTool(const char* argv0)
{
	Poco::Path self(argv0);
	self.makeAbsolute();
	return self.parent().toString() + "asprof-jfr";
}

// Allocating threads under the real profiler: a large recording.
int record(const std::string& file, int seconds, const std::string& library)
{
	asprof::agent::AsyncProfiler& profiler = asprof::agent::AsyncProfiler::load(library);
	std::string error = profiler.execute("start,event=cpu,interval=1ms,nativemem=0,cstack=fp,log=stderr,jfr,file=" + file);
	if (!error.empty())
	{
		std::fprintf(stderr, "bench-jfr: async-profiler start: %s\n", error.c_str());
		return 1;
	}
	std::atomic<bool> running(true);
	std::vector<std::thread> threads;
	for (int t = 0; t < 4; ++t)
	{
		threads.emplace_back([&running, t]() {
			std::vector<void*> ring(256, nullptr);
			std::size_t i = 0;
			while (running.load(std::memory_order_relaxed))
			{
				std::size_t slot = i++ % ring.size();
				std::free(ring[slot]);
				ring[slot] = std::malloc(64 + (i * 7 + static_cast<std::size_t>(t) * 13) % 4096);
			}
			for (void* block : ring) std::free(block);
		});
	}
	std::this_thread::sleep_for(std::chrono::seconds(seconds));
	running = false;
	for (auto& thread : threads) thread.join();
	error = profiler.execute("stop");
	if (!error.empty()) std::fprintf(stderr, "bench-jfr: async-profiler stop: %s\n", error.c_str());
	std::printf("bench-jfr: recorded %s (%.1f MB)\n", file.c_str(), static_cast<double>(Poco::File(file).getSize()) / 1e6);
	return 0;
}

} // namespace

int main(int argc, char** argv)
{
	std::string file;
	std::string recordTo;
	std::string jfrconv;
	std::string library = Poco::Environment::get("ASPROF_LIB", "");
	int runs = 3;
	int seconds = 20;
	for (int i = 1; i < argc; ++i)
	{
		std::string arg = argv[i];
		auto value = [&]() -> std::string {
			if (i + 1 >= argc)
			{
				std::fprintf(stderr, "bench-jfr: %s needs a value\n", arg.c_str());
				std::exit(2);
			}
			return argv[++i];
		};
		if (arg == "--runs")
			runs = std::max(1, std::atoi(value().c_str()));
		else if (arg == "--jfrconv")
			jfrconv = value();
		else if (arg == "--record")
			recordTo = value();
		else if (arg == "--seconds")
			seconds = std::max(1, std::atoi(value().c_str()));
		else if (arg == "--library")
			library = value();
		else if (!arg.empty() && arg[0] != '-')
			file = arg;
		else
		{
			std::fprintf(stderr,
				"usage: bench-jfr FILE.jfr [--runs N] [--jfrconv PATH]\n"
				"       bench-jfr --record FILE.jfr [--seconds S] [--library libasyncProfiler.so]\n");
			return 2;
		}
	}
	if (!recordTo.empty())
	{
		if (library.empty())
		{
			std::fprintf(stderr, "bench-jfr: --record needs the real libasyncProfiler.so (ASPROF_LIB or --library)\n");
			return 2;
		}
		return record(recordTo, seconds, library);
	}
	if (file.empty() || !Poco::File(file).exists())
	{
		std::fprintf(stderr, "bench-jfr: give a large recording (make one with --record); none at '%s'\n", file.c_str());
		return 2;
	}
	double megabytes = static_cast<double>(Poco::File(file).getSize()) / 1e6;
	std::string tool = ourTool(argv[0]);
	jfrconv = findJfrconv(jfrconv);
	asprof::bench::ScratchDirectory scratch("asprof-bench-jfr");
	std::printf("bench-jfr: %s, %.1f MB; best of %d runs each; peak RSS of the whole process\n", file.c_str(), megabytes, runs);
	std::printf("%-15s %-12s %10s %10s %12s\n", "event", "converter", "seconds", "MB/s", "peak RSS MB");

	double worstSpeedup = 1e300;
	double worstRssRatio = 0;
	bool identical = true;
	// Each as `collapsed OPTIONS`: the two, and --leak (memory bounded by the sampled mallocs).
	const std::vector<std::vector<std::string>> conversions = {{"--nativemem"}, {"--cpu"}, {"--nativemem", "--leak"}};
	for (const auto& conversion : conversions)
	{
		std::string event;
		for (const auto& option : conversion) event += (event.empty() ? "" : " ") + option.substr(2);
		std::string stem = event;
		std::replace(stem.begin(), stem.end(), ' ', '-');
		std::string ours = scratch.path() + "/ours-" + stem + ".collapsed";
		std::vector<std::string> ourArgs = {tool, "collapsed"};
		ourArgs.insert(ourArgs.end(), conversion.begin(), conversion.end());
		ourArgs.push_back(file);
		Run our = best(ourArgs, ours, runs);
		if (our.status != 0)
		{
			std::fprintf(stderr, "bench-jfr: asprof-jfr exited %d\n", our.status);
			return 1;
		}
		std::printf("%-15s %-12s %10.3f %10.1f %12.1f\n", event.c_str(), "asprof-jfr", our.seconds, megabytes / our.seconds,
			static_cast<double>(our.peakRssKiB) / 1024);
		if (jfrconv.empty()) continue;
		std::string theirs = scratch.path() + "/jfrconv-" + stem + ".collapsed";
		std::vector<std::string> theirArgs = {jfrconv};
		theirArgs.insert(theirArgs.end(), conversion.begin(), conversion.end());
		theirArgs.insert(theirArgs.end(), {"-o", "collapsed", file, theirs});
		Run their = best(theirArgs, "/dev/null", runs);
		if (their.status != 0)
		{
			std::fprintf(stderr, "bench-jfr: %s exited %d\n", jfrconv.c_str(), their.status);
			return 1;
		}
		std::printf("%-15s %-12s %10.3f %10.1f %12.1f\n", event.c_str(), "jfrconv", their.seconds, megabytes / their.seconds,
			static_cast<double>(their.peakRssKiB) / 1024);
		bool same = readAll(ours) == readAll(theirs);
		identical = identical && same;
		std::printf(
			"%-15s %-12s %s (%.1fx faster)\n", event.c_str(), "outputs", same ? "identical" : "DIFFER", their.seconds / our.seconds);
		if (conversion.size() > 1) continue; // the goal is the two
		worstSpeedup = std::min(worstSpeedup, their.seconds / our.seconds);
		worstRssRatio = std::max(worstRssRatio, static_cast<double>(our.peakRssKiB) / static_cast<double>(their.peakRssKiB));
	}
	if (jfrconv.empty())
	{
		std::printf("RESULT jfr_mb=%.1f jfrconv=absent (set JFRCONV to compare)\n", megabytes);
		return 0;
	}
	std::printf("RESULT jfr_mb=%.1f speedup_min=%.2fx rss_ratio_max=%.2f outputs=%s goal=speedup>=5x,rss_ratio<1\n", megabytes,
		worstSpeedup, worstRssRatio, identical ? "identical" : "differ");
	return 0;
}
