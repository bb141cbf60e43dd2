//
// ConfigValueTest.cpp
//
// The value forms of agent.ini: durations, sizes, booleans, lists.
//

#include "asprof/sdk/ConfigValue.h"
#include "cppunit/extensions/HelperMacros.h"

using asprof::sdk::ConfigValue;
using asprof::sdk::KeyValueList;
using Poco::Timespan;

namespace {

Timespan::TimeDiff micros(const std::string& text)
{
	auto value = ConfigValue::parseDuration(text);
	CPPUNIT_ASSERT_MESSAGE("parseDuration(\"" + text + "\") rejected a valid duration", value.has_value());
	return value->totalMicroseconds();
}

std::uint64_t bytes(const std::string& text)
{
	auto value = ConfigValue::parseSize(text);
	CPPUNIT_ASSERT_MESSAGE("parseSize(\"" + text + "\") rejected a valid size", value.has_value());
	return *value;
}

void assertNoDuration(const std::string& text)
{
	CPPUNIT_ASSERT_MESSAGE("parseDuration(\"" + text + "\") accepted it", !ConfigValue::parseDuration(text));
}

void assertNoSize(const std::string& text)
{
	CPPUNIT_ASSERT_MESSAGE("parseSize(\"" + text + "\") accepted it", !ConfigValue::parseSize(text));
}

} // namespace

class ConfigValueTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ConfigValueTest);
	CPPUNIT_TEST(testDurationAcceptsEveryUnit);
	CPPUNIT_TEST(testDurationZeroNeedsNoUnit);
	CPPUNIT_TEST(testDurationWithoutUnitIsRejected);
	CPPUNIT_TEST(testDurationRejectsMalformedText);
	CPPUNIT_TEST(testDurationRejectsOverflow);
	CPPUNIT_TEST(testSizeAcceptsBinaryAndDecimalUnits);
	CPPUNIT_TEST(testSizeRejectsMalformedTextAndOverflow);
	CPPUNIT_TEST(testBoolAcceptsDocumentedWordsInAnyCase);
	CPPUNIT_TEST(testBoolRejectsOtherWords);
	CPPUNIT_TEST(testKeyValueListKeepsOrderAndTrims);
	CPPUNIT_TEST(testKeyValueListEmptyTextIsEmptyList);
	CPPUNIT_TEST(testKeyValueListRejectsDuplicateAndEmptyNames);
	CPPUNIT_TEST(testListTrimsAndDropsEmptyItems);
	CPPUNIT_TEST(testFormatDurationUsesLargestExactUnit);
	CPPUNIT_TEST(testFormatDurationRoundTripsThroughParse);
	CPPUNIT_TEST_SUITE_END();

public:
	void testDurationAcceptsEveryUnit()
	{
		CPPUNIT_ASSERT_EQUAL(Timespan::TimeDiff(7), micros("7us"));
		CPPUNIT_ASSERT_EQUAL(Timespan::TimeDiff(250 * Timespan::MILLISECONDS), micros("250ms"));
		CPPUNIT_ASSERT_EQUAL(Timespan::TimeDiff(30 * Timespan::SECONDS), micros("30s"));
		CPPUNIT_ASSERT_EQUAL(Timespan::TimeDiff(5 * Timespan::MINUTES), micros("5m"));
		CPPUNIT_ASSERT_EQUAL(Timespan::TimeDiff(Timespan::HOURS), micros("1h"));
		CPPUNIT_ASSERT_EQUAL(Timespan::TimeDiff(2 * Timespan::DAYS), micros("2d"));
		CPPUNIT_ASSERT_EQUAL(Timespan::TimeDiff(30 * Timespan::SECONDS), micros(" 30s "));
	}

	void testDurationZeroNeedsNoUnit()
	{
		CPPUNIT_ASSERT_EQUAL(Timespan::TimeDiff(0), micros("0"));
		CPPUNIT_ASSERT_EQUAL(Timespan::TimeDiff(0), micros("0ms"));
	}

	void testDurationWithoutUnitIsRejected()
	{
		assertNoDuration("30");
		assertNoDuration("1");
	}

	void testDurationRejectsMalformedText()
	{
		assertNoDuration("");
		assertNoDuration("s");
		assertNoDuration("-5s");
		assertNoDuration("1.5s");
		assertNoDuration("30sec");
		assertNoDuration("30S");
		assertNoDuration("5 minutes");
	}

	void testDurationRejectsOverflow()
	{
		// Poco::Timespan holds signed 64-bit microseconds: 106751991 days fit, one more does not.
		CPPUNIT_ASSERT_EQUAL(Timespan::TimeDiff(106751991LL * Timespan::DAYS), micros("106751991d"));
		assertNoDuration("106751992d");
		assertNoDuration("9223372036854775808us");
		assertNoDuration("18446744073709551615h");
		assertNoDuration("99999999999999999999s");
	}

	void testSizeAcceptsBinaryAndDecimalUnits()
	{
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(512), bytes("512"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(512), bytes("512B"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(64 * 1024), bytes("64KiB"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(10 * 1024 * 1024), bytes("10MiB"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2ULL * 1024 * 1024 * 1024), bytes("2GiB"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3000), bytes("3KB"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(4000000), bytes("4MB"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1000000000), bytes("1GB"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), bytes("0"));
	}

	void testSizeRejectsMalformedTextAndOverflow()
	{
		assertNoSize("");
		assertNoSize("KiB");
		assertNoSize("-1");
		assertNoSize("1.5MiB");
		assertNoSize("10mb");
		assertNoSize("10TiB");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(18446744073709551615ULL), bytes("18446744073709551615"));
		assertNoSize("18446744073709551616");
		assertNoSize("20000000000GiB");
	}

	void testBoolAcceptsDocumentedWordsInAnyCase()
	{
		for (const char* word : {"yes", "YES", "true", "True", "on", "1", " yes "})
		{
			CPPUNIT_ASSERT_MESSAGE(word, ConfigValue::parseBool(word) == std::optional<bool>(true));
		}
		for (const char* word : {"no", "No", "false", "FALSE", "off", "0"})
		{
			CPPUNIT_ASSERT_MESSAGE(word, ConfigValue::parseBool(word) == std::optional<bool>(false));
		}
	}

	void testBoolRejectsOtherWords()
	{
		for (const char* word : {"", "y", "n", "2", "enabled", "yess"})
		{
			CPPUNIT_ASSERT_MESSAGE(word, !ConfigValue::parseBool(word));
		}
	}

	void testKeyValueListKeepsOrderAndTrims()
	{
		auto list = ConfigValue::parseKeyValueList(" service = checkout ,env=prod,  url=a=b, empty= ");
		CPPUNIT_ASSERT(list.has_value());
		KeyValueList expected = {{"service", "checkout"}, {"env", "prod"}, {"url", "a=b"}, {"empty", ""}};
		CPPUNIT_ASSERT(expected == *list);
	}

	void testKeyValueListEmptyTextIsEmptyList()
	{
		auto list = ConfigValue::parseKeyValueList("");
		CPPUNIT_ASSERT(list.has_value());
		CPPUNIT_ASSERT(list->empty());
		list = ConfigValue::parseKeyValueList("  ,  ");
		CPPUNIT_ASSERT(list.has_value());
		CPPUNIT_ASSERT(list->empty());
	}

	void testKeyValueListRejectsDuplicateAndEmptyNames()
	{
		CPPUNIT_ASSERT(!ConfigValue::parseKeyValueList("env=prod, env=test"));
		CPPUNIT_ASSERT(!ConfigValue::parseKeyValueList("env=prod, =test"));
		CPPUNIT_ASSERT(!ConfigValue::parseKeyValueList(" = x"));
		CPPUNIT_ASSERT(!ConfigValue::parseKeyValueList("env=prod, novalue"));
	}

	void testListTrimsAndDropsEmptyItems()
	{
		std::vector<std::string> expected = {"a", "b", "c d"};
		CPPUNIT_ASSERT(expected == ConfigValue::parseList(" a,, b , c d ,"));
		CPPUNIT_ASSERT(ConfigValue::parseList("").empty());
		CPPUNIT_ASSERT(ConfigValue::parseList(" , ").empty());
	}

	void testFormatDurationUsesLargestExactUnit()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("0"), ConfigValue::formatDuration(Timespan(0)));
		CPPUNIT_ASSERT_EQUAL(std::string("250ms"), ConfigValue::formatDuration(Timespan(250 * Timespan::MILLISECONDS)));
		CPPUNIT_ASSERT_EQUAL(std::string("30s"), ConfigValue::formatDuration(Timespan(30 * Timespan::SECONDS)));
		CPPUNIT_ASSERT_EQUAL(std::string("90s"), ConfigValue::formatDuration(Timespan(90 * Timespan::SECONDS)));
		CPPUNIT_ASSERT_EQUAL(std::string("5m"), ConfigValue::formatDuration(Timespan(5 * Timespan::MINUTES)));
		CPPUNIT_ASSERT_EQUAL(std::string("1h"), ConfigValue::formatDuration(Timespan(Timespan::HOURS)));
		CPPUNIT_ASSERT_EQUAL(std::string("24h"), ConfigValue::formatDuration(Timespan(Timespan::DAYS)));
		CPPUNIT_ASSERT_EQUAL(std::string("1500us"), ConfigValue::formatDuration(Timespan(1500)));
	}

	void testFormatDurationRoundTripsThroughParse()
	{
		for (const char* text : {"0", "1us", "1500us", "250ms", "1001ms", "30s", "90s", "5m", "1h", "48h"})
		{
			CPPUNIT_ASSERT_EQUAL(std::string(text), ConfigValue::formatDuration(Timespan(micros(text))));
		}
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigValueTest);
