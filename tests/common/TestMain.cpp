// The main() of every CppUnit runner: runs all registered suites, prints
// a closing "N passed, N failed" line, exits non-zero on any failure.
#include "cppunit/BriefTestProgressListener.h"
#include "cppunit/CompilerOutputter.h"
#include "cppunit/TestResult.h"
#include "cppunit/TestResultCollector.h"
#include "cppunit/TestRunner.h"
#include "cppunit/extensions/TestFactoryRegistry.h"
#include "Poco/ConsoleChannel.h"
#include "Poco/Logger.h"
#include <cstdlib>
#include <iostream>

int main(int argc, char** argv)
{
	// Agent logs go to stderr at warning level unless ASPROF_TEST_VERBOSE is set.
	Poco::Logger::root().setChannel(new Poco::ConsoleChannel(std::cerr));
	Poco::Logger::root().setLevel(std::getenv("ASPROF_TEST_VERBOSE") ? Poco::Message::PRIO_DEBUG : Poco::Message::PRIO_FATAL);
	CppUnit::TestResult controller;
	CppUnit::TestResultCollector result;
	controller.addListener(&result);
	CppUnit::BriefTestProgressListener progress;
	controller.addListener(&progress);
	CppUnit::TestRunner runner;
	CppUnit::Test* all = CppUnit::TestFactoryRegistry::getRegistry().makeTest();
	// One test or suite by name: the first argument, else ASPROF_TEST_SUITE
	// (how ctest runs one runner's suites in processes of their own).
	const char* only = argc > 1 ? argv[1] : std::getenv("ASPROF_TEST_SUITE");
	runner.addTest(only && *only ? all->findTest(only) : all);
	runner.run(controller);
	CppUnit::CompilerOutputter outputter(&result, std::cerr);
	outputter.write();
	int failed = result.testFailuresTotal();
	int passed = result.runTests() - failed;
	std::cout << passed << " passed, " << failed << " failed" << std::endl;
	return failed == 0 ? 0 : 1;
}
