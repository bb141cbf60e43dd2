//
// ReadEverything.cpp
//
// What the fuzzer does with each input, shared with jfr-tests so every past
// finding is replayed through the same paths (under the sanitizers in CI).
//

#include "ReadEverything.h"

#include "asprof/jfr/FlameGraph.h"
#include "asprof/jfr/FlameGraphHtml.h"
#include "asprof/jfr/JfrError.h"
#include "asprof/jfr/LiveHeap.h"
#include "asprof/jfr/PollCatch.h"
#include "asprof/jfr/PprofConvert.h"
#include "asprof/jfr/PprofWriter.h"
#include "asprof/jfr/Reader.h"
#include "asprof/jfr/StackCollector.h"
#include "asprof/jfr/Summary.h"
#include <cstdint>
#include <limits>
#include <sstream>

namespace asprof {
namespace jfr {
namespace fuzz {

namespace {

struct Everything: RecordingVisitor
{
	bool wants(const Chunk&, const Type&) override
	{
		return true;
	}
};

void collect(const Input& input, CollectOptions::Event event, bool leak)
{
	CollectOptions options;
	options.event = event;
	options.leak = leak;
	options.threads = true;
	if (event == CollectOptions::Event::Wall)
	{
		// A time window: every chunk's clock converts it to ticks.
		options.fromNanos = 1;
		options.toNanos = std::numeric_limits<std::int64_t>::max();
	}
	FlameGraph graph(leak);
	PprofWriter pprof(leak ? PprofWriter::Kind::Inuse : PprofWriter::Kind::Cpu);
	struct Both: SampleSink
	{
		SampleSink& first;
		SampleSink& second;
		Both(SampleSink& a, SampleSink& b): first(a), second(b)
		{
		}
		void add(const std::vector<const NamedFrame*>& stack, std::int64_t samples, std::int64_t value) override
		{
			first.add(stack, samples, value);
			second.add(stack, samples, value);
		}
	} both(graph, pprof);
	StackCollector collector(options, both);
	Reader reader(input, true);
	reader.read(collector);
	collector.finish();
	std::ostringstream out;
	graph.writeCollapsed(out);
	writeFlameGraphHtml(graph, out, "fuzz", "samples");
	pprof.write(out);
}

} // namespace

void readEverything(const Input& input)
{
	try
	{
		Everything everything;
		Reader(input).read(everything);
	}
	catch (JfrError&)
	{
	}
	try
	{
		PollCatch polls(true);
		Reader(input, true).read(polls);
	}
	catch (JfrError&)
	{
	}
	for (auto event : {CollectOptions::Event::Cpu, CollectOptions::Event::Wall, CollectOptions::Event::NativeMem})
	{
		try
		{
			collect(input, event, event == CollectOptions::Event::NativeMem);
		}
		catch (JfrError&)
		{
		}
	}
	// What the CLI does: the summary, and collectStacks (the leak passes:
	// mallocs, then frees).
	try
	{
		Summary::of(input);
	}
	catch (JfrError&)
	{
	}
	for (bool leak : {false, true})
	{
		try
		{
			CollectOptions options;
			options.event = leak ? CollectOptions::Event::NativeMem : CollectOptions::Event::Cpu;
			options.leak = leak;
			FlameGraph graph(leak);
			collectStacks({&input}, options, graph, 1);
			std::ostringstream out;
			graph.writeCollapsed(out);
		}
		catch (JfrError&)
		{
		}
	}
	// What the agent does with each recording: the live heap (twice: it
	// keeps counting across recordings) and in-process pprof.
	asprof::jfr::LiveHeap heap(64);
	for (int i = 0; i < 2; ++i)
	{
		try
		{
			heap.add(input);
		}
		catch (JfrError&)
		{
		}
	}
	std::ostringstream profile;
	heap.writePprof(profile);
	try
	{
		convertEachEvent(input);
	}
	catch (JfrError&)
	{
	}
}

} // namespace fuzz
} // namespace jfr
} // namespace asprof
