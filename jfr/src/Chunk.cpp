#include "asprof/jfr/Chunk.h"

#include "asprof/jfr/Saturating.h"

namespace asprof {
namespace jfr {

const ConstantPools::Entry* ConstantPools::find(std::uint64_t typeId, std::uint64_t id) const
{
	auto pool = _pools.find(typeId);
	if (pool == _pools.end()) return nullptr;
	auto entry = pool->second.find(id);
	return entry == pool->second.end() ? nullptr : &entry->second;
}

const StackTrace* ConstantPools::stackTrace(std::uint64_t id) const
{
	auto it = _stackTraces.find(id);
	return it == _stackTraces.end() ? nullptr : &it->second;
}

const std::string* ConstantPools::symbol(std::uint64_t id) const
{
	auto it = _symbols.find(id);
	return it == _symbols.end() ? nullptr : &it->second;
}

const std::string* ConstantPools::string(std::uint64_t id) const
{
	auto it = _strings.find(id);
	return it == _strings.end() ? nullptr : &it->second;
}

std::string ConstantPools::text(const Value& value) const
{
	if (value.kind == Value::Kind::StringReference)
	{
		const std::string* found = string(value.integer);
		return found ? *found : std::string();
	}
	return value.utf8();
}

std::size_t ConstantPools::size(std::uint64_t typeId) const
{
	if (typeId == _stackTraceType) return _stackTraces.size();
	if (typeId == _symbolType) return _symbols.size();
	if (typeId == _stringType) return _strings.size();
	auto pool = _pools.find(typeId);
	return pool == _pools.end() ? 0 : pool->second.size();
}

std::int64_t ChunkHeader::endNanos() const
{
	return saturating::add(startNanos, durationNanos);
}

std::int64_t Chunk::ticksToNanos(std::int64_t ticks) const
{
	return saturating::add(_header.startNanos, tickSpanToNanos(saturating::difference(ticks, _header.startTicks)));
}

std::int64_t Chunk::nanosToTicks(std::int64_t nanos) const
{
	double ticksPerNano = static_cast<double>(_header.ticksPerSecond) / 1e9;
	return saturating::add(_header.startTicks, saturating::fromDouble(saturating::difference(nanos, _header.startNanos) * ticksPerNano));
}

std::int64_t Chunk::tickSpanToNanos(double ticks) const
{
	return saturating::fromDouble(ticks * (1e9 / static_cast<double>(_header.ticksPerSecond)));
}

} // namespace jfr
} // namespace asprof
