#include "Commands.h"
#include "TimeSpec.h"
#include "asprof/jfr/FlameGraph.h"
#include "asprof/jfr/JfrError.h"
#include "asprof/jfr/Reader.h"
#include "Poco/File.h"
#include "Poco/FileStream.h"
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
	if (!options.from.empty() || !options.to.empty())
	{
		std::int64_t start = std::numeric_limits<std::int64_t>::max();
		std::int64_t end = std::numeric_limits<std::int64_t>::min();
		for (const auto& input : inputs)
		{
			for (const auto& header : Reader(input, true).chunkHeaders())
			{
				start = std::min(start, header.startNanos);
				end = std::max(end, header.startNanos + header.durationNanos);
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
	// Written next to the target, then renamed: never half a file under the name.
	std::string temporary = options.output + ".tmp-asprof-jfr";
	try
	{
		Poco::FileOutputStream out(temporary);
		write(out);
		out.close();
		if (!out.good()) throw Poco::WriteFileException("cannot write " + temporary);
		Poco::File(temporary).renameTo(options.output);
	}
	catch (...)
	{
		try
		{
			Poco::File(temporary).remove();
		}
		catch (Poco::Exception&)
		{
		}
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

} } } // namespace asprof::jfr::cli
