#include "Commands.h"
#include "asprof/jfr/FlameGraph.h"
#include "asprof/jfr/FlameGraphHtml.h"

namespace asprof {
namespace jfr {
namespace cli {

namespace {

std::string defaultTitle(const Options& options)
{
	if (options.event == "wall") return "Wall-clock profile";
	if (options.event == "nativemem") return options.leak ? "Native memory leaks" : "Native memory";
	return "CPU profile";
}

} // namespace

int runFlameGraph(const Options& options)
{
	FlameGraph graph(options.total);
	collect(options, graph);
	const std::string title = options.title.empty() ? defaultTitle(options) : options.title;
	// With --total a native-memory stack weighs its bytes; every other
	// weight counts samples (wall-clock batches in full).
	const std::string units = options.total && options.event == "nativemem" ? "bytes" : "samples";
	writeOutput(options, [&](std::ostream& out) { writeFlameGraphHtml(graph, out, title, units); });
	return 0;
}

} // namespace cli
} // namespace jfr
} // namespace asprof
