#include "asprof/jfr/StackCollector.h"
#include "asprof/jfr/JfrError.h"
#include "asprof/jfr/Reader.h"
#include "FrameNamer.h"
#include "JavaOrder.h"
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

	bool operator == (const SampleKey& other) const
	{
		return stackId == other.stackId && tid == other.tid && resolved == other.resolved;
	}
};

struct Allocation
{
	std::int64_t time = 0;
	std::int32_t tid = 0;
	std::int32_t stackId = 0;
	std::int64_t size = 0;
	const Stack* resolved = nullptr;
};

struct PendingAllocation
{
	Allocation allocation;
	std::uint64_t address = 0;
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

} // namespace

SampleSink::~SampleSink() = default;

struct StackCollector::Impl
{
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
	std::vector<bool> stateWanted;          // by thread state id (small)
	std::unordered_map<std::uint64_t, bool> stateWantedLarge;
	std::int64_t fromTicks = std::numeric_limits<std::int64_t>::min();
	std::int64_t toTicks = std::numeric_limits<std::int64_t>::max();
	java::Aggregator<SampleKey> aggregator;
	std::map<std::pair<std::int32_t, std::int32_t>, const Stack*> resolvedStacks;
	std::vector<PendingAllocation> chunkAllocations;

	// Across chunks, for --leak.
	java::LongHashMap<Allocation> live;
	std::int64_t minTime = std::numeric_limits<std::int64_t>::max();
	std::int64_t maxTime = std::numeric_limits<std::int64_t>::min();

	Impl(const CollectOptions& collectOptions, SampleSink& sampleSink): options(collectOptions), sink(sampleSink)
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

	std::int64_t toChunkTicks(const Chunk& chunk, std::int64_t nanos) const
	{
		const ChunkHeader& header = chunk.header();
		return static_cast<std::int64_t>(static_cast<double>(nanos - header.startNanos) * (static_cast<double>(header.ticksPerSecond) / 1e9)) +
			header.startTicks;
	}
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
	Impl& impl = *_impl;
	++impl.chunkIndex;
	impl.smallFields.assign(impl.smallFields.size(), SampleFields());
	impl.largeFields.clear();
	impl.namer.beginChunk();
	impl.resolvedStacks.clear();
	impl.chunkAllocations.clear();
	impl.aggregator.clear();
	impl.prepareStates(chunk);
	impl.fromTicks = impl.options.fromNanos ? impl.toChunkTicks(chunk, *impl.options.fromNanos) : std::numeric_limits<std::int64_t>::min();
	impl.toTicks = impl.options.toNanos ? impl.toChunkTicks(chunk, *impl.options.toNanos) : std::numeric_limits<std::int64_t>::max();
}

bool StackCollector::wants(const Chunk&, const Type& type)
{
	Impl& impl = *_impl;
	SampleFields fields;
	fields.time = type.fieldIndex("startTime");
	fields.thread = type.fieldIndex("sampledThread") >= 0 ? type.fieldIndex("sampledThread") : type.fieldIndex("eventThread");
	fields.stack = type.fieldIndex("stackTrace");
	if (impl.options.event == CollectOptions::Event::NativeMem)
	{
		fields.malloc = type.name == "profiler.Malloc";
		fields.free = type.name == "profiler.Free";
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
	impl.fieldsFor(type.id) = fields;
	return true;
}

void StackCollector::event(const Chunk&, const Event& event)
{
	Impl& impl = *_impl;
	const SampleFields& fields = impl.fieldsFor(event.type().id);
	auto time = static_cast<std::int64_t>(event.value(fields.time).integer);
	if (time < impl.fromTicks || time > impl.toTicks) return;
	std::int32_t tid = javaInt(event.value(fields.thread).integer);
	std::int32_t stackId = javaInt(event.value(fields.stack).integer);
	if (impl.options.event == CollectOptions::Event::NativeMem)
	{
		std::int64_t size = fields.malloc ? static_cast<std::int64_t>(event.value(fields.size).integer) : 0;
		++impl.collected;
		if (impl.options.leak)
		{
			PendingAllocation pending;
			pending.allocation = Allocation{time, tid, stackId, size, nullptr};
			pending.address = event.value(fields.address).integer;
			impl.chunkAllocations.push_back(pending);
			impl.minTime = std::min(impl.minTime, time);
			impl.maxTime = std::max(impl.maxTime, time);
			return;
		}
		std::uint32_t hash = static_cast<std::uint32_t>(stackId) + (impl.options.threads ? static_cast<std::uint32_t>(tid) * 31u : 0u);
		impl.aggregator.add(SampleKey{stackId, impl.options.threads ? tid : 0, nullptr}, hash, 1, size);
		return;
	}
	if (!impl.stateAccepted(event.value(fields.state).integer)) return;
	std::int64_t samples = fields.samples >= 0 ? javaInt(event.value(fields.samples).integer) : 1;
	++impl.collected;
	std::uint32_t hash = static_cast<std::uint32_t>(stackId) + (impl.options.threads ? static_cast<std::uint32_t>(tid) * 31u : 0u);
	impl.aggregator.add(SampleKey{stackId, impl.options.threads ? tid : 0, nullptr}, hash, samples, samples);
}

void StackCollector::endChunk(const Chunk& chunk)
{
	Impl& impl = *_impl;
	if (impl.options.leak)
	{
		// MallocLeakAggregator.afterChunk: in time order, a malloc makes its
		// address live, a free ends it.
		std::stable_sort(impl.chunkAllocations.begin(), impl.chunkAllocations.end(),
			[](const PendingAllocation& a, const PendingAllocation& b) { return a.allocation.time < b.allocation.time; });
		for (auto& pending : impl.chunkAllocations)
		{
			if (pending.allocation.size > 0)
			{
				pending.allocation.resolved = impl.resolve(chunk, pending.allocation.stackId, pending.allocation.tid);
				impl.live.put(pending.address, pending.allocation);
			}
			else
			{
				impl.live.remove(pending.address);
			}
		}
		impl.chunkAllocations.clear();
		return;
	}
	impl.aggregator.forEach([&](const java::Aggregator<SampleKey>::Slot& slot) {
		const Stack* stack = impl.resolve(chunk, slot.key.stackId, slot.key.tid);
		if (stack) impl.emit(*stack, slot.samples, slot.value);
	});
}

void StackCollector::finish()
{
	Impl& impl = *_impl;
	if (!impl.options.leak) return;
	// Allocations in the last tail of the span are too young to call leaks.
	auto cutoff = static_cast<std::int64_t>(static_cast<double>(impl.minTime) * impl.options.tail +
		static_cast<double>(impl.maxTime) * (1.0 - impl.options.tail));
	impl.aggregator.clear();
	impl.live.forEach([&](const Allocation& allocation) {
		if (allocation.time > cutoff) return;
		std::uint32_t hash = static_cast<std::uint32_t>(allocation.stackId) + (impl.options.threads ? static_cast<std::uint32_t>(allocation.tid) * 31u : 0u);
		impl.aggregator.add(SampleKey{allocation.stackId, impl.options.threads ? allocation.tid : 0, allocation.resolved}, hash, 1, allocation.size);
	});
	impl.aggregator.forEach([&](const java::Aggregator<SampleKey>::Slot& slot) {
		if (slot.key.resolved) impl.emit(*slot.key.resolved, slot.samples, slot.value);
	});
	impl.live.clear();
}

namespace {

// What one chunk's collector emitted, kept until the chunks before it are merged.
struct BufferedStacks: SampleSink
{
	struct Entry
	{
		std::vector<const NamedFrame*> stack;
		std::int64_t samples;
		std::int64_t value;
	};
	std::vector<Entry> entries;

	void add(const std::vector<const NamedFrame*>& stack, std::int64_t samples, std::int64_t value) override
	{
		entries.push_back(Entry{stack, samples, value});
	}
};

struct ChunkTask
{
	const Input* input = nullptr;
	ChunkHeader header;
	BufferedStacks buffer;
	std::unique_ptr<StackCollector> collector; // owns the frames buffer points to
	std::exception_ptr error;
};

} // namespace

std::vector<std::string> collectStacks(const std::vector<const Input*>& inputs, const CollectOptions& options, SampleSink& sink, unsigned threads)
{
	std::vector<std::string> warnings;
	std::vector<std::unique_ptr<ChunkTask>> tasks;
	for (const Input* input : inputs)
	{
		std::vector<ChunkHeader> headers = Reader(*input, true).chunkHeaders();
		std::uint64_t end = 0;
		for (const auto& header : headers)
		{
			auto task = std::make_unique<ChunkTask>();
			task->input = input;
			task->header = header;
			tasks.push_back(std::move(task));
			end = header.offset + header.size;
		}
		if (end < input->size())
		{
			warnings.push_back(JfrError(input->name(), static_cast<int>(headers.size()) + 1, end,
				"an unfinished chunk (a recording still being written, or cut short): left out").message());
		}
	}
	if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
	if (options.leak || threads == 1 || tasks.size() < 2)
	{
		StackCollector collector(options, sink);
		for (const auto& task : tasks) Reader(*task->input).readChunk(task->header, collector);
		collector.finish();
		return warnings;
	}
	// Up to threads chunks decoded at once; merged into sink in file order,
	// frames re-interned so that equal frames stay one object for the sink.
	NamedFrameSet frames;
	std::vector<const NamedFrame*> stack;
	for (std::size_t first = 0; first < tasks.size(); first += threads)
	{
		std::size_t last = std::min(tasks.size(), first + threads);
		std::vector<std::thread> workers;
		for (std::size_t i = first; i < last; ++i)
		{
			ChunkTask& task = *tasks[i];
			task.collector = std::make_unique<StackCollector>(options, task.buffer);
			workers.emplace_back([&task]() {
				try
				{
					Reader(*task.input).readChunk(task.header, *task.collector);
				}
				catch (...)
				{
					task.error = std::current_exception();
				}
			});
		}
		for (auto& worker : workers) worker.join();
		for (std::size_t i = first; i < last; ++i)
		{
			ChunkTask& task = *tasks[i];
			if (task.error) std::rethrow_exception(task.error);
			std::unordered_map<const NamedFrame*, const NamedFrame*> global;
			for (const auto& entry : task.buffer.entries)
			{
				stack.clear();
				for (const NamedFrame* frame : entry.stack)
				{
					auto known = global.find(frame);
					if (known == global.end()) known = global.emplace(frame, &*frames.insert(*frame).first).first;
					stack.push_back(known->second);
				}
				sink.add(stack, entry.samples, entry.value);
			}
			tasks[i].reset();
		}
	}
	return warnings;
}

} } // namespace asprof::jfr
