#include "asprof/jfr/PprofConvert.h"
#include "asprof/jfr/Saturating.h"
#include "asprof/jfr/Reader.h"
#include "Poco/NumberParser.h"
#include <algorithm>
#include <limits>
#include <memory>
#include <sstream>

namespace asprof {
namespace jfr {

namespace {

// async-profiler's defaults when a recording lacks the setting.
const std::int64_t DEFAULT_CPU_INTERVAL = 10000000;
const std::int64_t DEFAULT_WALL_INTERVAL = 50000000;

// One profile being built: feeds its collector and tells its writer each
// chunk's sampling interval (jdk.ActiveSetting) and the time span read.
class PprofFeed: public RecordingVisitor
{
public:
	PprofFeed(const CollectOptions& options, PprofWriter::Kind kind, std::vector<std::string>* warnings):
		writer(kind),
		collector(options, writer),
		_kind(kind),
		_warnings(warnings)
	{
	}

	void beginChunk(const Chunk& chunk) override
	{
		// async-profiler writes its settings into a recording's first chunk
		// only: later chunks of the same input keep its interval.
		if (chunk.inputName() != _input || chunk.header().index == 1) _interval = 0;
		_input = chunk.inputName();
		_start = std::min(_start, chunk.header().startNanos);
		_end = std::max(_end, chunk.header().endNanos());
		collector.beginChunk(chunk);
	}

	bool wants(const Chunk& chunk, const Type& type) override
	{
		bool collected = collector.wants(chunk, type);
		if (type.name == "jdk.ActiveSetting" && timed())
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
			collector.event(chunk, event);
			return;
		}
		if (chunk.pools().text(event.value(_name)) != (_kind == PprofWriter::Kind::Wall ? "wall" : "interval")) return;
		Poco::Int64 nanos = 0;
		if (Poco::NumberParser::tryParse64(chunk.pools().text(event.value(_value)), nanos) && nanos > 0) _interval = nanos;
	}

	void endChunk(const Chunk& chunk) override
	{
		if (timed())
		{
			if (_interval == 0)
			{
				bool wall = _kind == PprofWriter::Kind::Wall;
				_interval = wall ? DEFAULT_WALL_INTERVAL : DEFAULT_CPU_INTERVAL;
				if (_warnings && collector.eventsCollected() > _eventsWarned)
				{
					_warnings->push_back(chunk.inputName() + ": chunk " + std::to_string(chunk.header().index) + " does not say its " +
						(wall ? "wall" : "interval") + " setting; assuming " + std::to_string(_interval) + " ns per sample");
				}
			}
			writer.setPeriod(_interval);
		}
		collector.endChunk(chunk);
		_eventsWarned = collector.eventsCollected();
		writer.setTimeRange(_start, saturating::subtract(_end, _start));
	}

	PprofProfile finish(bool gzip)
	{
		collector.finish();
		PprofProfile profile;
		profile.kind = _kind;
		std::ostringstream out;
		writer.write(out, gzip);
		profile.data = out.str();
		profile.events = collector.eventsCollected();
		profile.samples = writer.total(0);
		profile.value = writer.total(1);
		profile.periodNanos = timed() ? _interval : 0;
		if (_start <= _end)
		{
			profile.startNanos = _start;
			profile.durationNanos = saturating::subtract(_end, _start);
		}
		return profile;
	}

	PprofWriter writer;
	StackCollector collector;

private:
	bool timed() const
	{
		return _kind == PprofWriter::Kind::Cpu || _kind == PprofWriter::Kind::Wall;
	}

	PprofWriter::Kind _kind;
	std::vector<std::string>* _warnings;
	std::int64_t _interval = 0;
	std::uint64_t _eventsWarned = 0;
	std::string _input;
	std::uint64_t _setting = ~std::uint64_t(0);
	int _name = -1;
	int _value = -1;
	std::int64_t _start = std::numeric_limits<std::int64_t>::max();
	std::int64_t _end = std::numeric_limits<std::int64_t>::min();
};

// Several feeds over one pass: each event goes to the feeds that wanted its type.
class FanOut: public RecordingVisitor
{
public:
	explicit FanOut(std::vector<PprofFeed*> feeds): _feeds(std::move(feeds))
	{
	}

	void beginChunk(const Chunk& chunk) override
	{
		_wanted.clear();
		for (auto* feed : _feeds) feed->beginChunk(chunk);
	}

	bool wants(const Chunk& chunk, const Type& type) override
	{
		std::vector<PprofFeed*>& wanting = _wanted[type.id];
		wanting.clear();
		for (auto* feed : _feeds)
		{
			if (feed->wants(chunk, type)) wanting.push_back(feed);
		}
		return !wanting.empty();
	}

	void event(const Chunk& chunk, const Event& event) override
	{
		auto found = _wanted.find(event.type().id);
		if (found == _wanted.end()) return;
		for (auto* feed : found->second) feed->event(chunk, event);
	}

	void endChunk(const Chunk& chunk) override
	{
		for (auto* feed : _feeds) feed->endChunk(chunk);
	}

private:
	std::vector<PprofFeed*> _feeds;
	std::unordered_map<std::uint64_t, std::vector<PprofFeed*>> _wanted;
};

PprofWriter::Kind kindOf(const CollectOptions& options)
{
	switch (options.event)
	{
	case CollectOptions::Event::Wall: return PprofWriter::Kind::Wall;
	case CollectOptions::Event::NativeMem: return options.leak ? PprofWriter::Kind::Inuse : PprofWriter::Kind::Alloc;
	default: return PprofWriter::Kind::Cpu;
	}
}

void readInto(const Input& input, RecordingVisitor& visitor, std::vector<std::string>* warnings)
{
	Reader reader(input, true);
	reader.read(visitor);
	if (reader.unfinished() && warnings) warnings->push_back(reader.unfinished()->message());
}

} // namespace

const char* kindName(PprofWriter::Kind kind)
{
	switch (kind)
	{
	case PprofWriter::Kind::Wall: return "wall";
	case PprofWriter::Kind::Alloc: return "alloc";
	case PprofWriter::Kind::Inuse: return "inuse";
	case PprofWriter::Kind::Heap: return "heap";
	default: return "cpu";
	}
}

PprofProfile convertToPprof(
	const std::vector<const Input*>& inputs, const CollectOptions& options, std::vector<std::string>* warnings, bool gzip)
{
	PprofFeed feed(options, kindOf(options), warnings);
	for (const auto* input : inputs) readInto(*input, feed, warnings);
	return feed.finish(gzip);
}

std::vector<PprofProfile> convertEachEvent(const Input& recording, std::vector<std::string>* warnings, bool gzip)
{
	CollectOptions cpu;
	CollectOptions wall;
	wall.event = CollectOptions::Event::Wall;
	CollectOptions alloc;
	alloc.event = CollectOptions::Event::NativeMem;
	PprofFeed feeds[3] = {
		{cpu, PprofWriter::Kind::Cpu, warnings}, {wall, PprofWriter::Kind::Wall, warnings}, {alloc, PprofWriter::Kind::Alloc, warnings}};
	FanOut fanOut({&feeds[0], &feeds[1], &feeds[2]});
	readInto(recording, fanOut, warnings);
	std::vector<PprofProfile> profiles;
	for (auto& feed : feeds)
	{
		// Frees alone (async-profiler records every free, samples mallocs) are no allocation profile.
		if (feed.collector.eventsCollected() == 0) continue;
		PprofProfile profile = feed.finish(gzip);
		if (profile.samples > 0) profiles.push_back(std::move(profile));
	}
	return profiles;
}

} // namespace jfr
} // namespace asprof
