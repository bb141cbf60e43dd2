//
// Commands.h
//
// The commands of asprof-jfr.
//

#ifndef Asprof_Jfr_Cli_Commands_INCLUDED
#define Asprof_Jfr_Cli_Commands_INCLUDED

#include "Options.h"
#include "asprof/jfr/Input.h"
#include "asprof/jfr/StackCollector.h"
#include <functional>
#include <ostream>
#include <vector>

namespace asprof {
namespace jfr {
namespace cli {

/// One summary per input (text, or one JSON object per line with --json).
int runSummary(const Options& options, std::ostream& out);

/// Collapsed stacks of every input merged, to -o or standard output.
int runCollapsed(const Options& options);

/// An interactive HTML flame graph of every input merged, to -o.
int runFlameGraph(const Options& options);

/// The polls the PollCatch hooks reported, with the stacks inside them.
int runLongPolls(const Options& options);

/// A Chrome trace (Perfetto, chrome://tracing): polls and samples per thread.
int runTimeline(const Options& options);

/// A gzipped profile.proto of every input merged, to -o.
int runPprof(const Options& options);

/// Native memory by stack, largest first (--leaks: never freed), with
/// a totals line; text or --json, to -o or standard output.
int runNativeMem(const Options& options);

std::vector<Input> openInputs(const Options& options);

/// The EVENT and FILTERS; --from/--to resolved against the inputs' span.
CollectOptions collectOptions(const Options& options, const std::vector<Input>& inputs);

/// Opens the inputs, resolves --from/--to against their time span and
/// collects every input's stacks into sink. Throws JfrError, UsageError.
void collect(const Options& options, SampleSink& sink);

/// To -o (through a temporary file renamed at the end) or standard output.
void writeOutput(const Options& options, const std::function<void(std::ostream&)>& write);

} // namespace cli
} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Cli_Commands_INCLUDED
