#include "asprof/jfr/StackCollector.h"
#include "asprof/jfr/Saturating.h"
#include "asprof/jfr/JfrError.h"
#include "asprof/jfr/Reader.h"
#include "FrameNamer.h"
#include "EventSlices.h"
#include "JavaOrder.h"
#include "LeakMatcher.h"
#include "SliceSamples.h"
#include "Poco/RegularExpression.h"
#include <algorithm>
#include <exception>
#include <thread>
#include <functional>
#include <limits>
#include <map>

namespace asprof {
namespace jfr {

namespace {

using Stack = std::vector<const NamedFrame*>;

// The aggregation key, as EventAggregator groups: the stack trace id (and
// the thread with --threads); resolved tells chunks apart.
struct SampleKey
{
	std::int32_t stackId = 0;
	std::int32_t tid = 0;
	const Stack* resolved = nullptr;

	bool operator==(const SampleKey& other) const
	{
		return stackId == other.stackId && tid == other.tid && resolved == other.resolved;
	}
};

// The stack (and thread) of --leak's mallocs, one per distinct pair and chunk.
struct Site
{
	std::int32_t stackId = 0;
	std::int32_t tid = 0;
	const Stack* resolved = nullptr;
};

struct Free
{
	std::uint64_t address;
	std::int64_t time;
	std::uint32_t offset;
};

// The field indexes of one sample event type in this chunk.
struct SampleFields
{
	int time = -1;
	int thread = -1;
	int stack = -1;
	int state = -1;
	int samples = -1;
	int address = -1;
	int size = -1;
	bool malloc = false;
	bool free = false;
};

std::int32_t javaInt(std::uint64_t value)
{
	return static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
}

// Thrown out of Reader::readChunk by a collector that has read the chunk's
// events itself, in slices: the reader need not walk them again.
struct ChunkReadInSlices
{
};

// --leak reads a chunk in one pass (frees kept until its end), or in two:
// its mallocs, then its frees, matched as they come (collectStacks).
enum class LeakPass
{
	Both,
	Mallocs,
	Frees
};

class Collector: public RecordingVisitor
{
public:
	CollectOptions options;
	SampleSink& sink;
	std::unique_ptr<Poco::RegularExpression> include;
	std::unique_ptr<Poco::RegularExpression> exclude;
	std::uint64_t collected = 0;

	FrameNamer namer;
	std::deque<Stack> stacks; // resolved stacks; stable addresses

	// Per chunk.
	int chunkIndex = 0;
	std::vector<SampleFields> smallFields = std::vector<SampleFields>(1024); // by type id, the ids writers use
	std::unordered_map<std::uint64_t, SampleFields> largeFields;

	SampleFields& fieldsFor(std::uint64_t typeId)
	{
		return typeId < smallFields.size() ? smallFields[typeId] : largeFields[typeId];
	}
	std::vector<bool> stateWanted; // by thread state id (small)
	std::unordered_map<std::uint64_t, bool> stateWantedLarge;
	std::int64_t fromTicks = std::numeric_limits<std::int64_t>::min();
	std::int64_t toTicks = std::numeric_limits<std::int64_t>::max();
	java::Aggregator<SampleKey> aggregator;
	std::map<std::pair<std::int32_t, std::int32_t>, const Stack*> resolvedStacks;

	// For --leak: sites per chunk, the live allocations across chunks.
	LeakPass leakPass = LeakPass::Both;
	std::unordered_map<std::uint64_t, std::uint32_t> chunkSites;
	std::vector<Site> sites;
	std::vector<Free> chunkFrees;
	LeakMatcher leaks;
	std::uint64_t chunkOffset = 0;
	std::int64_t minTime = std::numeric_limits<std::int64_t>::max();
	std::int64_t maxTime = std::numeric_limits<std::int64_t>::min();

	Collector(const CollectOptions& collectOptions, SampleSink& sampleSink): options(collectOptions), sink(sampleSink)
	{
		include = compile(options.include);
		exclude = compile(options.exclude);
	}

	// The converter matches whole names with Java's patterns; PCRE reads
	// them the same (far more than std::regex's ECMAScript), with a match
	// limit instead of unbounded recursion.
	static std::unique_ptr<Poco::RegularExpression> compile(const std::string& pattern)
	{
		if (pattern.empty()) return nullptr;
		try
		{
			return std::make_unique<Poco::RegularExpression>("(?:" + pattern + ")\\z");
		}
		catch (Poco::Exception& e)
		{
			throw JfrError("<options>", 0, 0, "a bad regular expression in --include or --exclude: " + pattern + ": " + e.message());
		}
	}

	// Names are matched on their first MAX_MATCHED_NAME bytes (real frame
	// names are far shorter): no pattern can take long on a hostile name.
	static bool matches(const std::string& name, const Poco::RegularExpression& pattern)
	{
		const std::size_t MAX_MATCHED_NAME = 4096;
		Poco::RegularExpression::Match match;
		try
		{
			if (name.size() <= MAX_MATCHED_NAME) return pattern.match(name, 0, match, Poco::RegularExpression::RE_ANCHORED) > 0;
			return pattern.match(name.substr(0, MAX_MATCHED_NAME), 0, match, Poco::RegularExpression::RE_ANCHORED) > 0;
		}
		catch (Poco::Exception&)
		{
			return false; // PCRE's match limit: counts as no match
		}
	}

	bool excluded(const Stack& stack) const
	{
		if (!include && !exclude) return false;
		bool needInclude = include != nullptr;
		for (const NamedFrame* frame : stack)
		{
			if (exclude && matches(frame->name, *exclude)) return true;
			if (needInclude && matches(frame->name, *include))
			{
				if (!exclude) return false;
				needInclude = false;
			}
		}
		return needInclude;
	}

	void emit(const Stack& stack, std::int64_t samples, std::int64_t value)
	{
		if (!excluded(stack)) sink.add(stack, samples, value);
	}

	const Stack* resolve(const Chunk& chunk, std::int32_t stackId, std::int32_t tid)
	{
		auto key = std::make_pair(stackId, options.threads ? tid : 0);
		auto cached = resolvedStacks.find(key);
		if (cached != resolvedStacks.end()) return cached->second;
		const StackTrace* trace = chunk.pools().stackTrace(static_cast<std::uint32_t>(stackId));
		const Stack* result = nullptr;
		if (trace)
		{
			Stack stack;
			stack.reserve(trace->frames.size() + 1);
			if (options.threads) stack.push_back(namer.thread(chunk, tid));
			for (auto it = trace->frames.rbegin(); it != trace->frames.rend(); ++it)
				stack.push_back(namer.method(chunk, it->method, static_cast<std::uint8_t>(it->type)));
			stacks.push_back(std::move(stack));
			result = &stacks.back();
		}
		resolvedStacks.emplace(key, result);
		return result;
	}

	void prepareStates(const Chunk& chunk)
	{
		stateWanted.clear();
		stateWantedLarge.clear();
		const Type* states = chunk.metadata().byName("jdk.types.ThreadState");
		if (!states || options.event == CollectOptions::Event::NativeMem) return;
		int nameField = states->fieldIndex("name");
		// Every state the enum declares: STATE_DEFAULT is cpu, the rest wall.
		for (std::uint64_t id = 0; id < 256; ++id)
		{
			const ConstantPools::Entry* entry = chunk.pools().find(states->id, id);
			if (!entry || nameField < 0) continue;
			bool isDefault = chunk.pools().text(entry->values[static_cast<std::size_t>(nameField)]) == "STATE_DEFAULT";
			if (stateWanted.size() <= id) stateWanted.resize(id + 1, false);
			stateWanted[id] = isDefault == (options.event == CollectOptions::Event::Cpu);
		}
	}

	bool stateAccepted(std::uint64_t state) const
	{
		return state < stateWanted.size() && stateWanted[state];
	}

	std::uint32_t site(const Chunk& chunk, std::int32_t stackId, std::int32_t tid)
	{
		std::int32_t threadKey = options.threads ? tid : 0;
		std::uint64_t key = (std::uint64_t(static_cast<std::uint32_t>(stackId)) << 32) | static_cast<std::uint32_t>(threadKey);
		auto known = chunkSites.emplace(key, static_cast<std::uint32_t>(sites.size()));
		if (known.second) sites.push_back(Site{stackId, threadKey, resolve(chunk, stackId, tid)});
		return known.first->second;
	}

	// The event's position in its chunk: what orders events of equal time.
	std::uint32_t offsetInChunk(const Event& event) const
	{
		return static_cast<std::uint32_t>(event.offset() - chunkOffset);
	}

	// Whether the event counts, and as what (not --leak); value(index):
	// the integer of the field at index (0 for -1).
	template <class Values>
	bool toSample(const SampleFields& fields, const Values& value, Sample& sample) const
	{
		auto time = static_cast<std::int64_t>(value(fields.time));
		if (time < fromTicks || time > toTicks) return false;
		sample.tid = options.threads ? javaInt(value(fields.thread)) : 0;
		sample.stackId = javaInt(value(fields.stack));
		if (options.event == CollectOptions::Event::NativeMem)
		{
			sample.samples = 1;
			sample.value = fields.malloc ? saturating::fromUnsigned(value(fields.size)) : 0; // never negative
			return true;
		}
		if (!stateAccepted(value(fields.state))) return false;
		sample.samples = fields.samples >= 0 ? javaInt(value(fields.samples)) : 1;
		sample.value = sample.samples;
		return true;
	}

	void add(const Sample& sample)
	{
		std::uint32_t hash = static_cast<std::uint32_t>(sample.stackId) + static_cast<std::uint32_t>(sample.tid) * 31u;
		aggregator.add(SampleKey{sample.stackId, sample.tid, nullptr}, hash, sample.samples, sample.value);
	}

	// collectStacks: a chunk is read in up to sliceThreads slices at once,
	// each at least SLICE_BYTES (each thread costs a buffer and its sums).
	static const std::uint64_t SLICE_BYTES = 1 << 20;
	static const unsigned MAX_SLICES = 16;
	const Input* sliceInput = nullptr;
	unsigned sliceThreads = 1;

	void beginChunk(const Chunk& chunk) override;
	bool wants(const Chunk& chunk, const Type& type) override;
	void event(const Chunk& chunk, const Event& event) override;
	void endChunk(const Chunk& chunk) override;
	void finish();

private:
	bool readInSlices(const Chunk& chunk);
	void emitChunk(const Chunk& chunk);
	void leakEvent(
		const Chunk& chunk, const Event& event, const SampleFields& fields, std::int64_t time, std::int32_t tid, std::int32_t stackId);
};

void Collector::beginChunk(const Chunk& chunk)
{
	smallFields.assign(smallFields.size(), SampleFields());
	largeFields.clear();
	fromTicks = options.fromNanos ? chunk.nanosToTicks(*options.fromNanos) : std::numeric_limits<std::int64_t>::min();
	toTicks = options.toNanos ? chunk.nanosToTicks(*options.toNanos) : std::numeric_limits<std::int64_t>::max();
	if (leakPass == LeakPass::Frees) return; // the same chunk again
	++chunkIndex;
	namer.beginChunk();
	resolvedStacks.clear();
	chunkSites.clear();
	chunkFrees.clear();
	aggregator.clear();
	prepareStates(chunk);
	chunkOffset = chunk.header().offset;
	if (options.leak && chunk.header().size > std::numeric_limits<std::uint32_t>::max())
		throw JfrError(chunk.inputName(), chunk.header().index, chunkOffset, "--leak reads chunks of up to 4 GiB");
	if (readInSlices(chunk))
	{
		emitChunk(chunk);
		throw ChunkReadInSlices();
	}
}

// The chunk's events in slices read at once, each summed on its own,
// then added slice after slice; false (nothing added) when the chunk is
// small, has event types off the fast path, or could not be split.
bool Collector::readInSlices(const Chunk& chunk)
{
	auto count = static_cast<unsigned>(std::min<std::uint64_t>({sliceThreads, MAX_SLICES, chunk.header().size / SLICE_BYTES}));
	if (options.leak || count < 2 || !sliceInput) return false;
	std::vector<const Type*> wanted(smallFields.size(), nullptr);
	std::vector<std::size_t> fieldsRead(smallFields.size(), 0);
	std::vector<std::uint64_t> fieldsSkipped(smallFields.size(), 0);
	for (const auto& type : chunk.metadata().types())
	{
		if (type->id <= 1 || type->fields.empty() || !wants(chunk, *type)) continue; // 0, 1: metadata, checkpoints
		if (type->id >= wanted.size() || !type->integersOnly) return false;
		wanted[type->id] = type.get();
		// What toSample() looks at: a free's address, for one, is never decoded.
		const SampleFields& fields = smallFields[type->id];
		int last = std::max({fields.time, fields.stack, options.threads ? fields.thread : -1, fields.state, fields.samples,
			fields.malloc ? fields.size : -1});
		fieldsRead[type->id] = static_cast<std::size_t>(last + 1);
		// Before the last, passed over: the time without --from/--to, the thread without --threads.
		auto skip = [&](int field) {
			if (field >= 0 && field < last && field < 64) fieldsSkipped[type->id] |= std::uint64_t(1) << field;
		};
		if (!options.fromNanos && !options.toNanos) skip(fields.time);
		if (!options.threads) skip(fields.thread);
		for (int field = 0; field < last; ++field)
		{
			if (field != fields.time && field != fields.thread && field != fields.stack && field != fields.state &&
				field != fields.samples && field != fields.size)
				skip(field);
		}
	}
	std::vector<SliceSamples> slices(count);
	std::vector<std::uint64_t> validFrom;
	bool read = EventSlices::read(
		*sliceInput, chunk, count,
		[&](unsigned index, std::uint64_t begin, std::uint64_t stop, EventSlices::Slice& met) {
			SliceSamples& slice = slices[index];
			return EventSlices::readEvents(*sliceInput, chunk.header(), begin, stop, wanted, fieldsRead, fieldsSkipped, met,
				[&](const Type& type, const std::uint64_t* values, std::uint64_t position) {
					auto value = [values](int field) { return field < 0 ? 0 : values[field]; };
					Sample sample;
					if (!toSample(smallFields[type.id], value, sample)) return;
					// What a slice read first may precede its first true event: kept aside.
					if (met.patch)
						slice.addPatch(sample);
					else if (index > 0 && position - begin < EventSlices::EARLY_BYTES)
						slice.addEarly(position, sample);
					else
						slice.add(sample);
				});
		},
		validFrom);
	if (!read) return false;
	for (std::size_t index = 0; index < slices.size(); ++index)
	{
		for (const auto& early : slices[index].early())
		{
			if (early.first < validFrom[index]) continue;
			++collected;
			add(early.second);
		}
		collected += slices[index].events();
		for (const Sample& sum : slices[index].sums()) add(sum);
		collected += slices[index].patch().size();
		for (const Sample& patched : slices[index].patch()) add(patched);
	}
	return true;
}

bool Collector::wants(const Chunk&, const Type& type)
{
	SampleFields fields;
	fields.time = type.fieldIndex("startTime");
	fields.thread = type.fieldIndex("sampledThread") >= 0 ? type.fieldIndex("sampledThread") : type.fieldIndex("eventThread");
	fields.stack = type.fieldIndex("stackTrace");
	if (options.event == CollectOptions::Event::NativeMem)
	{
		fields.malloc = type.name == "profiler.Malloc" && leakPass != LeakPass::Frees;
		fields.free = type.name == "profiler.Free" && leakPass != LeakPass::Mallocs;
		if (!fields.malloc && !fields.free) return false;
		fields.address = type.fieldIndex("address");
		fields.size = fields.malloc ? type.fieldIndex("size") : -1;
	}
	else
	{
		bool wall = type.name == "profiler.WallClockSample";
		if (!wall && type.name != "jdk.ExecutionSample" && type.name != "jdk.NativeMethodSample") return false;
		fields.state = type.fieldIndex("state");
		fields.samples = wall ? type.fieldIndex("samples") : -1;
	}
	fieldsFor(type.id) = fields;
	return true;
}

void Collector::event(const Chunk& chunk, const Event& event)
{
	const SampleFields& fields = fieldsFor(event.type().id);
	auto value = [&event](int index) { return event.value(index).integer; };
	if (options.leak)
	{
		auto time = static_cast<std::int64_t>(value(fields.time));
		if (time < fromTicks || time > toTicks) return;
		++collected;
		leakEvent(chunk, event, fields, time, javaInt(value(fields.thread)), javaInt(value(fields.stack)));
		return;
	}
	Sample sample;
	if (!toSample(fields, value, sample)) return;
	++collected;
	add(sample);
}

void Collector::leakEvent(
	const Chunk& chunk, const Event& event, const SampleFields& fields, std::int64_t time, std::int32_t tid, std::int32_t stackId)
{
	minTime = std::min(minTime, time);
	maxTime = std::max(maxTime, time);
	std::uint64_t address = event.value(fields.address).integer;
	if (fields.malloc)
	{
		auto size = saturating::fromUnsigned(event.value(fields.size).integer); // never negative
		// An empty malloc removes, as a free does: no site needed.
		leaks.addMalloc(address, time, offsetInChunk(event), size, size > 0 ? site(chunk, stackId, tid) : 0);
	}
	else if (leakPass == LeakPass::Frees)
		leaks.addFree(address, time, offsetInChunk(event));
	else
		chunkFrees.push_back(Free{address, time, offsetInChunk(event)});
}

void Collector::endChunk(const Chunk& chunk)
{
	if (options.leak)
	{
		// MallocLeakAggregator.afterChunk: in time order, a malloc makes its
		// address live, a free ends it.
		if (leakPass != LeakPass::Frees) leaks.endMallocs();
		for (const Free& free : chunkFrees) leaks.addFree(free.address, free.time, free.offset);
		chunkFrees.clear();
		chunkFrees.shrink_to_fit();
		if (leakPass != LeakPass::Mallocs) leaks.endChunk();
		return;
	}
	emitChunk(chunk);
}

void Collector::emitChunk(const Chunk& chunk)
{
	aggregator.forEach([&](const java::Aggregator<SampleKey>::Slot& slot) {
		const Stack* stack = resolve(chunk, slot.key.stackId, slot.key.tid);
		if (stack) emit(*stack, slot.samples, slot.value);
	});
}

void Collector::finish()
{
	if (!options.leak) return;
	// Allocations in the last tail of the span are too young to call leaks.
	auto cutoff = saturating::fromDouble(static_cast<double>(minTime) * options.tail + static_cast<double>(maxTime) * (1.0 - options.tail));
	aggregator.clear();
	leaks.forEachLive(cutoff, [&](std::uint32_t index, std::int64_t size) {
		const Site& allocated = sites[index];
		std::uint32_t hash = static_cast<std::uint32_t>(allocated.stackId) + static_cast<std::uint32_t>(allocated.tid) * 31u;
		aggregator.add(SampleKey{allocated.stackId, allocated.tid, allocated.resolved}, hash, 1, size);
	});
	aggregator.forEach([&](const java::Aggregator<SampleKey>::Slot& slot) {
		if (slot.key.resolved) emit(*slot.key.resolved, slot.samples, slot.value);
	});
	leaks.clear();
}

} // namespace

SampleSink::~SampleSink() = default;

// Hidden: a nested class takes its enclosing class's visibility, and StackCollector
// is exported; its pimpl (polymorphic since it is a Collector) is not API.
struct __attribute__((visibility("hidden"))) StackCollector::Impl: Collector
{
	using Collector::Collector;
};

StackCollector::StackCollector(const CollectOptions& options, SampleSink& sink): _impl(new Impl(options, sink))
{
}

StackCollector::~StackCollector() = default;

std::uint64_t StackCollector::eventsCollected() const
{
	return _impl->collected;
}

void StackCollector::beginChunk(const Chunk& chunk)
{
	_impl->beginChunk(chunk);
}

bool StackCollector::wants(const Chunk& chunk, const Type& type)
{
	return _impl->wants(chunk, type);
}

void StackCollector::event(const Chunk& chunk, const Event& event)
{
	_impl->event(chunk, event);
}

void StackCollector::endChunk(const Chunk& chunk)
{
	_impl->endChunk(chunk);
}

void StackCollector::finish()
{
	_impl->finish();
}

namespace {

struct ChunkTask
{
	const Input* input = nullptr;
	ChunkHeader header;
};

} // namespace

std::vector<std::string> collectStacks(
	const std::vector<const Input*>& inputs, const CollectOptions& options, SampleSink& sink, unsigned threads)
{
	std::vector<std::string> warnings;
	std::vector<ChunkTask> tasks;
	for (const Input* input : inputs)
	{
		std::vector<ChunkHeader> headers = Reader(*input, true).chunkHeaders();
		std::uint64_t end = 0;
		for (const auto& header : headers)
		{
			tasks.push_back(ChunkTask{input, header});
			end = header.offset + header.size;
		}
		if (end < input->size())
		{
			warnings.push_back(JfrError(input->name(), static_cast<int>(headers.size()) + 1, end,
				"an unfinished chunk (a recording still being written, or cut short): left out")
								   .message());
		}
	}
	if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
	Collector collector(options, sink);
	for (const ChunkTask& task : tasks)
	{
		if (options.leak)
		{
			// Each chunk twice: its mallocs, then its frees, never stored.
			collector.leakPass = LeakPass::Mallocs;
			Reader(*task.input).readChunk(task.header, collector);
			collector.leakPass = LeakPass::Frees;
			Reader(*task.input).readChunk(task.header, collector);
			continue;
		}
		// A chunk after the other, each (but small ones) read by all threads at once.
		collector.sliceInput = task.input;
		collector.sliceThreads = threads;
		try
		{
			Reader(*task.input).readChunk(task.header, collector);
		}
		catch (const ChunkReadInSlices&)
		{
		}
	}
	collector.finish();
	return warnings;
}

} // namespace jfr
} // namespace asprof
