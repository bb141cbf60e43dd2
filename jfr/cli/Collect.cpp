#include "Commands.h"
#include "TimeSpec.h"
#include "asprof/jfr/FlameGraph.h"
#include "asprof/jfr/JfrError.h"
#include "asprof/jfr/Reader.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/RegularExpression.h"
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <iostream>
#include <limits>
#include <memory>

namespace asprof {
namespace jfr {
namespace cli {

CollectOptions collectOptions(const Options& options, const std::vector<Input>& inputs)
{
	CollectOptions collect;
	collect.event = options.event == "wall" ? CollectOptions::Event::Wall
		: options.event == "nativemem"      ? CollectOptions::Event::NativeMem
											: CollectOptions::Event::Cpu;
	collect.leak = options.leak;
	collect.tail = options.tail;
	collect.threads = options.threads;
	collect.include = options.include;
	collect.exclude = options.exclude;
	for (const auto* pattern : {&options.include, &options.exclude})
	{
		try
		{
			if (!pattern->empty()) Poco::RegularExpression check(*pattern);
		}
		catch (Poco::Exception& e)
		{
			throw UsageError((pattern == &options.include ? "-I " : "-X ") + *pattern + ": not a regular expression (" + e.message() + ")");
		}
	}
	if (!options.from.empty() || !options.to.empty())
	{
		std::int64_t start = std::numeric_limits<std::int64_t>::max();
		std::int64_t end = std::numeric_limits<std::int64_t>::min();
		for (const auto& input : inputs)
		{
			for (const auto& header : Reader(input, true).chunkHeaders())
			{
				start = std::min(start, header.startNanos);
				end = std::max(end, header.endNanos());
			}
		}
		if (!options.from.empty()) collect.fromNanos = resolveTime(options.from, "--from", start, end);
		if (!options.to.empty()) collect.toNanos = resolveTime(options.to, "--to", start, end);
	}
	return collect;
}

std::vector<Input> openInputs(const Options& options)
{
	std::vector<Input> inputs;
	for (const auto& path : options.inputs) inputs.push_back(Input::open(path));
	return inputs;
}

void collect(const Options& options, SampleSink& sink)
{
	std::vector<Input> inputs = openInputs(options);
	CollectOptions settings = collectOptions(options, inputs);
	std::vector<const Input*> pointers;
	for (const auto& input : inputs) pointers.push_back(&input);
	for (const auto& warning : collectStacks(pointers, settings, sink)) std::cerr << "asprof-jfr: warning: " << warning << "\n";
}

void writeOutput(const Options& options, const std::function<void(std::ostream&)>& write)
{
	if (options.output.empty() || options.output == "-")
	{
		write(std::cout);
		std::cout.flush();
		if (!std::cout) throw Poco::WriteFileException("cannot write to standard output");
		return;
	}
	struct stat st;
	bool exists = ::lstat(options.output.c_str(), &st) == 0;
	if (exists && !S_ISREG(st.st_mode))
	{
		// A device, a pipe or a symbolic link: written in place, as a shell's
		// > would (never replaced by a file).
		if (S_ISDIR(st.st_mode)) throw Poco::WriteFileException(options.output + " is a directory");
		std::ofstream out(options.output, std::ios::binary | std::ios::trunc);
		if (!out) throw Poco::WriteFileException("cannot write " + options.output + ": " + std::strerror(errno));
		write(out);
		out.flush();
		if (!out) throw Poco::WriteFileException("cannot write " + options.output);
		return;
	}
	// A new file of a unique name (O_EXCL) next to the target, renamed over it
	// at the end: never half a file under the name, and nothing someone else
	// prepared is written through.
	std::string pattern = options.output + ".tmp-XXXXXX";
	std::vector<char> name(pattern.begin(), pattern.end());
	name.push_back('\0');
	int fd = ::mkstemp(name.data());
	if (fd < 0) throw Poco::WriteFileException("cannot write " + options.output + ": " + std::strerror(errno));
	std::string temporary(name.data());
	mode_t mask = ::umask(0);
	::umask(mask);
	::fchmod(fd, exists ? (st.st_mode & 07777) : (0666 & ~mask));
	::close(fd);
	try
	{
		std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
		write(out);
		out.close();
		if (!out) throw Poco::WriteFileException("cannot write " + temporary);
		if (::rename(temporary.c_str(), options.output.c_str()) != 0)
			throw Poco::WriteFileException("cannot rename " + temporary + " to " + options.output + ": " + std::strerror(errno));
	}
	catch (...)
	{
		::unlink(temporary.c_str());
		throw;
	}
}

int runCollapsed(const Options& options)
{
	FlameGraph graph(options.total);
	collect(options, graph);
	writeOutput(options, [&](std::ostream& out) { graph.writeCollapsed(out); });
	return 0;
}

} // namespace cli
} // namespace jfr
} // namespace asprof
