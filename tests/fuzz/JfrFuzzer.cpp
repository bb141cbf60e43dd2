//
// JfrFuzzer.cpp
//
// libFuzzer target for libasprof-jfr: whatever the bytes, reading them as a
// recording, collecting stacks of every kind and writing collapsed text, a
// flame graph and a pprof profile must end in success or a JfrError. Build
// and run with scripts/fuzz (clang, -fsanitize=fuzzer,address,undefined).
//

#include "asprof/jfr/FlameGraph.h"
#include "asprof/jfr/FlameGraphHtml.h"
#include "asprof/jfr/JfrError.h"
#include "asprof/jfr/LiveHeap.h"
#include "asprof/jfr/PollCatch.h"
#include "asprof/jfr/PprofConvert.h"
#include "asprof/jfr/PprofWriter.h"
#include "asprof/jfr/Reader.h"
#include "asprof/jfr/StackCollector.h"
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <sys/mman.h>
#include <unistd.h>

using namespace asprof::jfr;

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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
	int fd = ::memfd_create("jfr-fuzz", MFD_CLOEXEC);
	if (fd < 0) std::abort();
	if (size > 0 && ::write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
	Input input = Input::fromDescriptor(fd, "fuzz.jfr");
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
	// What the agent does with each recording: the live heap and in-process pprof.
	asprof::jfr::LiveHeap heap(64);
	try
	{
		heap.add(input);
	}
	catch (JfrError&)
	{
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
	return 0;
}
