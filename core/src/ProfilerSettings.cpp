#include "asprof/agent/AgentConfig.h"

namespace asprof {
namespace agent {

namespace {

// The Rust agent's argument order, with file= where it puts it (after
// cstack), then our additions.
std::string buildArguments(const ProfilerSettings& settings, const std::string* file)
{
	std::string args = "event=" + settings.event;
	args += ",interval=" + std::to_string(settings.cpuInterval.totalMicroseconds() * 1000);
	if (settings.wallInterval.totalMicroseconds() > 0) args += ",wall=" + std::to_string(settings.wallInterval.totalMilliseconds()) + "ms";
	args += ",jfr,cstack=" + settings.cstack;
	if (file) args += ",file=" + *file;
	if (!settings.nativeMem.empty()) args += ",nativemem=" + settings.nativeMem;
	// async-profiler otherwise prints to the host's stdout.
	args += ",log=stderr";
	if (!settings.extraArgs.empty()) args += "," + settings.extraArgs;
	return args;
}

} // namespace

std::string ProfilerSettings::arguments() const
{
	return buildArguments(*this, nullptr);
}

std::string ProfilerSettings::startCommand(const std::string& file) const
{
	return "start," + buildArguments(*this, &file);
}

} // namespace agent
} // namespace asprof
