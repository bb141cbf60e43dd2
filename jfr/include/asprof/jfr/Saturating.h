//
// Saturating.h
//
// 64-bit integer arithmetic for numbers that come from a recording or a
// command line: a result past what int64 holds stops at the nearest end
// (INT64_MIN or INT64_MAX) instead of being undefined behaviour. A recording
// may carry any value in any field (a hostile or corrupt one, or a clock that
// jumped); the toolkit's answer to such a value is a pinned number, never a
// wrapped time in the past or a crash under the sanitizers.
//

#ifndef Asprof_Jfr_Saturating_INCLUDED
#define Asprof_Jfr_Saturating_INCLUDED

#include <cstdint>
#include <limits>

namespace asprof {
namespace jfr {
namespace saturating {

constexpr std::int64_t MIN = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t MAX = std::numeric_limits<std::int64_t>::max();

/// a + b, pinned at MIN or MAX.
inline std::int64_t add(std::int64_t a, std::int64_t b)
{
	std::int64_t sum = 0;
	if (!__builtin_add_overflow(a, b, &sum)) return sum;
	return b > 0 ? MAX : MIN;
}

/// a - b, pinned at MIN or MAX.
inline std::int64_t subtract(std::int64_t a, std::int64_t b)
{
	std::int64_t difference = 0;
	if (!__builtin_sub_overflow(a, b, &difference)) return difference;
	return b < 0 ? MAX : MIN;
}

/// a * b, pinned at MIN or MAX.
inline std::int64_t multiply(std::int64_t a, std::int64_t b)
{
	std::int64_t product = 0;
	if (!__builtin_mul_overflow(a, b, &product)) return product;
	return (a < 0) == (b < 0) ? MAX : MIN;
}

/// A double as int64 (truncated toward zero), pinned at MIN or MAX; NaN is 0.
/// (A plain cast of an out-of-range double is undefined behaviour.)
inline std::int64_t fromDouble(double value)
{
	constexpr double limit = 9223372036854775808.0; // 2^63
	if (value != value) return 0;
	if (value >= limit) return MAX;
	if (value < -limit) return MIN;
	return static_cast<std::int64_t>(value);
}

/// An unsigned count as int64, pinned at MAX.
inline std::int64_t fromUnsigned(std::uint64_t value)
{
	return value > static_cast<std::uint64_t>(MAX) ? MAX : static_cast<std::int64_t>(value);
}

/// a - b exactly as a double while it fits int64 (always, for real
/// recordings), else computed in double.
inline double difference(std::int64_t a, std::int64_t b)
{
	std::int64_t exact = 0;
	if (!__builtin_sub_overflow(a, b, &exact)) return static_cast<double>(exact);
	return static_cast<double>(a) - static_cast<double>(b);
}

} // namespace saturating
} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Saturating_INCLUDED
