#include "NativeMemEvents.h"
#include "asprof/jfr/Saturating.h"
#include "asprof/jfr/Reader.h"
#include "Poco/NumberParser.h"
#include <algorithm>

namespace asprof {
namespace jfr {

namespace {

// Sizes past this are a corrupt field, not an allocation: clamped so that
// no sum can overflow.
const std::uint64_t MAX_SIZE = std::uint64_t(1) << 48;

} // namespace

NativeMemEvents::NativeMemEvents(std::function<bool(std::uint64_t)> liveBefore): _liveBefore(std::move(liveBefore))
{
}

void NativeMemEvents::read(const Input& recording)
{
	Reader reader(recording);
	for (const ChunkHeader& header : reader.chunkHeaders())
	{
		_freePass = false;
		reader.readChunk(header, *this);
		_freePass = true;
		reader.readChunk(header, *this);
		settleChunk();
	}
}

void NativeMemEvents::beginChunk(const Chunk& chunk)
{
	_fields.clear();
	_settingType = ~std::uint64_t(0);
	if (_freePass) return;
	_namer.beginChunk();
	_chunkStacks.clear();
	_chunkMallocs.clear();
	_freedBeforeMalloc.clear();
	const ChunkHeader& header = chunk.header();
	if (_startNanos == 0 || header.startNanos < _startNanos) _startNanos = header.startNanos;
	_endNanos = std::max(_endNanos, header.endNanos());
}

bool NativeMemEvents::wants(const Chunk&, const Type& type)
{
	Fields fields;
	if (!_freePass && type.name == "jdk.ActiveSetting")
	{
		// nativemem=N: a malloc is sampled every N bytes (pprof's period).
		fields.name = type.fieldIndex("name");
		fields.value = type.fieldIndex("value");
		_settingType = type.id;
		_fields[type.id] = fields;
		return true;
	}
	if (type.name != (_freePass ? "profiler.Free" : "profiler.Malloc")) return false;
	fields.time = type.fieldIndex("startTime");
	fields.address = type.fieldIndex("address");
	fields.stack = type.fieldIndex("stackTrace");
	fields.size = type.fieldIndex("size");
	_fields[type.id] = fields;
	return true;
}

void NativeMemEvents::event(const Chunk& chunk, const Event& event)
{
	const Fields& fields = _fields[event.type().id];
	if (event.type().id == _settingType)
	{
		Poco::Int64 bytes = 0;
		if (chunk.pools().text(event.value(fields.name)) == "nativemem" &&
			Poco::NumberParser::tryParse64(chunk.pools().text(event.value(fields.value)), bytes) && bytes >= 0)
			_samplingInterval = bytes;
		return;
	}
	auto time = static_cast<std::int64_t>(event.value(fields.time).integer);
	std::uint64_t address = event.value(fields.address).integer;
	if (_freePass)
	{
		onFree(address, time);
		return;
	}
	Malloc malloc;
	malloc.address = address;
	malloc.time = time;
	malloc.size = std::min(event.value(fields.size).integer, MAX_SIZE);
	malloc.stack = resolve(chunk, event.value(fields.stack).integer);
	malloc.order = ++_order;
	_chunkMallocs.push_back(malloc);
	_allocated[malloc.stack].objects += 1;
	_allocated[malloc.stack].bytes = saturating::add(_allocated[malloc.stack].bytes, static_cast<std::int64_t>(malloc.size));
	++_allocations;
	_allocatedBytes += malloc.size;
}

void NativeMemEvents::endChunk(const Chunk&)
{
	if (_freePass) return;
	// By address, then by time (stable: equal times keep file order, as the
	// converter's sort does).
	std::stable_sort(_chunkMallocs.begin(), _chunkMallocs.end(),
		[](const Malloc& a, const Malloc& b) { return a.address != b.address ? a.address < b.address : a.time < b.time; });
}

void NativeMemEvents::onFree(std::uint64_t address, std::int64_t time)
{
	// The block live at this address when it was freed: the chunk's last
	// malloc there at or before the free, else what was live before the chunk.
	auto first = std::lower_bound(_chunkMallocs.begin(), _chunkMallocs.end(), address,
		[](const Malloc& malloc, std::uint64_t value) { return malloc.address < value; });
	auto end = std::upper_bound(
		first, _chunkMallocs.end(), address, [](std::uint64_t value, const Malloc& malloc) { return value < malloc.address; });
	auto last = std::upper_bound(first, end, time, [](std::int64_t value, const Malloc& malloc) { return value < malloc.time; });
	if (last != first)
	{
		Malloc& block = *std::prev(last);
		if (block.freed)
			++_unmatchedFrees;
		else
		{
			block.freed = true;
			++_frees;
		}
		return;
	}
	if (liveBeforeChunk(address) && _freedBeforeMalloc.insert(address).second)
		++_frees;
	else
		++_unmatchedFrees;
}

bool NativeMemEvents::liveBeforeChunk(std::uint64_t address) const
{
	auto touched = _addresses.find(address);
	return touched != _addresses.end() ? touched->second.has_value() : _liveBefore(address);
}

// The chunk's outcome per address: its last block, if not freed; the block
// live before the chunk is gone either way (freed, or replaced).
void NativeMemEvents::settleChunk()
{
	for (std::uint64_t address : _freedBeforeMalloc) _addresses[address] = std::nullopt;
	for (std::size_t i = 0; i < _chunkMallocs.size(); ++i)
	{
		const Malloc& malloc = _chunkMallocs[i];
		bool lastAtAddress = i + 1 == _chunkMallocs.size() || _chunkMallocs[i + 1].address != malloc.address;
		if (!lastAtAddress) continue;
		if (malloc.freed)
			_addresses[malloc.address] = std::nullopt;
		else
			_addresses[malloc.address] = Block{malloc.size, malloc.stack, malloc.order};
	}
	_chunkMallocs.clear();
	_freedBeforeMalloc.clear();
}

std::uint32_t NativeMemEvents::resolve(const Chunk& chunk, std::uint64_t stackId)
{
	auto cached = _chunkStacks.find(stackId);
	if (cached != _chunkStacks.end()) return cached->second;
	Stack stack;
	if (const StackTrace* trace = chunk.pools().stackTrace(stackId))
	{
		stack.reserve(trace->frames.size());
		for (auto it = trace->frames.rbegin(); it != trace->frames.rend(); ++it)
			stack.push_back(_namer.method(chunk, it->method, static_cast<std::uint8_t>(it->type)));
	}
	// Interned frames are one object per content: their addresses are the key.
	std::string key(reinterpret_cast<const char*>(stack.data()), stack.size() * sizeof(const NamedFrame*));
	auto known = _stackIndex.find(key);
	if (known == _stackIndex.end())
	{
		known = _stackIndex.emplace(std::move(key), static_cast<std::uint32_t>(_stacks.size())).first;
		_stacks.push_back(std::move(stack));
		_allocated.emplace_back();
	}
	_chunkStacks.emplace(stackId, known->second);
	return known->second;
}

const std::unordered_map<std::uint64_t, std::optional<NativeMemEvents::Block>>& NativeMemEvents::addresses() const
{
	return _addresses;
}

const std::deque<NativeMemEvents::Stack>& NativeMemEvents::stacks() const
{
	return _stacks;
}

const std::vector<NativeMemEvents::Allocated>& NativeMemEvents::allocated() const
{
	return _allocated;
}

std::uint64_t NativeMemEvents::allocations() const
{
	return _allocations;
}

std::uint64_t NativeMemEvents::allocatedBytes() const
{
	return _allocatedBytes;
}

std::uint64_t NativeMemEvents::frees() const
{
	return _frees;
}

std::uint64_t NativeMemEvents::unmatchedFrees() const
{
	return _unmatchedFrees;
}

std::int64_t NativeMemEvents::samplingInterval() const
{
	return _samplingInterval;
}

std::int64_t NativeMemEvents::startNanos() const
{
	return _startNanos;
}

std::int64_t NativeMemEvents::endNanos() const
{
	return _endNanos;
}

} // namespace jfr
} // namespace asprof
