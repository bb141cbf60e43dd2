//
// Options.h
//
// The command line of asprof-jfr.
//

#ifndef Asprof_Jfr_Cli_Options_INCLUDED
#define Asprof_Jfr_Cli_Options_INCLUDED

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace asprof {
namespace jfr {
namespace cli {

/// A command line that cannot be run: exit 2 with the usage text.
struct UsageError: std::runtime_error
{
	using std::runtime_error::runtime_error;
};

struct Options
{
	std::string command;             ///< summary, collapsed, flamegraph, pprof, longpolls, timeline, nativemem
	std::vector<std::string> inputs; ///< files, or "-" for standard input
	std::string output;              ///< -o; empty or "-" is standard output
	bool json = false;               ///< summary, longpolls, nativemem --json
	std::string event = "cpu";       ///< cpu, wall, nativemem
	bool leak = false;               ///< --leak (nativemem: --leaks)
	double tail = 0.1;               ///< --tail with --leak (nativemem: 0 unless given)
	bool tailGiven = false;
	bool threads = false;
	bool total = false;
	std::string from;                 ///< --from, as given
	std::string to;                   ///< --to, as given
	std::string include;              ///< -I / --include regex
	std::string exclude;              ///< -X / --exclude regex
	std::string title;                ///< flamegraph --title
	int stackDepth = 16;              ///< longpolls/timeline --stack-depth
	bool samples = false;             ///< longpolls --samples
	bool includeNonPollcatch = false; ///< longpolls --include-non-pollcatch
	std::string minDuration;          ///< longpolls MIN_DURATION, as given
	std::int64_t minDurationNanos = 0;

	/// Throws UsageError naming the bad argument.
	static Options parse(const std::vector<std::string>& arguments);
};

/// The usage text.
const char* usage();

} // namespace cli
} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Cli_Options_INCLUDED
