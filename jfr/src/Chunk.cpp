#include "asprof/jfr/Chunk.h"

#include <limits>

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

namespace {

/// A double as int64, saturated at both ends; NaN is 0. A plain cast of an
/// out-of-range double is undefined behaviour.
std::int64_t saturatedInteger(double value)
{
	constexpr double limit = 9223372036854775808.0; // 2^63
	if (value != value) return 0;
	if (value >= limit) return std::numeric_limits<std::int64_t>::max();
	if (value < -limit) return std::numeric_limits<std::int64_t>::min();
	return static_cast<std::int64_t>(value);
}

std::int64_t saturatedSum(std::int64_t base, std::int64_t offset)
{
	std::int64_t sum = 0;
	if (!__builtin_add_overflow(base, offset, &sum)) return sum;
	return offset > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
}

/// a - b, exact while it fits 64 bits (it always does for real recordings),
/// else as a double.
double difference(std::int64_t a, std::int64_t b)
{
	std::int64_t exact = 0;
	if (!__builtin_sub_overflow(a, b, &exact)) return static_cast<double>(exact);
	return static_cast<double>(a) - static_cast<double>(b);
}

} // namespace

std::int64_t Chunk::ticksToNanos(std::int64_t ticks) const
{
	return saturatedSum(_header.startNanos, tickSpanToNanos(difference(ticks, _header.startTicks)));
}

std::int64_t Chunk::nanosToTicks(std::int64_t nanos) const
{
	double ticksPerNano = static_cast<double>(_header.ticksPerSecond) / 1e9;
	return saturatedSum(_header.startTicks, saturatedInteger(difference(nanos, _header.startNanos) * ticksPerNano));
}

std::int64_t Chunk::tickSpanToNanos(double ticks) const
{
	return saturatedInteger(ticks * (1e9 / static_cast<double>(_header.ticksPerSecond)));
}

} // namespace jfr
} // namespace asprof
