//
// Commands.h
//
// The commands of asprof-jfr.
//

#ifndef Asprof_Jfr_Cli_Commands_INCLUDED
#define Asprof_Jfr_Cli_Commands_INCLUDED

#include "Options.h"
#include <ostream>

namespace asprof {
namespace jfr {
namespace cli {

int runSummary(const Options& options, std::ostream& out);
	/// One summary per input (text, or one JSON object per line with --json).

} } } // namespace asprof::jfr::cli

#endif // Asprof_Jfr_Cli_Commands_INCLUDED
