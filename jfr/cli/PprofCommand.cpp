#include "Commands.h"
#include "TimeSpec.h"
#include "asprof/jfr/PprofWriter.h"
#include "asprof/jfr/Reader.h"
#include "Poco/NumberParser.h"
#include <algorithm>
#include <iostream>
#include <limits>

namespace asprof {
namespace jfr {
namespace cli {

namespace {

// async-profiler's defaults when a recording lacks the setting.
const std::int64_t DEFAULT_CPU_INTERVAL = 10000000;
const std::int64_t DEFAULT_WALL_INTERVAL = 50000000;

// Feeds the collector and tells the pprof writer each chunk's sampling
// interval (jdk.ActiveSetting) and the recordings' time span.
class PprofFeed: public RecordingVisitor
{
public:
	PprofFeed(StackCollector& collector, PprofWriter& writer, bool wall): _collector(collector), _writer(writer), _wall(wall)
	{
	}

	void beginChunk(const Chunk& chunk) override
	{
		// async-profiler writes its settings into a recording's first chunk
		// only: later chunks of the same input keep its interval.
		if (chunk.inputName() != _input || chunk.header().index == 1) _interval = 0;
		_input = chunk.inputName();
		_start = std::min(_start, chunk.header().startNanos);
		_end = std::max(_end, chunk.header().startNanos + chunk.header().durationNanos);
		_collector.beginChunk(chunk);
	}

	bool wants(const Chunk& chunk, const Type& type) override
	{
		bool collected = _collector.wants(chunk, type);
		if (type.name == "jdk.ActiveSetting")
		{
			_name = type.fieldIndex("name");
			_value = type.fieldIndex("value");
			_setting = type.id;
			return true;
		}
		return collected;
	}

	void event(const Chunk& chunk, const Event& event) override
	{
		if (event.type().id != _setting)
		{
			_collector.event(chunk, event);
			return;
		}
		if (chunk.pools().text(event.value(_name)) != (_wall ? "wall" : "interval")) return;
		Poco::Int64 nanos = 0;
		if (Poco::NumberParser::tryParse64(chunk.pools().text(event.value(_value)), nanos) && nanos > 0) _interval = nanos;
	}

	void endChunk(const Chunk& chunk) override
	{
		if (_interval == 0)
		{
			_interval = _wall ? DEFAULT_WALL_INTERVAL : DEFAULT_CPU_INTERVAL;
			std::cerr << "asprof-jfr: warning: " << chunk.inputName() << ": chunk " << chunk.header().index << " does not say its "
					  << (_wall ? "wall" : "interval") << " setting; assuming " << _interval << " ns per sample\n";
		}
		_writer.setPeriod(_interval);
		_collector.endChunk(chunk);
		_writer.setTimeRange(_start, _end - _start);
	}

private:
	StackCollector& _collector;
	PprofWriter& _writer;
	bool _wall;
	std::int64_t _interval = 0;
	std::string _input;
	std::uint64_t _setting = ~std::uint64_t(0);
	int _name = -1;
	int _value = -1;
	std::int64_t _start = std::numeric_limits<std::int64_t>::max();
	std::int64_t _end = std::numeric_limits<std::int64_t>::min();
};

} // namespace

int runPprof(const Options& options)
{
	PprofWriter::Kind kind = options.event == "wall" ? PprofWriter::Kind::Wall
		: options.event == "nativemem"               ? (options.leak ? PprofWriter::Kind::Inuse : PprofWriter::Kind::Alloc)
													 : PprofWriter::Kind::Cpu;
	PprofWriter writer(kind);
	std::vector<Input> inputs = openInputs(options);
	StackCollector collector(collectOptions(options, inputs), writer);
	PprofFeed feed(collector, writer, kind == PprofWriter::Kind::Wall);
	for (const auto& input : inputs)
	{
		Reader reader(input, true);
		reader.read(feed);
		if (reader.unfinished()) std::cerr << "asprof-jfr: warning: " << reader.unfinished()->message() << "\n";
	}
	collector.finish();
	writeOutput(options, [&](std::ostream& out) { writer.write(out); });
	return 0;
}

} } } // namespace asprof::jfr::cli
