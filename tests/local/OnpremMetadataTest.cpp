//
// OnpremMetadataTest.cpp
//
// The onprem metadata provider: hostname and configured fields.
//

#include "OnpremMetadataProvider.h"
#include "TestSupport.h"
#include "SectionContext.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/Environment.h"
#include "Poco/Exception.h"
#include "Poco/Util/MapConfiguration.h"
#include <map>

using asprof::agent::SectionContext;
using asprof::plugins::OnpremMetadataProvider;
using asprof::sdk::HostMetadata;
using asprof::sdk::KeyValueList;

namespace {

using Settings = std::map<std::string, std::string>;

std::unique_ptr<SectionContext> makeContext(const Settings& settings)
{
	return asprof::test::makeSectionContext("metadata.onprem", {settings.begin(), settings.end()});
}

HostMetadata detect(const Settings& settings)
{
	OnpremMetadataProvider provider;
	auto context = makeContext(settings);
	provider.configure(*context);
	context->checkUnknownKeys();
	return provider.detect();
}

} // namespace

class OnpremMetadataTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(OnpremMetadataTest);
	CPPUNIT_TEST(testHostnameDefaultsToNodeName);
	CPPUNIT_TEST(testHostnameCanBeOverridden);
	CPPUNIT_TEST(testFieldsFollowHostnameInOrder);
	CPPUNIT_TEST(testLabelsAreTheAgentsNotTheProviders);
	CPPUNIT_TEST(testHostnameInFieldsIsRejected);
	CPPUNIT_TEST(testMalformedFieldsAreRejected);
	CPPUNIT_TEST_SUITE_END();

public:
	void testHostnameDefaultsToNodeName()
	{
		HostMetadata metadata = detect({});
		CPPUNIT_ASSERT_EQUAL(std::string("onprem"), metadata.kind);
		CPPUNIT_ASSERT((metadata.fields == KeyValueList{{"hostname", Poco::Environment::nodeName()}}));
		CPPUNIT_ASSERT(metadata.labels.empty());
	}

	void testHostnameCanBeOverridden()
	{
		HostMetadata metadata = detect({{"hostname", "build-box-7"}});
		CPPUNIT_ASSERT((metadata.fields == KeyValueList{{"hostname", "build-box-7"}}));
	}

	void testFieldsFollowHostnameInOrder()
	{
		HostMetadata metadata = detect({{"hostname", "db1"}, {"fields", "rack=r12, datacenter=fra, aisle=3"}});
		KeyValueList expected = {{"hostname", "db1"}, {"rack", "r12"}, {"datacenter", "fra"}, {"aisle", "3"}};
		CPPUNIT_ASSERT(expected == metadata.fields);
	}

	void testLabelsAreTheAgentsNotTheProviders()
	{
		// A provider never reads labels = of its section: the agent does
		// (SectionContext::readLabels, for every [metadata.<name>]) and adds
		// them after whatever the provider detected.
		OnpremMetadataProvider provider;
		auto context = makeContext({{"labels", "team=perf, tier=gold"}});
		provider.configure(*context);
		CPPUNIT_ASSERT(provider.detect().labels.empty());
		KeyValueList expected = {{"team", "perf"}, {"tier", "gold"}};
		CPPUNIT_ASSERT(expected == context->readLabels());
		context->checkUnknownKeys(); // read by readLabels: known
	}

	void testHostnameInFieldsIsRejected()
	{
		OnpremMetadataProvider provider;
		auto context = makeContext({{"fields", "rack=r1, hostname=x"}});
		try
		{
			provider.configure(*context);
			CPPUNIT_FAIL("fields = hostname=x was accepted");
		}
		catch (Poco::InvalidArgumentException& e)
		{
			for (const char* part : {"test-agent.ini", "[metadata.onprem] fields", "hostname=x", "set hostname = instead"})
			{
				CPPUNIT_ASSERT_MESSAGE(std::string(part) + " missing from: " + e.message(), e.message().find(part) != std::string::npos);
			}
		}
	}

	void testMalformedFieldsAreRejected()
	{
		OnpremMetadataProvider provider;
		auto context = makeContext({{"fields", "rack"}});
		CPPUNIT_ASSERT_THROW(provider.configure(*context), Poco::InvalidArgumentException);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(OnpremMetadataTest);
