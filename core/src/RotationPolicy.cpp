#include "RotationPolicy.h"
#include "Poco/NumberParser.h"
#include <sstream>

namespace asprof {
namespace agent {

RotationPolicy::RotationPolicy(const RotationSettings& settings): _settings(settings)
{
}

bool RotationPolicy::restartDue(std::uint64_t fileSize) const
{
	if (_settings.strategy != "dump" || fellBack()) return true;
	if (_intervalsInFile >= _settings.restartEvery) return true;
	if (fileSize >= _settings.maxFileSize) return true;
	return _settings.maxProfilerMemory > 0 && _profilerMemory >= _settings.maxProfilerMemory;
}

void RotationPolicy::restarted()
{
	_intervalsInFile = 1;
	_profilerMemory = 0; // stop freed async-profiler's stack-trace storage
	if (fellBack() && ++_restartsSinceFallback >= _settings.restartEvery) _fallbackReason.clear(); // try dump again
}

void RotationPolicy::switched()
{
	++_intervalsInFile;
}

void RotationPolicy::fallBack(const std::string& reason)
{
	_fallbackReason = reason.empty() ? std::string("chunk switch failed") : reason;
	_restartsSinceFallback = 0;
	++_fallbacks;
}

int RotationPolicy::fallbacks() const
{
	return _fallbacks;
}

int RotationPolicy::restartEvery() const
{
	return _settings.restartEvery;
}

bool RotationPolicy::fellBack() const
{
	return !_fallbackReason.empty();
}

bool RotationPolicy::switchesChunks() const
{
	return _settings.strategy == "dump" && !fellBack();
}

bool RotationPolicy::wantsProfilerMemory() const
{
	return _settings.strategy == "dump" && !fellBack() && _settings.maxProfilerMemory > 0 && _memoryKnown;
}

void RotationPolicy::noteProfilerMemory(std::optional<std::uint64_t> bytes)
{
	if (bytes)
		_profilerMemory = *bytes;
	else
		_memoryKnown = false;
}

std::string RotationPolicy::strategy() const
{
	if (fellBack()) return "restart (fallback: " + _fallbackReason + ")";
	return _settings.strategy;
}

std::optional<std::uint64_t> RotationPolicy::profilerMemory(const std::string& metrics)
{
	std::istringstream lines(metrics);
	std::string name;
	std::string value;
	std::optional<std::uint64_t> total;
	while (lines >> name >> value)
	{
		if (name.compare(0, 4, "mem_") != 0 || name.size() < 7 || name.compare(name.size() - 3, 3, "_kb") != 0) continue;
		Poco::UInt64 kib = 0;
		if (!Poco::NumberParser::tryParseUnsigned64(value, kib)) continue;
		total = total.value_or(0) + kib * 1024;
	}
	return total;
}

} // namespace agent
} // namespace asprof
