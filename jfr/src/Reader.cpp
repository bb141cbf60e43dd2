#include "asprof/jfr/Reader.h"
#include "asprof/jfr/Saturating.h"
#include "Cursor.h"
#include "Decoder.h"
#include <cstring>
#include <set>

namespace asprof {
namespace jfr {

namespace {

const char MAGIC[4] = {'F', 'L', 'R', '\0'};
const std::uint64_t METADATA_EVENT = 0;
const std::uint64_t CHECKPOINT_EVENT = 1;

std::uint64_t bigEndian(const unsigned char* bytes, int count)
{
	std::uint64_t value = 0;
	for (int i = 0; i < count; ++i) value = value << 8 | bytes[i];
	return value;
}

// unfinishedAllowed: a last chunk after a complete one that runs past the
// end of the file or has no pool/metadata offsets comes back with size 0.
ChunkHeader readHeader(const Input& input, std::uint64_t offset, int index, bool unfinishedAllowed = false)
{
	unsigned char raw[ChunkHeader::SIZE];
	std::size_t got = input.read(offset, raw, sizeof(raw));
	if (got < 4 || std::memcmp(raw, MAGIC, 4) != 0)
		throw JfrError(input.name(), index, offset,
			index == 1 ? "not a JFR file (no FLR magic)" : "no chunk header (FLR magic) where the previous chunk ends");
	if (got < sizeof(raw))
		throw JfrError(input.name(), index, offset, "the chunk header is cut short (" + std::to_string(got) + " of 68 bytes)");
	ChunkHeader header;
	header.index = index;
	header.offset = offset;
	header.major = static_cast<std::uint16_t>(bigEndian(raw + 4, 2));
	header.minor = static_cast<std::uint16_t>(bigEndian(raw + 6, 2));
	header.size = bigEndian(raw + 8, 8);
	header.constantPoolOffset = bigEndian(raw + 16, 8);
	header.metadataOffset = bigEndian(raw + 24, 8);
	header.startNanos = static_cast<std::int64_t>(bigEndian(raw + 32, 8));
	header.durationNanos = static_cast<std::int64_t>(bigEndian(raw + 40, 8));
	header.startTicks = static_cast<std::int64_t>(bigEndian(raw + 48, 8));
	header.ticksPerSecond = static_cast<std::int64_t>(bigEndian(raw + 56, 8));
	header.features = static_cast<std::uint32_t>(bigEndian(raw + 64, 4));

	auto fail = [&](const std::string& problem) { throw JfrError(input.name(), index, offset, problem); };
	if (header.major != 2)
		fail("JFR version " + std::to_string(header.major) + "." + std::to_string(header.minor) +
			" is not supported (only 2.x, as async-profiler writes)");
	// Only what looks like a chunk being written (a valid version) may be left out.
	if (unfinishedAllowed && index > 1 &&
		(header.size > input.size() - offset || header.constantPoolOffset == 0 || header.metadataOffset == 0))
	{
		header.size = 0; // the caller stops here
		return header;
	}
	std::uint64_t available = input.size() - offset;
	if (header.size < ChunkHeader::SIZE || header.size > available)
	{
		fail("the chunk size " + std::to_string(header.size) + " runs past the end of the file (" + std::to_string(available) +
			" bytes from the chunk's start): a truncated or unfinished recording");
	}
	if (header.constantPoolOffset == 0 || header.metadataOffset == 0)
		fail("an unfinished chunk (no constant pool or metadata offset): the recording was not stopped");
	if (header.constantPoolOffset < ChunkHeader::SIZE || header.constantPoolOffset >= header.size)
		fail("the constant pool offset " + std::to_string(header.constantPoolOffset) + " lies outside the chunk");
	if (header.metadataOffset < ChunkHeader::SIZE || header.metadataOffset >= header.size)
		fail("the metadata offset " + std::to_string(header.metadataOffset) + " lies outside the chunk");
	if (header.ticksPerSecond <= 0) fail("the chunk's ticks per second is " + std::to_string(header.ticksPerSecond));
	return header;
}

// The size and type at the cursor; the event must fit in the chunk.
std::uint64_t readEventHeader(Cursor& cursor, std::uint64_t chunkEnd, std::uint64_t& type)
{
	std::uint64_t start = cursor.position();
	std::uint64_t size = cursor.readInt(4);
	type = cursor.readVarlong();
	if (size == 0 || size > chunkEnd - start)
	{
		cursor.failAt(start, "event size " + std::to_string(size) + " runs past the chunk's end (byte " + std::to_string(chunkEnd) + ")");
	}
	if (cursor.position() > start + size) cursor.failAt(start, "event size " + std::to_string(size) + " is smaller than its header");
	return size;
}

void readStackTraces(Cursor& cursor, const Type& type, std::uint64_t count, std::unordered_map<std::uint64_t, StackTrace>& out)
{
	int truncatedIndex = type.fieldIndex("truncated");
	int framesIndex = type.fieldIndex("frames");
	const Field* framesField = framesIndex >= 0 ? &type.fields[static_cast<std::size_t>(framesIndex)] : nullptr;
	if (!framesField || !framesField->array || framesField->encoding != Field::Encoding::Struct)
		cursor.fail("jdk.types.StackTrace has no frames array of stack frames");
	const Type& frameType = *framesField->type;
	int methodIndex = frameType.fieldIndex("method");
	int lineIndex = frameType.fieldIndex("lineNumber");
	int bciIndex = frameType.fieldIndex("bytecodeIndex");
	int typeIndex = frameType.fieldIndex("type");
	Value value;
	for (std::uint64_t i = 0; i < count; ++i)
	{
		std::uint64_t id = cursor.readVarlong();
		StackTrace trace;
		for (std::size_t f = 0; f < type.fields.size(); ++f)
		{
			const Field& field = type.fields[f];
			if (static_cast<int>(f) != framesIndex)
			{
				readField(cursor, field, value);
				if (static_cast<int>(f) == truncatedIndex) trace.truncated = value.integer != 0;
				continue;
			}
			std::uint64_t depth = cursor.readCount("stack frames");
			trace.frames.reserve(static_cast<std::size_t>(depth));
			for (std::uint64_t d = 0; d < depth; ++d)
			{
				Frame frame;
				for (std::size_t k = 0; k < frameType.fields.size(); ++k)
				{
					readField(cursor, frameType.fields[k], value, 1);
					int index = static_cast<int>(k);
					if (index == methodIndex)
						frame.method = value.integer;
					else if (index == lineIndex)
						frame.line = static_cast<std::int32_t>(value.integer);
					else if (index == bciIndex)
						frame.bytecodeIndex = static_cast<std::int32_t>(value.integer);
					else if (index == typeIndex)
						frame.type = value.integer;
				}
				trace.frames.push_back(frame);
			}
		}
		out[id] = std::move(trace);
	}
}

void readStringPool(Cursor& cursor, const Type& type, std::uint64_t count, std::unordered_map<std::uint64_t, std::string>& out)
{
	// java.lang.String entries are a string; jdk.types.Symbol entries a
	// struct whose one field is a string.
	Value value;
	for (std::uint64_t i = 0; i < count; ++i)
	{
		std::uint64_t id = cursor.readVarlong();
		if (type.name == "java.lang.String")
		{
			readString(cursor, value);
		}
		else
		{
			for (const auto& field : type.fields) readField(cursor, field, value);
		}
		out[id] = value.kind == Value::Kind::String ? value.utf8() : std::string();
	}
}

void readPool(Cursor& cursor, const Type& type,
	std::unordered_map<std::uint64_t, std::unordered_map<std::uint64_t, ConstantPools::Entry>>& generic,
	std::unordered_map<std::uint64_t, StackTrace>& stackTraces, std::unordered_map<std::uint64_t, std::string>& symbols,
	std::unordered_map<std::uint64_t, std::string>& strings)
{
	std::uint64_t count = cursor.readCount(("entries of pool " + type.name).c_str());
	if (type.name == "jdk.types.StackTrace")
	{
		readStackTraces(cursor, type, count, stackTraces);
		return;
	}
	if (type.name == "jdk.types.Symbol" && type.fields.size() == 1 && type.fields[0].encoding == Field::Encoding::String)
	{
		readStringPool(cursor, type, count, symbols);
		return;
	}
	if (type.name == "java.lang.String")
	{
		readStringPool(cursor, type, count, strings);
		return;
	}
	auto& pool = generic[type.id];
	for (std::uint64_t i = 0; i < count; ++i)
	{
		std::uint64_t id = cursor.readVarlong();
		ConstantPools::Entry entry;
		entry.values.resize(type.fields.size());
		for (std::size_t f = 0; f < type.fields.size(); ++f) readField(cursor, type.fields[f], entry.values[f]);
		pool[id] = std::move(entry);
	}
}

} // namespace

RecordingVisitor::~RecordingVisitor() = default;

void RecordingVisitor::beginChunk(const Chunk&)
{
}

bool RecordingVisitor::wants(const Chunk&, const Type&)
{
	return false;
}

void RecordingVisitor::event(const Chunk&, const Event&)
{
}

void RecordingVisitor::skipped(const Chunk&, const Type&, std::uint64_t)
{
}

void RecordingVisitor::endChunk(const Chunk&)
{
}

Reader::Reader(const Input& input, bool allowUnfinishedLastChunk): _input(input), _allowUnfinishedLastChunk(allowUnfinishedLastChunk)
{
}

const std::optional<JfrError>& Reader::unfinished() const
{
	return _unfinished;
}

void Reader::read(RecordingVisitor& visitor)
{
	if (_input.size() == 0) throw JfrError(_input.name(), 0, 0, "an empty file, not a JFR recording");
	std::uint64_t offset = 0;
	int index = 1;
	while (offset < _input.size())
	{
		ChunkHeader header = readHeader(_input, offset, index, _allowUnfinishedLastChunk);
		if (header.size == 0)
		{
			_unfinished =
				JfrError(_input.name(), index, offset, "an unfinished chunk (a recording still being written, or cut short): left out");
			return;
		}
		readChunkAt(offset, index, visitor);
		offset += header.size;
		++index;
	}
}

std::vector<ChunkHeader> Reader::chunkHeaders() const
{
	if (_input.size() == 0) throw JfrError(_input.name(), 0, 0, "an empty file, not a JFR recording");
	std::vector<ChunkHeader> headers;
	for (std::uint64_t offset = 0; offset < _input.size(); offset += headers.back().size)
	{
		ChunkHeader header = readHeader(_input, offset, static_cast<int>(headers.size()) + 1, _allowUnfinishedLastChunk);
		if (header.size == 0) break;
		headers.push_back(header);
	}
	return headers;
}

void Reader::readChunk(const ChunkHeader& header, RecordingVisitor& visitor)
{
	readChunkAt(header.offset, header.index, visitor);
}

void Reader::readChunkAt(std::uint64_t offset, int index, RecordingVisitor& visitor)
{
	Chunk chunk;
	chunk._inputName = _input.name();
	chunk._header = readHeader(_input, offset, index);
	const ChunkHeader& header = chunk._header;
	const std::uint64_t chunkEnd = offset + header.size;
	const bool compressed = (header.features & 1) != 0;
	Cursor cursor(_input, index, compressed);

	// Metadata first: every other event is decoded by it.
	std::uint64_t type = 0;
	cursor.seek(offset + header.metadataOffset, chunkEnd);
	std::uint64_t size = readEventHeader(cursor, chunkEnd, type);
	if (type != METADATA_EVENT)
		cursor.failAt(offset + header.metadataOffset, "no metadata event at the metadata offset (type " + std::to_string(type) + ")");
	cursor.seek(offset + header.metadataOffset, offset + header.metadataOffset + size);
	chunk._metadata = Metadata::read(cursor);

	// Then the constant pools: a chain of checkpoints from the last one back.
	ConstantPools& pools = chunk._pools;
	// Each checkpoint must lie wholly before the one that points to it: the
	// chain cannot loop, and no byte is read twice.
	std::uint64_t below = chunkEnd;
	std::uint64_t checkpoint = offset + header.constantPoolOffset;
	for (;;)
	{
		cursor.seek(checkpoint, chunkEnd);
		size = readEventHeader(cursor, chunkEnd, type);
		if (checkpoint + size > below)
			cursor.failAt(checkpoint,
				below == chunkEnd ? "the checkpoint runs past the chunk's end"
								  : "the checkpoint chain loops or overlaps (a checkpoint must end before the one pointing to it)");
		below = checkpoint;
		if (type != CHECKPOINT_EVENT)
			cursor.failAt(checkpoint, "no checkpoint event where the chain points (type " + std::to_string(type) + ")");
		cursor.setLimit(checkpoint + size);
		cursor.readVarlong(); // start time
		cursor.readVarlong(); // duration
		auto delta = static_cast<std::int64_t>(cursor.readVarlong());
		cursor.readByte(); // type mask (flush)
		std::uint64_t poolCount = cursor.readCount("constant pools", 2);
		for (std::uint64_t p = 0; p < poolCount; ++p)
		{
			std::uint64_t at = cursor.position();
			std::uint64_t typeId = cursor.readVarlong();
			const Type* poolType = chunk._metadata.byId(typeId);
			if (!poolType) cursor.failAt(at, "a constant pool of the undeclared type id " + std::to_string(typeId));
			readPool(cursor, *poolType, pools._pools, pools._stackTraces, pools._symbols, pools._strings);
		}
		if (delta == 0) break;
		auto previous = saturating::add(static_cast<std::int64_t>(checkpoint), delta);
		if (previous < static_cast<std::int64_t>(offset + ChunkHeader::SIZE) || static_cast<std::uint64_t>(previous) >= chunkEnd)
			cursor.failAt(checkpoint, "the checkpoint chain points outside the chunk (delta " + std::to_string(delta) + ")");
		checkpoint = static_cast<std::uint64_t>(previous);
	}
	if (const Type* t = chunk._metadata.byName("jdk.types.StackTrace")) pools._stackTraceType = t->id;
	if (const Type* t = chunk._metadata.byName("jdk.types.Symbol")) pools._symbolType = t->id;
	if (const Type* t = chunk._metadata.byName("java.lang.String")) pools._stringType = t->id;
	chunk._metadata.synthetic(METADATA_EVENT, "jdk.Metadata");
	chunk._metadata.synthetic(CHECKPOINT_EVENT, "jdk.CheckPoint");

	visitor.beginChunk(chunk);
	// What to do with each event type: a vector for the small ids every
	// writer uses, a map for the rest.
	std::vector<std::pair<const Type*, bool>> smallDecisions(1024, std::make_pair(nullptr, false));
	std::unordered_map<std::uint64_t, std::pair<const Type*, bool>> decisions;
	Event event;
	std::uint64_t position = offset + ChunkHeader::SIZE;
	cursor.seek(position, chunkEnd);
	while (position < chunkEnd)
	{
		cursor.seek(position, chunkEnd);
		size = readEventHeader(cursor, chunkEnd, type);
		std::pair<const Type*, bool>* decision = type < smallDecisions.size() ? &smallDecisions[type] : &decisions[type];
		if (!decision->first)
		{
			const Type* eventType = chunk._metadata.byId(type);
			if (!eventType) eventType = &chunk._metadata.synthetic(type, "<type " + std::to_string(type) + ">");
			bool wanted =
				type != METADATA_EVENT && type != CHECKPOINT_EVENT && !eventType->fields.empty() && visitor.wants(chunk, *eventType);
			*decision = std::make_pair(eventType, wanted);
		}
		const Type& eventType = *decision->first;
		if (decision->second)
		{
			cursor.setLimit(position + size);
			event._type = &eventType;
			event._offset = position;
			event._size = size;
			event._count = eventType.fields.size();
			if (event._values.size() < event._count) event._values.resize(event._count);
			if (eventType.integersOnly && compressed)
			{
				// Samples, mallocs, frees: every field one compressed integer
				// (or a byte): no per-field dispatch.
				for (std::size_t f = 0; f < event._count; ++f)
				{
					const Field& field = eventType.fields[f];
					Value& value = event._values[f];
					bool oneByte = field.encoding == Field::Encoding::Boolean || field.encoding == Field::Encoding::Byte;
					value.integer = oneByte ? cursor.readByte() : cursor.readVarlong();
					value.kind = field.encoding == Field::Encoding::Reference ? Value::Kind::Reference : Value::Kind::Integer;
				}
			}
			else
			{
				for (std::size_t f = 0; f < event._count; ++f) readField(cursor, eventType.fields[f], event._values[f]);
			}
			visitor.event(chunk, event);
		}
		else
		{
			visitor.skipped(chunk, eventType, size);
		}
		position += size;
	}
	visitor.endChunk(chunk);
}

} // namespace jfr
} // namespace asprof
