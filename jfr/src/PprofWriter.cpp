#include "asprof/jfr/PprofWriter.h"
#include "asprof/jfr/Saturating.h"
#include "ProtoWriter.h"
#include "Poco/DeflatingStream.h"
#include <algorithm>
#include <limits>

namespace asprof {
namespace jfr {

namespace {

const char* const KERNEL_MAPPING = "[kernel.kallsyms]";
const char* const COMMENT = "produced by asprof-jfr from an async-profiler recording";

// profile.proto field numbers.
namespace ProfileField {
const std::uint32_t SAMPLE_TYPE = 1, SAMPLE = 2, MAPPING = 3, LOCATION = 4, FUNCTION = 5, STRING_TABLE = 6, TIME_NANOS = 9,
					DURATION_NANOS = 10, PERIOD_TYPE = 11, PERIOD = 12, COMMENT = 13, DEFAULT_SAMPLE_TYPE = 14;
}
namespace ValueTypeField {
const std::uint32_t TYPE = 1, UNIT = 2;
}
namespace SampleField {
const std::uint32_t LOCATION_ID = 1, VALUE = 2, LABEL = 3;
}
namespace LabelField {
const std::uint32_t KEY = 1, STR = 2;
}
namespace MappingField {
const std::uint32_t ID = 1, FILENAME = 5, HAS_FUNCTIONS = 7;
}
namespace LocationField {
const std::uint32_t ID = 1, MAPPING_ID = 2, LINE = 4;
}
namespace LineField {
const std::uint32_t FUNCTION_ID = 1;
}
namespace FunctionField {
const std::uint32_t ID = 1, NAME = 2, SYSTEM_NAME = 3, FILENAME = 4;
}

// The sample types, type then unit: two for every kind but Heap's four
// (the two-value kinds' string tables stay as they always were).
struct Names
{
	const char* text[8];
	std::size_t count; ///< sample types
};

Names namesOf(PprofWriter::Kind kind)
{
	switch (kind)
	{
	case PprofWriter::Kind::Cpu: return {{"samples", "count", "cpu", "nanoseconds"}, 2};
	case PprofWriter::Kind::Wall: return {{"samples", "count", "wall", "nanoseconds"}, 2};
	case PprofWriter::Kind::Alloc: return {{"alloc_objects", "count", "alloc_space", "bytes"}, 2};
	case PprofWriter::Kind::Inuse: return {{"inuse_objects", "count", "inuse_space", "bytes"}, 2};
	case PprofWriter::Kind::Heap:
		return {{"alloc_objects", "count", "alloc_space", "bytes", "inuse_objects", "count", "inuse_space", "bytes"}, 4};
	}
	return {{"samples", "count", "value", "count"}, 2};
}

const char* const HEAP_DEFAULT_SAMPLE_TYPE = "inuse_space";
const char* const HEAP_PERIOD_TYPE = "space"; // as Go's heap profile: space/bytes, the sampling rate

} // namespace

PprofWriter::PprofWriter(Kind kind): _kind(kind)
{
	string(""); // string_table[0] is always ""
	Names names = namesOf(kind);
	for (std::size_t i = 0; i < names.count * 2; ++i) string(names.text[i]);
	for (const char* text : {"thread", COMMENT}) string(text);
	if (kind == Kind::Heap) string(HEAP_PERIOD_TYPE);
}

std::size_t PprofWriter::valueCount() const
{
	return namesOf(_kind).count;
}

void PprofWriter::setPeriod(std::int64_t nanos)
{
	_period = nanos;
}

void PprofWriter::setTimeRange(std::int64_t startNanos, std::int64_t durationNanos)
{
	_startNanos = startNanos;
	_durationNanos = durationNanos;
}

std::int64_t PprofWriter::string(const std::string& text)
{
	auto found = _stringIndex.find(text);
	if (found != _stringIndex.end()) return found->second;
	auto index = static_cast<std::int64_t>(_strings.size());
	_strings.push_back(text);
	_stringIndex.emplace(text, index);
	return index;
}

std::uint64_t PprofWriter::location(const NamedFrame& frame)
{
	auto found = _locationOf.find(&frame);
	if (found != _locationOf.end()) return found->second;
	std::string library = frame.type == FrameType::KERNEL ? std::string(KERNEL_MAPPING) : frame.library;
	std::uint64_t mapping = 0;
	if (!library.empty())
	{
		auto known = _mappingOf.find(library);
		if (known == _mappingOf.end())
		{
			_mappingFile.push_back(string(library));
			known = _mappingOf.emplace(library, _mappingFile.size()).first;
		}
		mapping = known->second;
	}
	_functions.push_back(Function{string(frame.name), library.empty() ? 0 : string(library)});
	_locationMapping.push_back(mapping);
	std::uint64_t id = _locationMapping.size(); // one location per function: same id
	_locationOf.emplace(&frame, id);
	return id;
}

void PprofWriter::add(const std::vector<const NamedFrame*>& stack, std::int64_t samples, std::int64_t value)
{
	// A hostile interval setting saturates, never UB.
	std::int64_t second = _kind == Kind::Cpu || _kind == Kind::Wall ? saturating::multiply(samples, _period) : value;
	merge(stack, {samples, second, 0, 0});
}

void PprofWriter::addHeap(const std::vector<const NamedFrame*>& stack, std::int64_t allocObjects, std::int64_t allocBytes,
	std::int64_t inuseObjects, std::int64_t inuseBytes)
{
	merge(stack, {allocObjects, allocBytes, inuseObjects, inuseBytes});
}

void PprofWriter::merge(const std::vector<const NamedFrame*>& stack, const std::int64_t (&values)[4])
{
	Sample sample;
	sample.locations.reserve(stack.size());
	for (auto it = stack.rbegin(); it != stack.rend(); ++it)
	{
		if ((*it)->thread)
		{
			sample.thread = string((*it)->name);
			continue;
		}
		sample.locations.push_back(location(**it));
	}
	std::string key(reinterpret_cast<const char*>(sample.locations.data()), sample.locations.size() * sizeof(std::uint64_t));
	key.append(reinterpret_cast<const char*>(&sample.thread), sizeof(sample.thread));
	auto found = _sampleIndex.find(key);
	if (found == _sampleIndex.end())
	{
		found = _sampleIndex.emplace(key, _samples.size()).first;
		_samples.push_back(std::move(sample));
	}
	Sample& merged = _samples[found->second];
	for (std::size_t i = 0; i < 4; ++i) merged.values[i] = saturating::add(merged.values[i], values[i]);
}

std::int64_t PprofWriter::total(int index) const
{
	std::int64_t sum = 0;
	std::size_t which = index <= 0 ? 0 : std::min(static_cast<std::size_t>(index), valueCount() - 1);
	for (const auto& sample : _samples) sum = saturating::add(sum, sample.values[which]);
	return sum;
}

void PprofWriter::write(std::ostream& out, bool gzip) const
{
	Names names = namesOf(_kind);
	ProtoWriter profile;
	ProtoWriter nested;
	auto valueType = [&](const char* type, const char* unit) {
		ProtoWriter vt;
		vt.varint(ValueTypeField::TYPE, static_cast<std::uint64_t>(_stringIndex.at(type)));
		vt.varint(ValueTypeField::UNIT, static_cast<std::uint64_t>(_stringIndex.at(unit)));
		return vt;
	};
	for (std::size_t i = 0; i < names.count; ++i)
		profile.message(ProfileField::SAMPLE_TYPE, valueType(names.text[2 * i], names.text[2 * i + 1]));
	std::int64_t threadKey = _stringIndex.at("thread");
	for (const auto& sample : _samples)
	{
		nested.clear();
		nested.packed(SampleField::LOCATION_ID, sample.locations);
		std::vector<std::uint64_t> values;
		for (std::size_t i = 0; i < names.count; ++i) values.push_back(static_cast<std::uint64_t>(sample.values[i]));
		nested.packed(SampleField::VALUE, values);
		if (sample.thread != 0)
		{
			ProtoWriter label;
			label.varint(LabelField::KEY, static_cast<std::uint64_t>(threadKey));
			label.varint(LabelField::STR, static_cast<std::uint64_t>(sample.thread));
			nested.message(SampleField::LABEL, label);
		}
		profile.message(ProfileField::SAMPLE, nested);
	}
	for (std::size_t i = 0; i < _mappingFile.size(); ++i)
	{
		nested.clear();
		nested.varint(MappingField::ID, i + 1);
		nested.varint(MappingField::FILENAME, static_cast<std::uint64_t>(_mappingFile[i]));
		nested.varint(MappingField::HAS_FUNCTIONS, 1);
		profile.message(ProfileField::MAPPING, nested);
	}
	for (std::size_t i = 0; i < _locationMapping.size(); ++i)
	{
		nested.clear();
		nested.varint(LocationField::ID, i + 1);
		if (_locationMapping[i] != 0) nested.varint(LocationField::MAPPING_ID, _locationMapping[i]);
		ProtoWriter line;
		line.varint(LineField::FUNCTION_ID, i + 1);
		nested.message(LocationField::LINE, line);
		profile.message(ProfileField::LOCATION, nested);
	}
	for (std::size_t i = 0; i < _functions.size(); ++i)
	{
		nested.clear();
		nested.varint(FunctionField::ID, i + 1);
		nested.varint(FunctionField::NAME, static_cast<std::uint64_t>(_functions[i].name));
		nested.varint(FunctionField::SYSTEM_NAME, static_cast<std::uint64_t>(_functions[i].name));
		if (_functions[i].file != 0) nested.varint(FunctionField::FILENAME, static_cast<std::uint64_t>(_functions[i].file));
		profile.message(ProfileField::FUNCTION, nested);
	}
	std::int64_t comment = _stringIndex.at(COMMENT);
	if (_kind == Kind::Cpu || _kind == Kind::Wall)
	{
		profile.message(ProfileField::PERIOD_TYPE, valueType(names.text[2], names.text[3]));
		profile.signedVarint(ProfileField::PERIOD, _period);
	}
	else if (_kind == Kind::Heap)
	{
		profile.message(ProfileField::PERIOD_TYPE, valueType(HEAP_PERIOD_TYPE, "bytes"));
		profile.signedVarint(ProfileField::PERIOD, _period);
	}
	profile.signedVarint(ProfileField::TIME_NANOS, _startNanos);
	profile.signedVarint(ProfileField::DURATION_NANOS, _durationNanos);
	profile.signedVarint(ProfileField::COMMENT, comment);
	if (_kind == Kind::Heap) profile.signedVarint(ProfileField::DEFAULT_SAMPLE_TYPE, _stringIndex.at(HEAP_DEFAULT_SAMPLE_TYPE));
	// The string table last: every index above is interned by now.
	for (const auto& text : _strings) profile.bytes(ProfileField::STRING_TABLE, text);

	if (!gzip)
	{
		out.write(profile.data().data(), static_cast<std::streamsize>(profile.data().size()));
		return;
	}
	Poco::DeflatingOutputStream deflater(out, Poco::DeflatingStreamBuf::STREAM_GZIP);
	deflater.write(profile.data().data(), static_cast<std::streamsize>(profile.data().size()));
	deflater.close();
}

} // namespace jfr
} // namespace asprof
