//
// ProfileArchiveTest.cpp
//
// The Rust agent's archive: the zip layout and metadata.json.
//

#include "TestSupport.h"
#include "FileRecording.h"
#include "asprof/sdk/ProfileArchive.h"
#include "asprof/sdk/RecordingStream.h"
#include "asprof/sdk/Version.h"
#include "cppunit/extensions/HelperMacros.h"
#include "Poco/JSON/Object.h"
#include "Poco/DeflatingStream.h"
#include "Poco/JSON/Parser.h"
#include "Poco/Process.h"
#include "Poco/StreamCopier.h"
#include "Poco/TemporaryFile.h"
#include "Poco/Zip/Compress.h"
#include "Poco/Zip/ZipArchive.h"
#include "Poco/Zip/ZipStream.h"
#include <cmath>
#include <iostream>
#include <sstream>

using asprof::sdk::ProfileArchive;
using asprof::test::dataFile;
using asprof::test::makeProfile;
using asprof::test::readFile;

namespace {

// 2025-03-20T16:41:54.125Z, the end time makeProfile() uses.
const Poco::Int64 PROFILE_END_MS = 1742488914125LL;

// A recording held in a string that is no RecordingRanges (as a third party's
// may be); size() may claim more than there is.
class StringRecording: public asprof::sdk::Recording
{
public:
	explicit StringRecording(std::string data, std::uint64_t claimed = 0):
		_data(std::move(data)),
		_claimed(claimed != 0 ? claimed : _data.size())
	{
	}

	std::uint64_t size() const override
	{
		return _claimed;
	}

	std::string readAll() const override
	{
		return _data;
	}

	void copyTo(std::ostream& out) const override
	{
		out.write(_data.data(), static_cast<std::streamsize>(_data.size()));
	}

private:
	std::string _data;
	std::uint64_t _claimed;
};

std::string streamed(const asprof::sdk::Recording& recording)
{
	asprof::sdk::RecordingInputStream in(recording);
	std::string data;
	Poco::StreamCopier::copyToString(in, data);
	return data;
}

// The three real recordings concatenated: a ~2 MB multi-chunk JFR.
std::string largeJfr()
{
	return readFile(dataFile("fanout.jfr")) + readFile(dataFile("nativemem.jfr")) + readFile(dataFile("pollcatch.jfr"));
}

// The zip as ProfileArchive built it before it streamed: the whole JFR copied
// into a stringstream first, then handed to Poco's zip.
std::string zipOfACopy(const asprof::sdk::Profile& profile, ProfileArchive::CompressionLevel level)
{
	std::ostringstream out;
	Poco::DateTime entryTime(profile.end);
	Poco::Zip::Compress zip(out, true);
	std::stringstream jfr(profile.recording->readAll());
	const auto zipLevel = level == ProfileArchive::CL_FAST ? Poco::Zip::ZipCommon::CL_SUPERFAST
		: level == ProfileArchive::CL_BEST                 ? Poco::Zip::ZipCommon::CL_MAXIMUM
														   : Poco::Zip::ZipCommon::CL_NORMAL;
	zip.addFile(jfr, entryTime, Poco::Path(ProfileArchive::JFR_ENTRY), Poco::Zip::ZipCommon::CM_DEFLATE, zipLevel);
	std::stringstream metadata(ProfileArchive::metadataJson(profile));
	zip.addFile(metadata, entryTime, Poco::Path(ProfileArchive::METADATA_ENTRY), Poco::Zip::ZipCommon::CM_DEFLATE, zipLevel);
	zip.close();
	return out.str();
}

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

// The size of zlib's deflate of data at level, without the zlib stream's
// 2-byte header and 4-byte checksum: what a zip entry deflated at that level holds.
std::size_t deflatedSize(const std::string& data, int level)
{
	std::ostringstream out;
	Poco::DeflatingOutputStream deflater(out, Poco::DeflatingStreamBuf::STREAM_ZLIB, level);
	deflater.write(data.data(), static_cast<std::streamsize>(data.size()));
	deflater.close();
	return out.str().size() - 6;
}

// Runs an outside reader on the files; its exit status, or -1 when the
// program is missing (execvp failed: Poco's child exits with 72).
int runReader(const std::string& command, const std::vector<std::string>& arguments)
{
	try
	{
		Poco::ProcessHandle process = Poco::Process::launch(command, arguments);
		int status = process.wait();
		return status == 72 ? -1 : status;
	}
	catch (Poco::Exception&)
	{
		return -1;
	}
}

const ProfileArchive::CompressionLevel LEVELS[] = {ProfileArchive::CL_FAST, ProfileArchive::CL_NORMAL, ProfileArchive::CL_BEST};

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
	CPPUNIT_TEST(testWithoutLevelDeflatesAtNormal);
	CPPUNIT_TEST(testEachLevelDeflatesAtItsZlibLevel);
	CPPUNIT_TEST(testEveryLevelIsReadByPocoUnzipAndPython);
	CPPUNIT_TEST(testRecordingStreamYieldsExactlyTheRecording);
	CPPUNIT_TEST(testRecordingStreamThrowsWhenTheRecordingIsShort);
	CPPUNIT_TEST(testStreamedZipIsByteIdenticalToTheZipOfACopy);
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

	void testWithoutLevelDeflatesAtNormal()
	{
		// Plugins built against the first SDK call the functions without a level: same bytes as before.
		asprof::sdk::Profile profile = makeProfile("cpu-wall.jfr");
		CPPUNIT_ASSERT(ProfileArchive::toString(profile) == ProfileArchive::toString(profile, ProfileArchive::CL_NORMAL));
		std::ostringstream out;
		ProfileArchive::write(profile, out, ProfileArchive::CL_FAST);
		CPPUNIT_ASSERT(out.str() == ProfileArchive::toString(profile, ProfileArchive::CL_FAST));
	}

	void testEachLevelDeflatesAtItsZlibLevel()
	{
		// The largest recording in tests/data (1.4 MB): levels 1, 6 and 9 differ in size there.
		asprof::sdk::Profile profile = makeProfile("fanout.jfr");
		const std::string recording = readFile(dataFile("fanout.jfr"));
		const Poco::Zip::ZipCommon::CompressionLevel flags[] = {
			Poco::Zip::ZipCommon::CL_SUPERFAST, Poco::Zip::ZipCommon::CL_NORMAL, Poco::Zip::ZipCommon::CL_MAXIMUM};
		std::size_t previousSize = 0;
		for (std::size_t i = 0; i < 3; ++i)
		{
			const std::string zip = ProfileArchive::toString(profile, LEVELS[i]);
			std::istringstream in(zip);
			Poco::Zip::ZipArchive archive(in);
			const Poco::Zip::ZipLocalFileHeader& jfr = header(archive, ProfileArchive::JFR_ENTRY);
			const std::string level = "level " + std::to_string(static_cast<int>(LEVELS[i]));
			CPPUNIT_ASSERT_MESSAGE(level, jfr.getCompressionLevel() == flags[i]);
			// zlib's output at a level depends a little on how the input is fed: the
			// entry is closest to a deflate at its own level, far from the others.
			const double size = static_cast<double>(jfr.getCompressedSize());
			for (ProfileArchive::CompressionLevel other : LEVELS)
			{
				if (other == LEVELS[i]) continue;
				const double own = std::abs(size - static_cast<double>(deflatedSize(recording, LEVELS[i])));
				const double others = std::abs(size - static_cast<double>(deflatedSize(recording, other)));
				CPPUNIT_ASSERT_MESSAGE(level + " is nearer to level " + std::to_string(static_cast<int>(other)), own * 20 < others);
			}
			CPPUNIT_ASSERT_MESSAGE(level, entryContent(zip, jfr) == recording);
			if (i > 0) CPPUNIT_ASSERT_MESSAGE(level + " is not smaller than the level before", jfr.getCompressedSize() < previousSize);
			previousSize = static_cast<std::size_t>(jfr.getCompressedSize());
		}
	}

	void testEveryLevelIsReadByPocoUnzipAndPython()
	{
		asprof::sdk::Profile profile = makeProfile("fanout.jfr");
		Poco::TemporaryFile jfrFile;
		asprof::test::writeFile(jfrFile.path(), readFile(dataFile("fanout.jfr")));
		// zipfile reads the central directory, checks every CRC and compares the recording.
		const std::string python = "import sys, zipfile\n"
								   "z = zipfile.ZipFile(sys.argv[1])\n"
								   "assert z.testzip() is None\n"
								   "assert [i.filename for i in z.infolist()] == ['async_profiler_dump_0.jfr', 'metadata.json']\n"
								   "assert z.read('async_profiler_dump_0.jfr') == open(sys.argv[2], 'rb').read()\n";
		for (ProfileArchive::CompressionLevel level : LEVELS)
		{
			const std::string what = "level " + std::to_string(static_cast<int>(level));
			Poco::TemporaryFile zipFile;
			const std::string zip = ProfileArchive::toString(profile, level);
			asprof::test::writeFile(zipFile.path(), zip);
			std::istringstream in(zip);
			Poco::Zip::ZipArchive archive(in);
			CPPUNIT_ASSERT_MESSAGE(what, entryContent(zip, header(archive, ProfileArchive::JFR_ENTRY)) == readFile(dataFile("fanout.jfr")));
			const int unzip = runReader("unzip", {"-tqq", zipFile.path()});
			if (unzip < 0)
				std::cout << "\nSKIPPED: sdk-tests: unzip not found, zip not checked with it" << std::endl;
			else
				CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": unzip -t", 0, unzip);
			const int zipfile = runReader("python3", {"-c", python, zipFile.path(), jfrFile.path()});
			if (zipfile < 0)
				std::cout << "\nSKIPPED: sdk-tests: python3 not found, zip not checked with zipfile" << std::endl;
			else
				CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": python3 zipfile", 0, zipfile);
		}
	}

	// The agent's recordings are read piecewise (RecordingRanges), another's through
	// readAll() once: both streams give the recording's bytes, nothing more.
	void testRecordingStreamYieldsExactlyTheRecording()
	{
		const std::string jfr = largeJfr();
		Poco::TemporaryFile file;
		asprof::test::writeFile(file.path(), jfr);
		std::shared_ptr<asprof::agent::FileRecording> recording = asprof::agent::FileRecording::fromFile(file.path());
		CPPUNIT_ASSERT(dynamic_cast<const asprof::sdk::RecordingRanges*>(static_cast<const asprof::sdk::Recording*>(recording.get())));
		CPPUNIT_ASSERT(streamed(*recording) == jfr);
		asprof::sdk::RecordingInputStream sized(*recording);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(jfr.size()), sized.size());
		StringRecording other(jfr);
		CPPUNIT_ASSERT(!dynamic_cast<const asprof::sdk::RecordingRanges*>(static_cast<const asprof::sdk::Recording*>(&other)));
		CPPUNIT_ASSERT(streamed(other) == jfr);
		CPPUNIT_ASSERT(streamed(StringRecording("")).empty());
	}

	// A recording shorter than its size() never passes for a whole one: the read
	// throws, and so does the zip built from it.
	void testRecordingStreamThrowsWhenTheRecordingIsShort()
	{
		StringRecording shortOne("0123456789", 20);
		CPPUNIT_ASSERT_THROW(streamed(shortOne), Poco::ReadFileException);
		asprof::sdk::Profile profile = makeProfile("cpu-wall.jfr");
		profile.recording = std::make_shared<StringRecording>(readFile(dataFile("cpu-wall.jfr")), 1000000);
		std::ostringstream out;
		CPPUNIT_ASSERT_THROW(ProfileArchive::write(profile, out, ProfileArchive::CL_FAST), Poco::ReadFileException);
	}

	// Streaming changed where the JFR comes from, not a byte of the zip: at every
	// level, for a small and a ~2 MB multi-chunk recording, for the agent's and
	// another's recordings, read back by Poco::Zip with valid CRCs.
	void testStreamedZipIsByteIdenticalToTheZipOfACopy()
	{
		const std::string large = largeJfr();
		Poco::TemporaryFile file;
		asprof::test::writeFile(file.path(), large);
		asprof::sdk::Profile small = makeProfile("cpu-wall.jfr");
		asprof::sdk::Profile big = makeProfile("cpu-wall.jfr");
		big.recording = asprof::agent::FileRecording::fromFile(file.path());
		asprof::sdk::Profile other = makeProfile("cpu-wall.jfr");
		other.recording = std::make_shared<StringRecording>(large);
		for (ProfileArchive::CompressionLevel level : LEVELS)
		{
			const std::string what = "level " + std::to_string(static_cast<int>(level));
			CPPUNIT_ASSERT_MESSAGE(what, ProfileArchive::toString(small, level) == zipOfACopy(small, level));
			const std::string zip = ProfileArchive::toString(big, level);
			CPPUNIT_ASSERT_MESSAGE(what, zip == zipOfACopy(big, level));
			CPPUNIT_ASSERT_MESSAGE(what, ProfileArchive::toString(other, level) == zip);
			std::istringstream in(zip);
			Poco::Zip::ZipArchive archive(in);
			CPPUNIT_ASSERT_MESSAGE(what, entryContent(zip, header(archive, ProfileArchive::JFR_ENTRY)) == large);
		}
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ProfileArchiveTest);
