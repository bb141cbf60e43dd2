#include "asprof/jfr/PollCatch.h"
#include "asprof/jfr/FlameGraph.h"
#include "FrameNamer.h"
#include <algorithm>
#include <map>
#include <unordered_map>

namespace asprof {
namespace jfr {

const char* const PollCatch::EVENT_TYPE = "tokio.PollcatchV1";

namespace {

struct RawPoll
{
	std::int64_t tid;
	std::uint64_t before;
	std::uint64_t after;
};

struct RawSample
{
	std::int64_t tid;
	std::uint64_t ticks;
	std::uint64_t stackId;
	bool wall;
};

struct Fields
{
	enum class Kind
	{
		UserEvent,
		Sample,
		WallSample
	};
	Kind kind = Kind::Sample;
	int time = -1;
	int thread = -1;
	int stack = -1;
	int type = -1;
	int data = -1;
};

std::uint64_t littleEndian(const std::string& bytes, std::size_t offset)
{
	std::uint64_t value = 0;
	for (int i = 7; i >= 0; --i) value = value << 8 | static_cast<std::uint8_t>(bytes[offset + static_cast<std::size_t>(i)]);
	return value;
}

// A field that names something: a string, or a pool entry whose first
// string field is its name (profiler.types.UserEventType).
std::string nameOf(const Chunk& chunk, const Type& type, int index, const Value& value)
{
	if (value.kind == Value::Kind::String || value.kind == Value::Kind::StringReference) return chunk.pools().text(value);
	if (value.kind != Value::Kind::Reference || index < 0) return std::string();
	const Field& field = type.fields[static_cast<std::size_t>(index)];
	const ConstantPools::Entry* entry = field.type ? chunk.pools().find(field.type->id, value.integer) : nullptr;
	if (!entry) return std::string();
	for (const auto& member : entry->values)
	{
		if (member.kind == Value::Kind::String || member.kind == Value::Kind::StringReference) return chunk.pools().text(member);
	}
	return std::string();
}

} // namespace

struct PollCatch::Impl
{
	bool keepAllSamples;
	std::vector<Poll> polls;
	std::vector<PollSample> samples;
	std::uint64_t malformed = 0;

	// Per chunk.
	FrameNamer namer;
	std::unordered_map<std::uint64_t, Fields> fields;
	std::vector<RawPoll> chunkPolls;
	std::vector<RawSample> chunkSamples;
	std::unordered_map<std::uint64_t, std::vector<std::string>> stacks;

	explicit Impl(bool keepAll): keepAllSamples(keepAll)
	{
	}

	const std::vector<std::string>& stack(const Chunk& chunk, std::uint64_t stackId)
	{
		auto found = stacks.find(stackId);
		if (found != stacks.end()) return found->second;
		std::vector<std::string> names;
		if (const StackTrace* trace = chunk.pools().stackTrace(stackId))
		{
			for (const auto& frame : trace->frames)
			{
				const NamedFrame* named = namer.method(chunk, frame.method, static_cast<std::uint8_t>(frame.type));
				names.push_back(named->name + FlameGraph::suffix(named->type));
			}
		}
		return stacks.emplace(stackId, std::move(names)).first->second;
	}

	void match(const Chunk& chunk)
	{
		// Polls by thread, by start (ties: the longer first, so the inner one comes later).
		std::vector<std::size_t> order(chunkPolls.size());
		for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
		std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
			const RawPoll& x = chunkPolls[a];
			const RawPoll& y = chunkPolls[b];
			if (x.tid != y.tid) return x.tid < y.tid;
			if (x.before != y.before) return x.before < y.before;
			return x.after > y.after;
		});
		std::map<std::int64_t, std::pair<std::size_t, std::size_t>> byThread; // tid -> [begin, end) in order
		std::vector<std::uint64_t> maxAfter(order.size());
		for (std::size_t i = 0; i < order.size(); ++i)
		{
			const RawPoll& poll = chunkPolls[order[i]];
			auto& range = byThread.emplace(poll.tid, std::make_pair(i, i)).first->second;
			range.second = i + 1;
			maxAfter[i] = i > range.first ? std::max(maxAfter[i - 1], poll.after) : poll.after;
		}
		std::vector<std::map<std::uint64_t, std::uint64_t>> stackCounts(chunkPolls.size());
		std::vector<std::uint64_t> firstOfMost(chunkPolls.size(), 0);
		std::vector<std::uint64_t> mostCount(chunkPolls.size(), 0);
		std::vector<std::uint64_t> counts(chunkPolls.size(), 0);
		std::vector<std::int64_t> owner(chunkSamples.size(), -1);
		std::stable_sort(
			chunkSamples.begin(), chunkSamples.end(), [](const RawSample& a, const RawSample& b) { return a.ticks < b.ticks; });
		for (std::size_t s = 0; s < chunkSamples.size(); ++s)
		{
			const RawSample& sample = chunkSamples[s];
			auto thread = byThread.find(sample.tid);
			if (thread == byThread.end()) continue;
			std::size_t begin = thread->second.first;
			std::size_t end = thread->second.second;
			// The last poll starting at or before the sample, then back while one could still contain it.
			auto upper =
				std::upper_bound(order.begin() + static_cast<std::ptrdiff_t>(begin), order.begin() + static_cast<std::ptrdiff_t>(end),
					sample.ticks, [&](std::uint64_t ticks, std::size_t index) { return ticks < chunkPolls[index].before; });
			for (std::size_t j = static_cast<std::size_t>(upper - order.begin()); j > begin && maxAfter[j - 1] >= sample.ticks; --j)
			{
				std::size_t poll = order[j - 1];
				if (chunkPolls[poll].after < sample.ticks) continue;
				owner[s] = static_cast<std::int64_t>(poll);
				++counts[poll];
				std::uint64_t count = ++stackCounts[poll][sample.stackId];
				if (count > mostCount[poll])
				{
					mostCount[poll] = count;
					firstOfMost[poll] = sample.stackId;
				}
				break;
			}
		}
		// The chunk's polls into the result, by start; then its samples.
		std::vector<std::size_t> byStart(chunkPolls.size());
		for (std::size_t i = 0; i < byStart.size(); ++i) byStart[i] = i;
		std::stable_sort(
			byStart.begin(), byStart.end(), [&](std::size_t a, std::size_t b) { return chunkPolls[a].before < chunkPolls[b].before; });
		std::vector<std::int64_t> globalIndex(chunkPolls.size());
		for (std::size_t index : byStart)
		{
			const RawPoll& raw = chunkPolls[index];
			Poll poll;
			poll.tid = raw.tid;
			poll.thread = FrameNamer::threadName(chunk, static_cast<std::int32_t>(raw.tid));
			poll.startNanos = chunk.ticksToNanos(static_cast<std::int64_t>(raw.before));
			poll.durationNanos = chunk.tickSpanToNanos(static_cast<double>(raw.after - raw.before));
			poll.samples = counts[index];
			if (counts[index] > 0) poll.stack = stack(chunk, firstOfMost[index]);
			globalIndex[index] = static_cast<std::int64_t>(polls.size());
			polls.push_back(std::move(poll));
		}
		for (std::size_t s = 0; s < chunkSamples.size(); ++s)
		{
			if (owner[s] < 0 && !keepAllSamples) continue;
			const RawSample& raw = chunkSamples[s];
			PollSample sample;
			sample.tid = raw.tid;
			sample.thread = FrameNamer::threadName(chunk, static_cast<std::int32_t>(raw.tid));
			sample.timeNanos = chunk.ticksToNanos(static_cast<std::int64_t>(raw.ticks));
			sample.wall = raw.wall;
			sample.pollIndex = owner[s] < 0 ? -1 : globalIndex[static_cast<std::size_t>(owner[s])];
			sample.stack = stack(chunk, raw.stackId);
			samples.push_back(std::move(sample));
		}
	}
};

PollCatch::PollCatch(bool keepAllSamples): _impl(new Impl(keepAllSamples))
{
}

PollCatch::~PollCatch() = default;

void PollCatch::beginChunk(const Chunk&)
{
	_impl->namer.beginChunk();
	_impl->fields.clear();
	_impl->chunkPolls.clear();
	_impl->chunkSamples.clear();
	_impl->stacks.clear();
}

bool PollCatch::wants(const Chunk&, const Type& type)
{
	Fields fields;
	if (type.name == "profiler.UserEvent")
		fields.kind = Fields::Kind::UserEvent;
	else if (type.name == "jdk.ExecutionSample")
		fields.kind = Fields::Kind::Sample;
	else if (type.name == "profiler.WallClockSample")
		fields.kind = Fields::Kind::WallSample;
	else
		return false;
	fields.time = type.fieldIndex("startTime");
	fields.thread = type.fieldIndex(fields.kind == Fields::Kind::UserEvent ? "eventThread" : "sampledThread");
	fields.stack = type.fieldIndex("stackTrace");
	fields.type = type.fieldIndex("type");
	fields.data = type.fieldIndex("data");
	_impl->fields[type.id] = fields;
	return true;
}

void PollCatch::event(const Chunk& chunk, const Event& event)
{
	Impl& impl = *_impl;
	const Fields& fields = impl.fields[event.type().id];
	auto tid = static_cast<std::int64_t>(event.value(fields.thread).integer);
	if (fields.kind != Fields::Kind::UserEvent)
	{
		impl.chunkSamples.push_back(
			RawSample{tid, event.value(fields.time).integer, event.value(fields.stack).integer, fields.kind == Fields::Kind::WallSample});
		return;
	}
	if (nameOf(chunk, event.type(), fields.type, event.value(fields.type)) != EVENT_TYPE) return;
	const Value& data = event.value(fields.data);
	// The payload is raw bytes: Latin-1 keeps them one char per byte.
	if (data.kind != Value::Kind::String || data.encoding != Value::Encoding::Latin1 || data.text.size() != 16)
	{
		++impl.malformed;
		return;
	}
	std::uint64_t before = littleEndian(data.text, 0);
	std::uint64_t after = littleEndian(data.text, 8);
	if (after < before)
	{
		++impl.malformed;
		return;
	}
	impl.chunkPolls.push_back(RawPoll{tid, before, after});
}

void PollCatch::endChunk(const Chunk& chunk)
{
	_impl->match(chunk);
}

const std::vector<Poll>& PollCatch::polls() const
{
	return _impl->polls;
}

const std::vector<PollSample>& PollCatch::samples() const
{
	return _impl->samples;
}

std::uint64_t PollCatch::malformed() const
{
	return _impl->malformed;
}

} // namespace jfr
} // namespace asprof
