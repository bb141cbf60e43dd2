#include "Commands.h"
#include "TimeSpec.h"
#include "asprof/jfr/PprofConvert.h"
#include <iostream>

namespace asprof {
namespace jfr {
namespace cli {

int runPprof(const Options& options)
{
	std::vector<Input> inputs = openInputs(options);
	std::vector<const Input*> pointers;
	for (const auto& input : inputs) pointers.push_back(&input);
	std::vector<std::string> warnings;
	PprofProfile profile = convertToPprof(pointers, collectOptions(options, inputs), &warnings);
	for (const auto& warning : warnings) std::cerr << "asprof-jfr: warning: " << warning << "\n";
	writeOutput(options, [&](std::ostream& out) { out.write(profile.data.data(), static_cast<std::streamsize>(profile.data.size())); });
	return 0;
}

} // namespace cli
} // namespace jfr
} // namespace asprof
