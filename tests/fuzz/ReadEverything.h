//
// ReadEverything.h
//
// The fuzz target's work, as a function: reads a recording every way the
// toolkit and the agent read one (every event, PollCatch, the cpu, wall and
// native-memory collectors with a flame graph, its page and a pprof, the
// summary, collectStacks with the leak passes, the live heap fed twice, the
// per-event conversion). Whatever the bytes, it returns or throws
// JfrError; anything else (a crash, a sanitizer report) is a defect.
//

#pragma once

#include "asprof/jfr/Reader.h"

namespace asprof {
namespace jfr {
namespace fuzz {

void readEverything(const Input& input);

} // namespace fuzz
} // namespace jfr
} // namespace asprof
