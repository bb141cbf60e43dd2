#include "Options.h"
#include <cstdlib>
#include <limits>

namespace asprof {
namespace jfr {
namespace cli {

namespace {

const char* const USAGE =
	"usage: asprof-jfr summary    [--json] FILE...\n"
	"       asprof-jfr collapsed  [EVENT] [FILTERS] [-o OUT] FILE...\n"
	"       asprof-jfr flamegraph [EVENT] [FILTERS] [--title T] -o OUT.html FILE...\n"
	"       asprof-jfr pprof      [EVENT] [FILTERS] -o OUT.pb.gz FILE...\n"
	"       asprof-jfr nativemem  [--leaks [--tail RATIO]] [--json] [--threads] [--from TIME] [--to TIME] [-I REGEX] [-X REGEX]\n"
	"                             [-o OUT] FILE...\n"
	"       asprof-jfr longpolls  [--json] [--stack-depth N] [--samples [--include-non-pollcatch]] FILE... [MIN_DURATION]\n"
	"       asprof-jfr timeline   [--stack-depth N] -o TRACE.json FILE...\n"
	"\n"
	"EVENT:   --cpu (default) | --wall | --nativemem [--leak [--tail RATIO]]\n"
	"FILTERS: --threads  --total  --from TIME --to TIME  -I/--include REGEX  -X/--exclude REGEX\n"
	"\n"
	"MIN_DURATION: the shortest poll to list, such as 500us or 10ms (default 0).\n"
	"FILE is a .jfr, a zip holding one (as the agent's reporters upload), or - for standard input.\n"
	"TIME is milliseconds since the start of the recording (12000), negative from its end (-5000),\n"
	"an epoch time in ms, or with a unit: 500ms, 30s, 2m, or a clock time HH:MM[:SS] (UTC).\n"
	"Exit status: 0 done, 1 an input could not be read, 2 a usage error.\n"
	"See docs/jfr.md.\n";

bool takesValue(const std::string& option)
{
	return option == "-o" || option == "--output" || option == "--tail" || option == "--from" || option == "--to" || option == "-I" ||
		option == "--include" || option == "-X" || option == "--exclude" || option == "--title" || option == "--stack-depth";
}

} // namespace

const char* usage()
{
	return USAGE;
}

Options Options::parse(const std::vector<std::string>& arguments)
{
	if (arguments.empty()) throw UsageError("no command given");
	Options options;
	options.command = arguments[0];
	if (options.command != "summary" && options.command != "collapsed" && options.command != "flamegraph" && options.command != "pprof" &&
		options.command != "longpolls" && options.command != "timeline" && options.command != "nativemem")
		throw UsageError("unknown command '" + options.command + "'");
	const bool summary = options.command == "summary";
	const bool polls = options.command == "longpolls" || options.command == "timeline";
	const bool nativemem = options.command == "nativemem";
	bool eventGiven = false;
	bool endOfOptions = false;
	for (std::size_t i = 1; i < arguments.size(); ++i)
	{
		const std::string& argument = arguments[i];
		if (endOfOptions || argument == "-" || argument.empty() || argument[0] != '-')
		{
			options.inputs.push_back(argument);
			continue;
		}
		if (argument == "--")
		{
			endOfOptions = true;
			continue;
		}
		std::string option = argument;
		std::string value;
		bool hasValue = false;
		auto equals = argument.find('=');
		if (argument.compare(0, 2, "--") == 0 && equals != std::string::npos)
		{
			option = argument.substr(0, equals);
			value = argument.substr(equals + 1);
			hasValue = true;
		}
		if (takesValue(option) && !hasValue)
		{
			if (i + 1 >= arguments.size()) throw UsageError(option + " needs a value");
			value = arguments[++i];
			hasValue = true;
		}
		else if (!takesValue(option) && hasValue)
		{
			throw UsageError(option + " takes no value");
		}
		if (summary && option != "--json") throw UsageError(option + " does not apply to summary (only --json)");
		if (polls && option != "--stack-depth" && option != "-o" && option != "--output" &&
			(options.command == "timeline" || (option != "--json" && option != "--samples" && option != "--include-non-pollcatch")))
			throw UsageError(option + " does not apply to " + options.command);
		if (!polls && (option == "--stack-depth" || option == "--samples" || option == "--include-non-pollcatch"))
			throw UsageError(option + " applies to longpolls and timeline only");
		if (!summary && options.command != "longpolls" && !nativemem && option == "--json")
			throw UsageError("--json applies to summary, longpolls and nativemem only");
		if (nativemem && (option == "--cpu" || option == "--wall" || option == "--nativemem" || option == "--total" || option == "--title"))
			throw UsageError(option + " does not apply to nativemem");
		if (!nativemem && option == "--leaks") throw UsageError("--leaks applies to nativemem only (elsewhere: --nativemem --leak)");
		if (option == "--json")
			options.json = true;
		else if (option == "--samples")
			options.samples = true;
		else if (option == "--include-non-pollcatch")
			options.includeNonPollcatch = true;
		else if (option == "--stack-depth")
		{
			char* end = nullptr;
			long depth = std::strtol(value.c_str(), &end, 10);
			if (value.empty() || *end != '\0' || depth < 1 || depth > 100000)
				throw UsageError("--stack-depth " + value + ": expected a number of frames from 1 to 100000");
			options.stackDepth = static_cast<int>(depth);
		}
		else if (option == "--cpu" || option == "--wall" || option == "--nativemem")
		{
			if (eventGiven) throw UsageError("give one of --cpu, --wall, --nativemem");
			eventGiven = true;
			options.event = option.substr(2);
		}
		else if (option == "--leak" || option == "--leaks")
			options.leak = true;
		else if (option == "--tail")
		{
			// A ratio (0.1) or a percentage (10%), as the converter takes it.
			bool percent = !value.empty() && value.back() == '%';
			std::string number = percent ? value.substr(0, value.size() - 1) : value;
			char* end = nullptr;
			options.tail = std::strtod(number.c_str(), &end) / (percent ? 100.0 : 1.0);
			if (number.empty() || *end != '\0' || !(options.tail >= 0 && options.tail <= 1))
				throw UsageError("--tail " + value + ": expected a ratio from 0 to 1 (0.1) or a percentage (10%)");
			options.tailGiven = true;
		}
		else if (option == "--threads")
			options.threads = true;
		else if (option == "--total")
			options.total = true;
		else if (option == "--from")
			options.from = value;
		else if (option == "--to")
			options.to = value;
		else if (option == "-I" || option == "--include")
			options.include = value;
		else if (option == "-X" || option == "--exclude")
			options.exclude = value;
		else if (option == "-o" || option == "--output")
			options.output = value;
		else if (option == "--title")
		{
			if (options.command != "flamegraph") throw UsageError("--title applies to flamegraph only");
			options.title = value;
		}
		else
			throw UsageError("unknown option " + option);
	}
	if (options.command == "longpolls" && options.inputs.size() > 1)
	{
		// A last argument that reads as a duration is MIN_DURATION.
		const std::string& last = options.inputs.back();
		static const std::pair<const char*, std::int64_t> UNITS[] = {{"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000}};
		for (const auto& unit : UNITS)
		{
			std::string suffix = unit.first;
			if (last.size() <= suffix.size() || last.compare(last.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
			std::string digits = last.substr(0, last.size() - suffix.size());
			if (digits.empty() || digits.size() > 12 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
			options.minDuration = last;
			if (__builtin_mul_overflow(std::stoll(digits), unit.second, &options.minDurationNanos))
				throw UsageError("MIN_DURATION " + last + ": out of range (at most " +
					std::to_string(std::numeric_limits<std::int64_t>::max() / unit.second) + unit.first + ")");
			options.inputs.pop_back();
			break;
		}
	}
	if (options.inputs.empty()) throw UsageError("no input FILE given");
	if (options.includeNonPollcatch && !options.samples) throw UsageError("--include-non-pollcatch needs --samples");
	if (options.command == "timeline" && (options.output.empty() || options.output == "-")) throw UsageError("timeline needs -o FILE");
	if (nativemem)
	{
		// "Never freed within the files given": no tail left out unless asked.
		options.event = "nativemem";
		if (!options.tailGiven) options.tail = 0;
	}
	if (options.leak && options.event != "nativemem") throw UsageError("--leak needs --nativemem");
	if (options.tailGiven && !options.leak) throw UsageError(nativemem ? "--tail needs --leaks" : "--tail needs --leak");
	if ((options.command == "flamegraph" || options.command == "pprof") && (options.output.empty() || options.output == "-"))
		throw UsageError(options.command + " needs -o FILE");
	return options;
}

} // namespace cli
} // namespace jfr
} // namespace asprof
