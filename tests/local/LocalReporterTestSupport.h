//
// LocalReporterTestSupport.h
//
// What the local reporter's tests share: a started reporter over given keys,
// profiles ending at a chosen second, and reports that must succeed.
//

#ifndef Asprof_Tests_LocalReporterTestSupport_INCLUDED
#define Asprof_Tests_LocalReporterTestSupport_INCLUDED

#include "LocalReporter.h"
#include "SectionContext.h"
#include "TestSupport.h"
#include "cppunit/extensions/HelperMacros.h"
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace asprof {
namespace test {
namespace local {

using Settings = std::map<std::string, std::string>;

const std::string SOURCE = "test-agent.ini";

// makeProfile()'s end: 2025-03-20T16:41:54.125Z.
const std::time_t PROFILE_END = 1742488914;
const std::string PROFILE_NAME = "2025-03-20T16-41-54Z";

// A context over [reporter.local] holding the given keys, as the agent builds it.
inline std::unique_ptr<agent::SectionContext> makeContext(const Settings& settings)
{
	return makeSectionContext("reporter.local", {settings.begin(), settings.end()}, SOURCE);
}

inline std::unique_ptr<plugins::LocalReporter> startReporter(const Settings& settings)
{
	auto reporter = std::make_unique<plugins::LocalReporter>();
	auto context = makeContext(settings);
	reporter->configure(*context);
	reporter->start();
	return reporter;
}

inline sdk::Profile profileEndingAt(std::time_t endSeconds, const std::string& jfrFile = "cpu-wall.jfr", std::uint64_t seq = 1)
{
	sdk::Profile profile = makeProfile(jfrFile, seq);
	profile.end = Poco::Timestamp::fromEpochTime(endSeconds) + 500 * 1000;
	profile.start = profile.end - Poco::Timespan(30, 0);
	return profile;
}

inline void assertReported(plugins::LocalReporter& reporter, const sdk::Profile& profile)
{
	sdk::ReportResult result = reporter.report(profile);
	CPPUNIT_ASSERT_MESSAGE(std::string(sdk::toString(result.status)) + ": " + result.message, result.isOk());
}

inline std::string join(const std::vector<std::string>& names)
{
	std::string text;
	for (const auto& name : names) text += (text.empty() ? "" : " ") + name;
	return text;
}

} // namespace local
} // namespace test
} // namespace asprof

#endif // Asprof_Tests_LocalReporterTestSupport_INCLUDED
