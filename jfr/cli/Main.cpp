//
// asprof-jfr: reads what the agent records, without a JVM (docs/jfr.md).
//

#include "Commands.h"
#include "Options.h"
#include "asprof/jfr/JfrError.h"
#include <iostream>

using namespace asprof::jfr;

int main(int argc, char** argv)
{
	std::vector<std::string> arguments(argv + 1, argv + argc);
	if (arguments.size() == 1 && (arguments[0] == "-h" || arguments[0] == "--help"))
	{
		std::cout << cli::usage();
		return 0;
	}
	try
	{
		cli::Options options = cli::Options::parse(arguments);
		if (options.command == "summary") return cli::runSummary(options, std::cout);
		if (options.command == "collapsed") return cli::runCollapsed(options);
		if (options.command == "flamegraph") return cli::runFlameGraph(options);
		if (options.command == "pprof") return cli::runPprof(options);
		if (options.command == "longpolls") return cli::runLongPolls(options);
		if (options.command == "timeline") return cli::runTimeline(options);
		if (options.command == "nativemem") return cli::runNativeMem(options);
		throw cli::UsageError("the " + options.command + " command is not built yet");
	}
	catch (cli::UsageError& e)
	{
		std::cerr << "asprof-jfr: " << e.what() << "\n\n" << cli::usage();
		return 2;
	}
	catch (JfrError& e)
	{
		std::cerr << "asprof-jfr: " << e.message() << "\n";
		return 1;
	}
	catch (Poco::Exception& e)
	{
		std::cerr << "asprof-jfr: " << e.displayText() << "\n";
		return 1;
	}
	catch (std::exception& e)
	{
		std::cerr << "asprof-jfr: " << e.what() << "\n";
		return 1;
	}
}
