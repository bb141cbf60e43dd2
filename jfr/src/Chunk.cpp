#include "asprof/jfr/Chunk.h"

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

std::int64_t Chunk::ticksToNanos(std::int64_t ticks) const
{
	double nanosPerTick = 1e9 / static_cast<double>(_header.ticksPerSecond);
	return _header.startNanos + static_cast<std::int64_t>(static_cast<double>(ticks - _header.startTicks) * nanosPerTick);
}

} // namespace jfr
} // namespace asprof
