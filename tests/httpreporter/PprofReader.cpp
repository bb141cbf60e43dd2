#include "PprofReader.h"
#include "HttpReporterTestSupport.h"
#include "cppunit/extensions/HelperMacros.h"

namespace asprof {
namespace test {

namespace {

// profile.proto field numbers (github.com/google/pprof/proto/profile.proto).
enum ProfileField
{
	SAMPLE_TYPE = 1,
	SAMPLE = 2,
	LOCATION = 4,
	FUNCTION = 5,
	STRING_TABLE = 6,
	TIME_NANOS = 9,
	DURATION_NANOS = 10,
	PERIOD_TYPE = 11,
	PERIOD = 12
};

class Protobuf
{
public:
	explicit Protobuf(const std::string& bytes): _bytes(bytes)
	{
	}

	bool atEnd() const
	{
		return _at >= _bytes.size();
	}

	std::uint64_t varint()
	{
		std::uint64_t value = 0;
		for (int shift = 0; shift < 64; shift += 7)
		{
			CPPUNIT_ASSERT_MESSAGE("varint runs past the end", _at < _bytes.size());
			const auto byte = static_cast<unsigned char>(_bytes[_at++]);
			value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
			if ((byte & 0x80) == 0) return value;
		}
		CPPUNIT_FAIL("varint longer than 10 bytes");
		return 0;
	}

	std::string bytes()
	{
		const std::uint64_t length = varint();
		CPPUNIT_ASSERT_MESSAGE("length-delimited field runs past the end", length <= _bytes.size() - _at);
		std::string text = _bytes.substr(_at, length);
		_at += length;
		return text;
	}

	// The next field: its number, wire type and (for varints) value or (for bytes) content.
	bool next(std::uint32_t& field, std::uint64_t& number, std::string& content)
	{
		if (atEnd()) return false;
		const std::uint64_t key = varint();
		field = static_cast<std::uint32_t>(key >> 3);
		const auto wireType = key & 7;
		content.clear();
		number = 0;
		if (wireType == 0)
			number = varint();
		else if (wireType == 2)
			content = bytes();
		else
			CPPUNIT_FAIL("unexpected wire type " + std::to_string(wireType) + " for field " + std::to_string(field));
		_wireType = static_cast<int>(wireType);
		return true;
	}

	int wireType() const
	{
		return _wireType;
	}

private:
	const std::string& _bytes;
	std::size_t _at = 0;
	int _wireType = 0;
};

std::pair<std::int64_t, std::int64_t> valueType(const std::string& message)
{
	Protobuf reader(message);
	std::uint32_t field;
	std::uint64_t number;
	std::string content;
	std::int64_t type = 0, unit = 0;
	while (reader.next(field, number, content))
	{
		if (field == 1) type = static_cast<std::int64_t>(number);
		if (field == 2) unit = static_cast<std::int64_t>(number);
	}
	return {type, unit};
}

// Sample.value (field 2): packed or not.
std::vector<std::int64_t> sampleValues(const std::string& message)
{
	Protobuf reader(message);
	std::uint32_t field;
	std::uint64_t number;
	std::string content;
	std::vector<std::int64_t> values;
	while (reader.next(field, number, content))
	{
		if (field != 2) continue;
		if (reader.wireType() == 0)
		{
			values.push_back(static_cast<std::int64_t>(number));
			continue;
		}
		Protobuf packed(content);
		while (!packed.atEnd()) values.push_back(static_cast<std::int64_t>(packed.varint()));
	}
	return values;
}

const std::string& stringAt(const std::vector<std::string>& strings, std::int64_t index)
{
	CPPUNIT_ASSERT_MESSAGE("string index out of range", index >= 0 && static_cast<std::size_t>(index) < strings.size());
	return strings[static_cast<std::size_t>(index)];
}

} // namespace

std::string DecodedPprof::sampleTypeText() const
{
	std::string text;
	for (const auto& type : sampleTypes) text += (text.empty() ? "" : ",") + type.first + "/" + type.second;
	return text;
}

DecodedPprof decodePprof(const std::string& input)
{
	const bool gzipped = input.size() >= 2 && static_cast<unsigned char>(input[0]) == 0x1f && static_cast<unsigned char>(input[1]) == 0x8b;
	const std::string bytes = gzipped ? gunzip(input) : input;
	Protobuf reader(bytes);
	std::uint32_t field;
	std::uint64_t number;
	std::string content;
	std::vector<std::string> strings;
	std::vector<std::pair<std::int64_t, std::int64_t>> sampleTypes;
	std::pair<std::int64_t, std::int64_t> periodType{0, 0};
	DecodedPprof profile;
	std::vector<std::vector<std::int64_t>> samples;
	while (reader.next(field, number, content))
	{
		switch (field)
		{
		case SAMPLE_TYPE: sampleTypes.push_back(valueType(content)); break;
		case SAMPLE: samples.push_back(sampleValues(content)); break;
		case LOCATION: ++profile.locations; break;
		case FUNCTION: ++profile.functions; break;
		case STRING_TABLE: strings.push_back(content); break;
		case TIME_NANOS: profile.timeNanos = static_cast<std::int64_t>(number); break;
		case DURATION_NANOS: profile.durationNanos = static_cast<std::int64_t>(number); break;
		case PERIOD_TYPE: periodType = valueType(content); break;
		case PERIOD: profile.period = static_cast<std::int64_t>(number); break;
		default: break;
		}
	}
	CPPUNIT_ASSERT_MESSAGE("string_table[0] must be empty", !strings.empty() && strings[0].empty());
	for (const auto& type : sampleTypes) profile.sampleTypes.emplace_back(stringAt(strings, type.first), stringAt(strings, type.second));
	profile.periodType = {stringAt(strings, periodType.first), stringAt(strings, periodType.second)};
	profile.totals.assign(sampleTypes.size(), 0);
	for (const auto& values : samples)
	{
		CPPUNIT_ASSERT_EQUAL_MESSAGE("values per sample", sampleTypes.size(), values.size());
		for (std::size_t i = 0; i < values.size(); ++i) profile.totals[i] += values[i];
	}
	profile.sampleCount = samples.size();
	return profile;
}

std::string pyroscopeMetricName(const DecodedPprof& profile)
{
	for (const auto& type : profile.sampleTypes)
	{
		if (type.first == "wall") return "wall";
	}
	std::string name;
	for (const auto& type : profile.sampleTypes)
	{
		// tree.DefaultSampleTypeMapping's display names (pkg/og/storage/tree/pprof.go).
		name = type.first;
		if (name == "samples") name = "cpu";
		if (name == "goroutine") name = "goroutines";
		if (name == "contentions") name = "mutex_count";
		if (name == "delay") name = "mutex_duration";
		if (name.find("cpu") != std::string::npos) return "process_cpu";
		if (name.find("alloc_") != std::string::npos || name.find("inuse_") != std::string::npos || name == "space" || name == "objects")
			return "memory";
		if (name.find("mutex_") != std::string::npos) return "mutex";
		if (name.find("block_") != std::string::npos) return "block";
		if (name.find("goroutines") != std::string::npos) return "goroutines";
	}
	return name;
}

} // namespace test
} // namespace asprof
