#include "asprof/jfr/Summary.h"
#include "asprof/jfr/Saturating.h"
#include "asprof/jfr/Reader.h"
#include <algorithm>
#include <limits>

namespace asprof {
namespace jfr {

namespace {

class SummaryVisitor: public RecordingVisitor
{
public:
	explicit SummaryVisitor(Summary& summary): _summary(summary)
	{
	}

	void beginChunk(const Chunk& chunk) override
	{
		const ChunkHeader& header = chunk.header();
		if (_summary.chunks == 0) _summary.jfrVersion = std::to_string(header.major) + "." + std::to_string(header.minor);
		++_summary.chunks;
		_start = std::min(_start, header.startNanos);
		_end = std::max(_end, header.endNanos());
		_counts.clear();
	}

	bool wants(const Chunk&, const Type& type) override
	{
		if (type.name != "jdk.ActiveSetting") return false;
		_name = type.fieldIndex("name");
		_value = type.fieldIndex("value");
		return true;
	}

	void event(const Chunk& chunk, const Event& event) override
	{
		count(event.type(), event.size());
		_summary.settings[chunk.pools().text(event.value(_name))] = chunk.pools().text(event.value(_value));
	}

	void skipped(const Chunk&, const Type& type, std::uint64_t size) override
	{
		count(type, size);
	}

	void endChunk(const Chunk&) override
	{
		// Only now: an error in the chunk leaves the counts of whole chunks.
		for (const auto& entry : _counts)
		{
			auto& total = _summary.events[entry.first->name];
			total.count += entry.second.count;
			total.bytes += entry.second.bytes; // unsigned: bounded by the input's size
		}
		_summary.startNanos = _start;
		_summary.durationNanos = saturating::subtract(_end, _start);
	}

private:
	void count(const Type& type, std::uint64_t size)
	{
		auto& counted = _counts[&type];
		++counted.count;
		counted.bytes += size;
	}

	Summary& _summary;
	std::map<const Type*, Summary::EventType> _counts;
	std::int64_t _start = std::numeric_limits<std::int64_t>::max();
	std::int64_t _end = std::numeric_limits<std::int64_t>::min();
	int _name = -1;
	int _value = -1;
};

} // namespace

Summary Summary::of(const Input& input)
{
	Summary summary;
	summary.input = input.name();
	summary.bytes = input.size();
	SummaryVisitor visitor(summary);
	Reader reader(input, true);
	reader.read(visitor);
	if (reader.unfinished()) summary.warning = reader.unfinished()->message();
	return summary;
}

std::string Summary::profilerVersion() const
{
	auto it = settings.find("version");
	return it == settings.end() ? std::string() : it->second;
}

} // namespace jfr
} // namespace asprof
