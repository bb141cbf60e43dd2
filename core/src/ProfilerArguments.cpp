#include "ProfilerArguments.h"
#include "Poco/RegularExpression.h"
#include <vector>

namespace asprof {
namespace agent {

const char* const ProfilerArguments::ALLOWED[] = {"alloc", "live", "lock", "nativelock", "nofree", "tlab", "threads", "sched", "record-cpu",
	"alluser", "jstackdepth", "features", "include", "exclude", "filter", "clock", "mcache", "proc", "nobatch", "memlimit", nullptr};

namespace {

// What the agent sets itself, or what would break the rotation or the host:
// named in the error, so that "File=" is not just "not allowed".
const char* const OWNED[] = {"start", "resume", "stop", "dump", "check", "status", "meminfo", "metrics", "list", "version", "file", "log",
	"loglevel", "quiet", "event", "interval", "wall", "cpu", "all", "cstack", "nativemem", "jfr", "jfropts", "jfrsync", "collapsed",
	"flamegraph", "tree", "flat", "traces", "summary", "otlp", "loop", "timeout", "chunksize", "chunktime", "server", "fdtransfer",
	"signal", nullptr};

// async-profiler's notion of a name: the low five bits of each character.
std::vector<int> nameCode(const std::string& name)
{
	std::vector<int> code;
	for (char c : name) code.push_back(c & 31);
	return code;
}

const char* findName(const char* const* names, const std::string& name)
{
	for (const char* const* candidate = names; *candidate; ++candidate)
	{
		if (nameCode(*candidate) == nameCode(name)) return *candidate;
	}
	return nullptr;
}

std::string allowedList()
{
	std::string list;
	for (const char* const* name = ProfilerArguments::ALLOWED; *name; ++name) list += (list.empty() ? "" : ", ") + std::string(*name);
	return list;
}

std::vector<std::string> splitItems(const std::string& extraArgs)
{
	std::vector<std::string> items;
	std::string::size_type start = 0;
	while (start <= extraArgs.size())
	{
		std::string::size_type end = extraArgs.find(',', start);
		if (end == std::string::npos) end = extraArgs.size();
		if (end > start) items.push_back(extraArgs.substr(start, end - start)); // like strtok: no empty items
		start = end + 1;
	}
	return items;
}

} // namespace

std::string ProfilerArguments::refusal(const std::string& extraArgs)
{
	static const Poco::RegularExpression nameForm("^[A-Za-z][A-Za-z-]{0,11}$");
	static const Poco::RegularExpression valueForm("^[A-Za-z0-9_.:/+*%@-]*$");
	for (const auto& item : splitItems(extraArgs))
	{
		std::string::size_type equals = item.find('=');
		std::string name = item.substr(0, equals);
		if (!nameForm.match(name) || (equals != std::string::npos && !valueForm.match(item.substr(equals + 1))))
			return "async-profiler arguments name[=value] separated by commas, such as alloc=2m,threads (\"" + item +
				"\" is not one: "
				"a name is letters and -, at most 12; a value has no spaces, quotes or control characters)";
		if (const char* owned = findName(OWNED, name))
			return "no " + name + " (async-profiler reads it as " + owned +
				", which the agent sets itself or which would break the "
				"rotation; use the [profiler] keys)";
		if (!findName(ALLOWED, name))
			return "only the async-profiler arguments " + allowedList() + " (\"" + name + "\" is not one of them)";
	}
	return std::string();
}

std::optional<std::string> ProfilerArguments::lastValue(const std::string& extraArgs, const std::string& name)
{
	std::optional<std::string> value;
	for (const auto& item : splitItems(extraArgs))
	{
		std::string::size_type equals = item.find('=');
		if (nameCode(item.substr(0, equals)) != nameCode(name)) continue;
		value = equals == std::string::npos ? std::string() : item.substr(equals + 1);
	}
	return value;
}

} // namespace agent
} // namespace asprof
