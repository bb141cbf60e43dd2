//
// FlameGraphHtml.h
//
// A flame graph as one self-contained, interactive HTML page.
//

#ifndef Asprof_Jfr_FlameGraphHtml_INCLUDED
#define Asprof_Jfr_FlameGraphHtml_INCLUDED

#include "asprof/jfr/Export.h"
#include "asprof/jfr/FlameGraph.h"
#include <ostream>
#include <string>

namespace asprof {
namespace jfr {

/// Writes graph as one HTML page that needs nothing else: no network, no
/// external script, font or style sheet. The page draws on a canvas, root
/// at the bottom (or as an icicle), zooms into a frame on click (Esc or
/// Reset zooms out), searches frame names by substring or regular
/// expression and shows the matched weight, and shows a frame's full name,
/// type, weight in units ("samples", "bytes") and percentage on hover.
///
/// The tree goes into a <script type="application/json"> element as
///   {"version":1,"title":T,"units":U,"titles":[...],
///    "nodes":[title,type,total,self,childCount, ...]}
/// with five integers per node in depth-first order, a node before its
/// children, siblings sorted by name and type; titles[0] is the root's
/// empty name. Strings are escaped so that nothing in a frame name can end
/// the script element (<, >, &, U+2028, U+2029 and control characters as
/// \uXXXX; invalid UTF-8 as U+FFFD). tests/jfr/check-flamegraph.js reads
/// this format.
///
/// Iterative (a hostile recording may nest millions of frames) and
/// streamed: memory beyond the graph is a stack of pending nodes and a
/// small buffer. Errors of out are left in its state for the caller.
ASPROF_JFR_API void writeFlameGraphHtml(const FlameGraph& graph, std::ostream& out, const std::string& title, const std::string& units);

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_FlameGraphHtml_INCLUDED
