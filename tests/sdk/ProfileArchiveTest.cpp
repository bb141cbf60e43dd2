//
// ProfileArchiveTest.cpp
//
// The Rust agent's archive: the zip layout and metadata.json.
//

#include "TestSupport.h"
#include "asprof/sdk/ProfileArchive.h"
#include "asprof/sdk/Version.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/JSON/Object.h"
#include "Poco/JSON/Parser.h"
#include "Poco/StreamCopier.h"
#include "Poco/Zip/ZipArchive.h"
#include "Poco/Zip/ZipStream.h"
#include <sstream>

using asprof::sdk::ProfileArchive;
using asprof::test::dataFile;
using asprof::test::makeProfile;
using asprof::test::readFile;

namespace {

// 2025-03-20T16:41:54.125Z, the end time makeProfile() uses.
const Poco::Int64 PROFILE_END_MS = 1742488914125LL;

const Poco::Zip::ZipLocalFileHeader& header(const Poco::Zip::ZipArchive& archive, const std::string& name)
{
	auto it = archive.findHeader(name);
	CPPUNIT_ASSERT_MESSAGE(name + " is missing from the zip", it != archive.headerEnd());
	return it->second;
}

std::string entryContent(const std::string& zip, const Poco::Zip::ZipLocalFileHeader& header)
{
	std::istringstream in(zip);
	Poco::Zip::ZipInputStream entry(in, header);
	std::string content;
	Poco::StreamCopier::copyToString(entry, content);
	CPPUNIT_ASSERT_MESSAGE(header.getFileName() + ": bad CRC", entry.crcValid());
	return content;
}

// Asserts that the keys appear in the raw JSON text in the given order.
void assertKeyOrder(const std::string& json, std::initializer_list<const char*> keys)
{
	std::string::size_type previous = 0;
	std::string previousKey = "the beginning";
	for (const char* key : keys)
	{
		std::string quoted = std::string("\"") + key + "\":";
		std::string::size_type position = json.find(quoted, previous);
		CPPUNIT_ASSERT_MESSAGE(quoted + " not found after " + previousKey + " in " + json, position != std::string::npos);
		previous = position + quoted.size();
		previousKey = quoted;
	}
}

} // namespace

class ProfileArchiveTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ProfileArchiveTest);
	CPPUNIT_TEST(testZipHoldsExactlyJfrThenMetadata);
	CPPUNIT_TEST(testBothEntriesAreDeflated);
	CPPUNIT_TEST(testJfrEntryIsByteIdenticalToRecording);
	CPPUNIT_TEST(testMetadataEntryEqualsMetadataJson);
	CPPUNIT_TEST(testMetadataHasRustFieldsInMilliseconds);
	CPPUNIT_TEST(testMetadataHasAgentHostLabelsAndProfiler);
	CPPUNIT_TEST(testMetadataKeysAreInDocumentedOrder);
	CPPUNIT_TEST(testSameProfileGivesIdenticalBytes);
	CPPUNIT_TEST(testWriteStreamsSameBytesAsToString);
	CPPUNIT_TEST_SUITE_END();

public:
	void testZipHoldsExactlyJfrThenMetadata()
	{
		std::string zip = ProfileArchive::toString(makeProfile("cpu-wall.jfr"));
		std::istringstream in(zip);
		Poco::Zip::ZipArchive archive(in);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), static_cast<std::size_t>(std::distance(archive.headerBegin(), archive.headerEnd())));
		const Poco::Zip::ZipLocalFileHeader& jfr = header(archive, "async_profiler_dump_0.jfr");
		const Poco::Zip::ZipLocalFileHeader& metadata = header(archive, "metadata.json");
		// The headers are a map by name; the order in the file is their position.
		CPPUNIT_ASSERT_EQUAL(std::streamoff(0), jfr.getStartPos());
		CPPUNIT_ASSERT(jfr.getEndPos() <= metadata.getStartPos());
		// The first local header's name (offset 30) is the JFR.
		CPPUNIT_ASSERT_EQUAL(std::string("PK\x03\x04"), zip.substr(0, 4));
		CPPUNIT_ASSERT_EQUAL(ProfileArchive::JFR_ENTRY, zip.substr(30, ProfileArchive::JFR_ENTRY.size()));
		CPPUNIT_ASSERT_EQUAL(std::string("async_profiler_dump_0.jfr"), ProfileArchive::JFR_ENTRY);
		CPPUNIT_ASSERT_EQUAL(std::string("metadata.json"), ProfileArchive::METADATA_ENTRY);
	}

	void testBothEntriesAreDeflated()
	{
		std::string zip = ProfileArchive::toString(makeProfile("cpu-wall.jfr"));
		std::istringstream in(zip);
		Poco::Zip::ZipArchive archive(in);
		for (auto it = archive.headerBegin(); it != archive.headerEnd(); ++it)
		{
			CPPUNIT_ASSERT_MESSAGE(it->first, it->second.getCompressionMethod() == Poco::Zip::ZipCommon::CM_DEFLATE);
		}
		for (auto it = archive.fileInfoBegin(); it != archive.fileInfoEnd(); ++it)
		{
			CPPUNIT_ASSERT_MESSAGE(it->first, it->second.getCompressionMethod() == Poco::Zip::ZipCommon::CM_DEFLATE);
		}
	}

	void testJfrEntryIsByteIdenticalToRecording()
	{
		std::string zip = ProfileArchive::toString(makeProfile("cpu-wall.jfr"));
		std::istringstream in(zip);
		Poco::Zip::ZipArchive archive(in);
		std::string jfr = entryContent(zip, header(archive, ProfileArchive::JFR_ENTRY));
		std::string expected = readFile(dataFile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(23524), expected.size());
		CPPUNIT_ASSERT(jfr == expected);
	}

	void testMetadataEntryEqualsMetadataJson()
	{
		asprof::sdk::Profile profile = makeProfile("cpu-wall.jfr");
		std::string zip = ProfileArchive::toString(profile);
		std::istringstream in(zip);
		Poco::Zip::ZipArchive archive(in);
		std::string metadata = entryContent(zip, header(archive, ProfileArchive::METADATA_ENTRY));
		CPPUNIT_ASSERT_EQUAL(ProfileArchive::metadataJson(profile), metadata);
	}

	void testMetadataHasRustFieldsInMilliseconds()
	{
		std::string json = ProfileArchive::metadataJson(makeProfile("cpu-wall.jfr"));
		Poco::JSON::Object::Ptr root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT_EQUAL(PROFILE_END_MS - 30000, root->getValue<Poco::Int64>("start"));
		CPPUNIT_ASSERT_EQUAL(PROFILE_END_MS, root->getValue<Poco::Int64>("end"));
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(30000), root->getValue<Poco::Int64>("reporting_interval"));
	}

	void testMetadataHasAgentHostLabelsAndProfiler()
	{
		asprof::sdk::Profile profile = makeProfile("cpu-wall.jfr", 17);
		profile.host.setField("rack", "r/7");
		std::string json = ProfileArchive::metadataJson(profile);
		Poco::JSON::Object::Ptr root = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
		Poco::JSON::Object::Ptr agent = root->getObject("agent");
		CPPUNIT_ASSERT(agent);
		CPPUNIT_ASSERT_EQUAL(std::string("asprof-agent"), agent->getValue<std::string>("name"));
		CPPUNIT_ASSERT_EQUAL(std::string(ASPROF_VERSION_STRING), agent->getValue<std::string>("version"));
		CPPUNIT_ASSERT_EQUAL(4242, root->getValue<int>("pid"));
		CPPUNIT_ASSERT_EQUAL(Poco::UInt64(17), root->getValue<Poco::UInt64>("seq"));
		Poco::JSON::Object::Ptr host = root->getObject("host");
		CPPUNIT_ASSERT(host);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), host->size());
		CPPUNIT_ASSERT_EQUAL(std::string("onprem"), host->getValue<std::string>("kind"));
		CPPUNIT_ASSERT_EQUAL(std::string("test-host"), host->getValue<std::string>("hostname"));
		CPPUNIT_ASSERT_EQUAL(std::string("r/7"), host->getValue<std::string>("rack"));
		Poco::JSON::Object::Ptr labels = root->getObject("labels");
		CPPUNIT_ASSERT(labels);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), labels->size());
		CPPUNIT_ASSERT_EQUAL(std::string("checkout"), labels->getValue<std::string>("service"));
		CPPUNIT_ASSERT_EQUAL(std::string("test"), labels->getValue<std::string>("env"));
		Poco::JSON::Object::Ptr profiler = root->getObject("profiler");
		CPPUNIT_ASSERT(profiler);
		CPPUNIT_ASSERT_EQUAL(profile.profilerArgs, profiler->getValue<std::string>("args"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(9), root->size());
	}

	void testMetadataKeysAreInDocumentedOrder()
	{
		std::string json = ProfileArchive::metadataJson(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT_EQUAL(std::string("{\"start\":"), json.substr(0, 9));
		assertKeyOrder(json,
			{"start", "end", "reporting_interval", "agent", "name", "version", "pid", "seq", "host", "kind", "hostname", "labels",
				"service", "env", "profiler", "args"});
	}

	void testSameProfileGivesIdenticalBytes()
	{
		asprof::sdk::Profile profile = makeProfile("cpu-wall.jfr");
		std::string first = ProfileArchive::toString(profile);
		std::string second = ProfileArchive::toString(profile);
		CPPUNIT_ASSERT(first == second);
		// A separate copy of the same recording and fields: still the same bytes.
		std::string third = ProfileArchive::toString(makeProfile("cpu-wall.jfr"));
		CPPUNIT_ASSERT(first == third);
	}

	void testWriteStreamsSameBytesAsToString()
	{
		asprof::sdk::Profile profile = makeProfile("truncated.jfr");
		std::ostringstream out;
		ProfileArchive::write(profile, out);
		CPPUNIT_ASSERT(out.str() == ProfileArchive::toString(profile));
		std::istringstream in(out.str());
		Poco::Zip::ZipArchive archive(in);
		std::string jfr = entryContent(out.str(), header(archive, ProfileArchive::JFR_ENTRY));
		CPPUNIT_ASSERT(jfr == readFile(dataFile("truncated.jfr")));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ProfileArchiveTest);
