#include "asprof/jfr/StackCollector.h"
#include "asprof/jfr/JfrError.h"
#include "asprof/jfr/Reader.h"
#include "JavaOrder.h"
#include <algorithm>
#include <exception>
#include <thread>
#include <functional>
#include <limits>
#include <map>

namespace asprof {
namespace jfr {

namespace {

struct FrameKey
{
	std::string name;
	std::string library;
	std::uint8_t type;
	bool thread;

	bool operator == (const FrameKey& other) const
	{
		return type == other.type && thread == other.thread && name == other.name && library == other.library;
	}
};

struct FrameKeyHash
{
	std::size_t operator () (const NamedFrame& frame) const
	{
		return std::hash<std::string>()(frame.name) * 31 + std::hash<std::string>()(frame.library) * 7 + frame.type * 2 + frame.thread;
	}
};

struct FrameEqual
{
	bool operator () (const NamedFrame& a, const NamedFrame& b) const
	{
		return a.type == b.type && a.thread == b.thread && a.name == b.name && a.library == b.library;
	}
};

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
	std::optional<std::regex> include;
	std::optional<std::regex> exclude;
	std::uint64_t collected = 0;

	std::unordered_set<NamedFrame, FrameKeyHash, FrameEqual> frames;
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
	std::unordered_map<std::uint64_t, const NamedFrame*> methodNames;
	std::map<std::pair<std::int32_t, std::int32_t>, const Stack*> resolvedStacks;
	std::vector<PendingAllocation> chunkAllocations;

	// Across chunks, for --leak.
	java::LongHashMap<Allocation> live;
	std::int64_t minTime = std::numeric_limits<std::int64_t>::max();
	std::int64_t maxTime = std::numeric_limits<std::int64_t>::min();

	Impl(const CollectOptions& collectOptions, SampleSink& sampleSink): options(collectOptions), sink(sampleSink)
	{
		try
		{
			if (!options.include.empty()) include.emplace(options.include);
			if (!options.exclude.empty()) exclude.emplace(options.exclude);
		}
		catch (std::regex_error& e)
		{
			throw JfrError("<options>", 0, 0, std::string("a bad regular expression in --include or --exclude: ") + e.what());
		}
	}

	const NamedFrame* intern(NamedFrame frame)
	{
		return &*frames.insert(std::move(frame)).first;
	}

	bool excluded(const Stack& stack) const
	{
		if (!include && !exclude) return false;
		bool needInclude = include.has_value();
		for (const NamedFrame* frame : stack)
		{
			if (exclude && std::regex_match(frame->name, *exclude)) return true;
			if (needInclude && std::regex_match(frame->name, *include))
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

	const NamedFrame* threadFrame(const Chunk& chunk, std::int32_t tid)
	{
		std::string name;
		const Type* threadType = chunk.metadata().byName("java.lang.Thread");
		const ConstantPools::Entry* entry = threadType ? chunk.pools().find(threadType->id, static_cast<std::uint32_t>(tid)) : nullptr;
		if (entry)
		{
			int javaName = threadType->fieldIndex("javaName");
			int osName = threadType->fieldIndex("osName");
			const Value* chosen = nullptr;
			if (javaName >= 0 && entry->values[static_cast<std::size_t>(javaName)].kind != Value::Kind::Null)
				chosen = &entry->values[static_cast<std::size_t>(javaName)];
			else if (osName >= 0 && entry->values[static_cast<std::size_t>(osName)].kind != Value::Kind::Null)
				chosen = &entry->values[static_cast<std::size_t>(osName)];
			if (chosen) name = chunk.pools().text(*chosen);
			else entry = nullptr;
		}
		NamedFrame frame;
		frame.thread = true;
		frame.type = FrameType::NATIVE;
		if (!entry) frame.name = "[tid=" + std::to_string(tid) + "]";
		else if (name.compare(0, 5, "[tid=") == 0) frame.name = name;
		else frame.name = "[" + name + " tid=" + std::to_string(tid) + "]";
		return intern(std::move(frame));
	}

	const std::string* symbolOf(const Chunk& chunk, const ConstantPools::Entry& entry, int field)
	{
		if (field < 0) return nullptr;
		const Value& value = entry.values[static_cast<std::size_t>(field)];
		return value.kind == Value::Kind::Reference ? chunk.pools().symbol(value.integer) : nullptr;
	}

	bool isNativeFrame(const Chunk& chunk, std::uint8_t type)
	{
		if (type == FrameType::CPP || type == FrameType::KERNEL) return true;
		if (type != FrameType::NATIVE) return false;
		const Type* frameTypes = chunk.metadata().byName("jdk.types.FrameType");
		return frameTypes && chunk.pools().find(frameTypes->id, FrameType::KERNEL);
	}

	// JfrConverter.getMethodName: cached per chunk by method id.
	const NamedFrame* methodFrame(const Chunk& chunk, std::uint64_t methodId, std::uint8_t type)
	{
		auto cached = methodNames.find(methodId);
		if (cached != methodNames.end()) return cached->second;
		NamedFrame frame;
		frame.type = type;
		const Type* methodType = chunk.metadata().byName("jdk.types.Method");
		const ConstantPools::Entry* method = methodType ? chunk.pools().find(methodType->id, methodId) : nullptr;
		if (!method)
		{
			frame.name = "unknown";
		}
		else
		{
			const std::string* methodName = symbolOf(chunk, *method, methodType->fieldIndex("name"));
			const std::string* className = nullptr;
			int classField = methodType->fieldIndex("type");
			const Type* classType = chunk.metadata().byName("java.lang.Class");
			if (classField >= 0 && classType)
			{
				const Value& classRef = method->values[static_cast<std::size_t>(classField)];
				const ConstantPools::Entry* cls = chunk.pools().find(classType->id, classRef.integer);
				if (cls) className = symbolOf(chunk, *cls, classType->fieldIndex("name"));
			}
			std::string methodText = methodName ? *methodName : std::string();
			if (!className || className->empty() || isNativeFrame(chunk, type))
			{
				frame.name = methodText;
				if (className && isNativeFrame(chunk, type)) frame.library = *className;
			}
			else
			{
				frame.name = methodText.empty() ? *className : *className + "." + methodText;
			}
		}
		const NamedFrame* result = intern(std::move(frame));
		methodNames.emplace(methodId, result);
		return result;
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
			if (options.threads) stack.push_back(threadFrame(chunk, tid));
			for (auto it = trace->frames.rbegin(); it != trace->frames.rend(); ++it)
				stack.push_back(methodFrame(chunk, it->method, static_cast<std::uint8_t>(it->type)));
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
	impl.methodNames.clear();
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
	std::unordered_set<NamedFrame, FrameKeyHash, FrameEqual> frames;
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
