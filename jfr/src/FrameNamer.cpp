#include "FrameNamer.h"

namespace asprof {
namespace jfr {

namespace {

const std::string* symbolOf(const Chunk& chunk, const ConstantPools::Entry& entry, int field)
{
	if (field < 0) return nullptr;
	const Value& value = entry.values[static_cast<std::size_t>(field)];
	return value.kind == Value::Kind::Reference ? chunk.pools().symbol(value.integer) : nullptr;
}

bool isNativeFrame(const Chunk& chunk, std::uint8_t type)
{
	if (type == FrameType::CPP || type == FrameType::KERNEL) return true;
	if (type != FrameType::NATIVE) return false;
	const Type* frameTypes = chunk.metadata().byName("jdk.types.FrameType");
	return frameTypes && chunk.pools().find(frameTypes->id, FrameType::KERNEL);
}

} // namespace

std::size_t NamedFrameHash::operator()(const NamedFrame& frame) const
{
	return std::hash<std::string>()(frame.name) * 31 + std::hash<std::string>()(frame.library) * 7 + frame.type * 2u +
		(frame.thread ? 1u : 0u);
}

bool NamedFrameEqual::operator()(const NamedFrame& a, const NamedFrame& b) const
{
	return a.type == b.type && a.thread == b.thread && a.name == b.name && a.library == b.library;
}

void FrameNamer::beginChunk()
{
	_methods.clear();
	_framesByMethodAndType.clear();
}

const NamedFrame* FrameNamer::intern(NamedFrame frame)
{
	return &*_frames.insert(std::move(frame)).first;
}

std::string FrameNamer::threadName(const Chunk& chunk, std::int32_t tid)
{
	const Type* threadType = chunk.metadata().byName("java.lang.Thread");
	const ConstantPools::Entry* entry = threadType ? chunk.pools().find(threadType->id, static_cast<std::uint32_t>(tid)) : nullptr;
	if (!entry) return std::string();
	for (const char* field : {"javaName", "osName"})
	{
		int index = threadType->fieldIndex(field);
		if (index >= 0 && entry->values[static_cast<std::size_t>(index)].kind != Value::Kind::Null)
			return chunk.pools().text(entry->values[static_cast<std::size_t>(index)]);
	}
	return std::string();
}

// JfrConverter.getThreadName: "[name tid=N]", "[tid=N]" without a name.
const NamedFrame* FrameNamer::thread(const Chunk& chunk, std::int32_t tid)
{
	std::string name = threadName(chunk, tid);
	NamedFrame frame;
	frame.thread = true;
	frame.type = FrameType::NATIVE;
	if (name.empty())
		frame.name = "[tid=" + std::to_string(tid) + "]";
	else if (name.compare(0, 5, "[tid=") == 0)
		frame.name = name;
	else
		frame.name = "[" + name + " tid=" + std::to_string(tid) + "]";
	return intern(std::move(frame));
}

const NamedFrame* FrameNamer::method(const Chunk& chunk, std::uint64_t methodId, std::uint8_t type)
{
	std::uint64_t key = methodId << 8 | type;
	auto known = _framesByMethodAndType.find(key);
	if (key >> 8 == methodId && known != _framesByMethodAndType.end()) return known->second;
	auto cached = _methods.find(methodId);
	if (cached == _methods.end())
	{
		// The name, as the converter caches it: by method id, named with the
		// type of the first frame that asked.
		std::string name;
		std::string library;
		const Type* methodType = chunk.metadata().byName("jdk.types.Method");
		const ConstantPools::Entry* method = methodType ? chunk.pools().find(methodType->id, methodId) : nullptr;
		if (!method)
		{
			name = "unknown";
		}
		else
		{
			const std::string* methodName = symbolOf(chunk, *method, methodType->fieldIndex("name"));
			const std::string* className = nullptr;
			int classField = methodType->fieldIndex("type");
			const Type* classType = chunk.metadata().byName("java.lang.Class");
			if (classField >= 0 && classType)
			{
				const Value& classRef = method->values[static_cast<std::size_t>(classField)];
				const ConstantPools::Entry* cls = chunk.pools().find(classType->id, classRef.integer);
				if (cls) className = symbolOf(chunk, *cls, classType->fieldIndex("name"));
			}
			std::string methodText = methodName ? *methodName : std::string();
			if (!className || className->empty() || isNativeFrame(chunk, type))
			{
				name = methodText;
				if (className && isNativeFrame(chunk, type)) library = *className;
			}
			else
			{
				name = methodText.empty() ? *className : *className + "." + methodText;
			}
		}
		cached = _methods.emplace(methodId, std::make_pair(std::move(name), std::move(library))).first;
	}
	NamedFrame frame;
	frame.name = cached->second.first;
	frame.library = cached->second.second;
	frame.type = type;
	const NamedFrame* result = intern(std::move(frame));
	if (key >> 8 == methodId) _framesByMethodAndType.emplace(key, result);
	return result;
}

} // namespace jfr
} // namespace asprof
