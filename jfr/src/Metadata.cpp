#include "asprof/jfr/Metadata.h"
#include "Cursor.h"
#include "Decoder.h"
#include <algorithm>
#include <functional>
#include <set>

namespace asprof {
namespace jfr {

namespace {

struct Element
{
	const std::string* name = nullptr;
	std::vector<std::pair<const std::string*, const std::string*>> attributes;
	std::vector<Element> children;

	std::string attribute(const std::string& key, const std::string& defaultValue = std::string()) const
	{
		for (const auto& entry : attributes)
		{
			if (*entry.first == key) return *entry.second;
		}
		return defaultValue;
	}
};

const std::string& stringAt(Cursor& cursor, const std::vector<std::string>& strings)
{
	std::uint64_t at = cursor.position();
	std::uint64_t index = cursor.readVarlong();
	if (index >= strings.size())
		cursor.failAt(
			at, "metadata string index " + std::to_string(index) + " out of range (" + std::to_string(strings.size()) + " strings)");
	return strings[static_cast<std::size_t>(index)];
}

// Real metadata has a few thousand elements and strings; these bounds keep a
// hostile one from costing more than a few hundred MB however it nests.
const std::uint64_t MAX_ELEMENTS = 1000000;
const std::uint64_t MAX_STRINGS = 1000000;
const std::size_t MAX_FIELDS = 4096;

void readElement(Cursor& cursor, const std::vector<std::string>& strings, Element& element, int depth, std::uint64_t& budget)
{
	if (depth > MAX_NESTING) cursor.fail("metadata elements nested deeper than " + std::to_string(MAX_NESTING) + " levels");
	if (budget-- == 0) cursor.fail("metadata with more than " + std::to_string(MAX_ELEMENTS) + " elements");
	element.name = &stringAt(cursor, strings);
	std::uint64_t attributeCount = cursor.readCount("metadata attributes", 2);
	element.attributes.reserve(static_cast<std::size_t>(attributeCount));
	for (std::uint64_t i = 0; i < attributeCount; ++i)
	{
		const std::string& key = stringAt(cursor, strings);
		const std::string& value = stringAt(cursor, strings);
		element.attributes.emplace_back(&key, &value);
	}
	std::uint64_t childCount = cursor.readCount("metadata elements", 3);
	// Grown as children are read, never sized by the count: nested counts multiply.
	for (std::uint64_t i = 0; i < childCount; ++i)
	{
		element.children.emplace_back();
		readElement(cursor, strings, element.children.back(), depth + 1, budget);
	}
}

std::uint64_t parseId(Cursor& cursor, std::uint64_t at, const std::string& text, const std::string& what)
{
	std::uint64_t value = 0;
	if (text.empty() || text.size() > 19) cursor.failAt(at, "metadata: " + what + " '" + text + "' is not a number");
	for (char c : text)
	{
		if (c < '0' || c > '9') cursor.failAt(at, "metadata: " + what + " '" + text + "' is not a number");
		value = value * 10 + static_cast<std::uint64_t>(c - '0');
	}
	return value;
}

Field::Encoding primitiveEncoding(const std::string& name, bool& found)
{
	static const std::pair<const char*, Field::Encoding> PRIMITIVES[] = {{"boolean", Field::Encoding::Boolean},
		{"byte", Field::Encoding::Byte}, {"char", Field::Encoding::Short}, {"short", Field::Encoding::Short}, {"int", Field::Encoding::Int},
		{"long", Field::Encoding::Long}, {"float", Field::Encoding::Float}, {"double", Field::Encoding::Double},
		{"java.lang.String", Field::Encoding::String}};
	for (const auto& primitive : PRIMITIVES)
	{
		if (name == primitive.first)
		{
			found = true;
			return primitive.second;
		}
	}
	found = false;
	return Field::Encoding::Struct;
}

// A struct held inline (not through a pool) that contains itself would never
// end: refuse it while loading, naming the cycle.
void checkNoInlineCycle(Cursor& cursor, std::uint64_t at, const Type& type, std::vector<const Type*>& path, std::set<const Type*>& verified)
{
	if (verified.count(&type)) return;
	for (const Type* seen : path)
	{
		if (seen == &type) cursor.failAt(at, "metadata: type " + type.name + " contains itself through inline fields");
	}
	if (path.size() > static_cast<std::size_t>(MAX_NESTING))
		cursor.failAt(at, "metadata: inline structs nested deeper than " + std::to_string(MAX_NESTING) + " levels");
	path.push_back(&type);
	for (const auto& field : type.fields)
	{
		if (field.encoding == Field::Encoding::Struct) checkNoInlineCycle(cursor, at, *field.type, path, verified);
	}
	path.pop_back();
	verified.insert(&type);
}

} // namespace

int Type::fieldIndex(const std::string& fieldName) const
{
	for (std::size_t i = 0; i < fields.size(); ++i)
	{
		if (fields[i].name == fieldName) return static_cast<int>(i);
	}
	return -1;
}

bool Type::isEvent() const
{
	return superType == "jdk.jfr.Event";
}

const Type* Metadata::byId(std::uint64_t id) const
{
	auto it = _byId.find(id);
	return it == _byId.end() ? nullptr : it->second;
}

const Type* Metadata::byName(const std::string& name) const
{
	auto it = _byName.find(name);
	return it == _byName.end() ? nullptr : it->second;
}

const std::vector<std::unique_ptr<Type>>& Metadata::types() const
{
	return _types;
}

const Type& Metadata::synthetic(std::uint64_t id, const std::string& name)
{
	if (const Type* known = byId(id)) return *known;
	auto type = std::make_unique<Type>();
	type->id = id;
	type->name = name;
	const Type* result = type.get();
	_types.push_back(std::move(type));
	_byId[id] = result;
	if (!byName(name)) _byName[name] = result;
	return *result;
}

Metadata Metadata::read(Cursor& cursor)
{
	std::uint64_t eventStart = cursor.position();
	cursor.readInt(4);    // size, checked by the caller
	cursor.readVarlong(); // type 0
	cursor.readVarlong(); // start time
	cursor.readVarlong(); // duration
	cursor.readVarlong(); // metadata id
	std::uint64_t stringCount = cursor.readCount("metadata strings");
	if (stringCount > MAX_STRINGS)
		cursor.fail("metadata with " + std::to_string(stringCount) + " strings (at most " + std::to_string(MAX_STRINGS) + ")");
	std::vector<std::string> strings;
	Value text;
	for (std::uint64_t i = 0; i < stringCount; ++i)
	{
		std::uint64_t at = cursor.position();
		readString(cursor, text);
		if (text.kind == Value::Kind::StringReference) cursor.failAt(at, "metadata: a string refers to a constant pool");
		strings.push_back(text.utf8());
	}
	Element root;
	std::uint64_t budget = MAX_ELEMENTS;
	readElement(cursor, strings, root, 0, budget);

	Metadata metadata;
	std::function<void(const Element&)> collect = [&](const Element& element) {
		if (*element.name == "class")
		{
			auto type = std::make_unique<Type>();
			type->id = parseId(cursor, eventStart, element.attribute("id"), "class id");
			type->name = element.attribute("name");
			type->superType = element.attribute("superType");
			type->simpleType = element.attribute("simpleType") == "true";
			for (const auto& child : element.children)
			{
				if (*child.name != "field") continue;
				Field field;
				field.name = child.attribute("name");
				field.typeId = parseId(cursor, eventStart, child.attribute("class"), "field type of " + type->name + "." + field.name);
				field.constantPool = child.attribute("constantPool") == "true";
				field.array = child.attribute("dimension", "0") == "1";
				type->fields.push_back(std::move(field));
			}
			if (metadata._byId.count(type->id))
				cursor.failAt(eventStart, "metadata: class id " + std::to_string(type->id) + " declared twice");
			metadata._byId[type->id] = type.get();
			metadata._byName[type->name] = type.get();
			metadata._types.push_back(std::move(type));
			return;
		}
		for (const auto& child : element.children) collect(child);
	};
	collect(root);

	for (auto& type : metadata._types)
	{
		for (auto& field : type->fields)
		{
			field.type = metadata.byId(field.typeId);
			if (!field.type)
				cursor.failAt(eventStart,
					"metadata: field " + type->name + "." + field.name + " has the undeclared type id " + std::to_string(field.typeId));
			bool primitive = false;
			Field::Encoding encoding = primitiveEncoding(field.type->name, primitive);
			field.encoding = field.constantPool ? Field::Encoding::Reference : encoding;
		}
	}
	// A struct that takes no bytes (no fields, or only such structs) held
	// inline would let an array or a pool claim any count for free.
	std::set<const Type*> empty;
	bool changed = true;
	while (changed)
	{
		changed = false;
		for (const auto& type : metadata._types)
		{
			if (empty.count(type.get())) continue;
			bool takesNoBytes = std::all_of(type->fields.begin(), type->fields.end(),
				[&](const Field& field) { return field.encoding == Field::Encoding::Struct && !field.array && empty.count(field.type); });
			if (takesNoBytes)
			{
				empty.insert(type.get());
				changed = true;
			}
		}
	}
	for (const auto& type : metadata._types)
	{
		if (type->fields.size() > MAX_FIELDS)
			cursor.failAt(eventStart,
				"metadata: type " + type->name + " has " + std::to_string(type->fields.size()) + " fields (at most " +
					std::to_string(MAX_FIELDS) + ")");
		for (const auto& field : type->fields)
		{
			if (field.encoding == Field::Encoding::Struct && empty.count(field.type))
				cursor.failAt(eventStart,
					"metadata: field " + type->name + "." + field.name + " is a struct that takes no bytes (" + field.type->name + ")");
		}
	}
	for (auto& type : metadata._types)
	{
		type->integersOnly = true;
		for (const auto& field : type->fields)
		{
			bool integer = field.encoding != Field::Encoding::String && field.encoding != Field::Encoding::Struct &&
				field.encoding != Field::Encoding::Float && field.encoding != Field::Encoding::Double;
			type->integersOnly = type->integersOnly && integer && !field.array;
		}
	}
	std::vector<const Type*> path;
	std::set<const Type*> verified;
	for (const auto& type : metadata._types) checkNoInlineCycle(cursor, eventStart, *type, path, verified);
	return metadata;
}

} // namespace jfr
} // namespace asprof
