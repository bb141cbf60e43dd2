#include "Decoder.h"

namespace asprof {
namespace jfr {

void appendUtf8(std::string& out, std::uint32_t codePoint)
{
	if (codePoint < 0x80)
	{
		out += static_cast<char>(codePoint);
	}
	else if (codePoint < 0x800)
	{
		out += static_cast<char>(0xc0 | codePoint >> 6);
		out += static_cast<char>(0x80 | (codePoint & 0x3f));
	}
	else if (codePoint < 0x10000)
	{
		out += static_cast<char>(0xe0 | codePoint >> 12);
		out += static_cast<char>(0x80 | (codePoint >> 6 & 0x3f));
		out += static_cast<char>(0x80 | (codePoint & 0x3f));
	}
	else
	{
		out += static_cast<char>(0xf0 | codePoint >> 18);
		out += static_cast<char>(0x80 | (codePoint >> 12 & 0x3f));
		out += static_cast<char>(0x80 | (codePoint >> 6 & 0x3f));
		out += static_cast<char>(0x80 | (codePoint & 0x3f));
	}
}

namespace {

// UTF-16 code units, each a compressed char; surrogate pairs joined, lone
// surrogates replaced by U+FFFD.
void readUtf16(Cursor& cursor, std::string& out)
{
	std::uint64_t count = cursor.readCount("UTF-16 chars");
	out.clear();
	std::uint32_t pendingHigh = 0;
	for (std::uint64_t i = 0; i < count; ++i)
	{
		auto unit = static_cast<std::uint32_t>(cursor.readInt(2) & 0xffff);
		if (pendingHigh != 0)
		{
			if (unit >= 0xdc00 && unit <= 0xdfff)
			{
				appendUtf8(out, 0x10000 + ((pendingHigh - 0xd800) << 10) + (unit - 0xdc00));
				pendingHigh = 0;
				continue;
			}
			appendUtf8(out, 0xfffd);
			pendingHigh = 0;
		}
		if (unit >= 0xd800 && unit <= 0xdbff)
			pendingHigh = unit;
		else if (unit >= 0xdc00 && unit <= 0xdfff)
			appendUtf8(out, 0xfffd);
		else
			appendUtf8(out, unit);
	}
	if (pendingHigh != 0) appendUtf8(out, 0xfffd);
}

// Invalid UTF-8 becomes U+FFFD, one per maximal ill-formed subsequence, as
// Java's decoder (and so the converter) does: the output stays UTF-8.
void repairUtf8(std::string& text)
{
	auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
	std::size_t i = 0;
	while (i < text.size() && byte(i) < 0x80) ++i;
	if (i == text.size()) return; // ASCII: the usual case
	std::string out = text.substr(0, i);
	while (i < text.size())
	{
		std::uint8_t lead = byte(i);
		if (lead < 0x80)
		{
			out += static_cast<char>(lead);
			++i;
			continue;
		}
		int length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
		std::size_t good = 1; // bytes of a valid prefix
		if (length > 0)
		{
			for (; good < static_cast<std::size_t>(length) && i + good < text.size(); ++good)
			{
				std::uint8_t next = byte(i + good);
				std::uint8_t low = 0x80, high = 0xbf;
				if (good == 1 && lead == 0xe0) low = 0xa0;
				if (good == 1 && lead == 0xed) high = 0x9f;
				if (good == 1 && lead == 0xf0) low = 0x90;
				if (good == 1 && lead == 0xf4) high = 0x8f;
				if (next < low || next > high) break;
			}
		}
		if (length > 0 && good == static_cast<std::size_t>(length))
		{
			out.append(text, i, good);
			i += good;
			continue;
		}
		appendUtf8(out, 0xfffd);
		i += good;
	}
	text.swap(out);
}

void readPrimitive(Cursor& cursor, Field::Encoding encoding, Value& out)
{
	out.kind = Value::Kind::Integer;
	switch (encoding)
	{
	case Field::Encoding::Boolean:
	case Field::Encoding::Byte: out.integer = cursor.readByte(); break;
	case Field::Encoding::Short: out.integer = cursor.readInt(2); break;
	case Field::Encoding::Int: out.integer = cursor.readInt(4); break;
	case Field::Encoding::Long: out.integer = cursor.readVarlong(); break;
	case Field::Encoding::Float:
		out.kind = Value::Kind::Real;
		out.real = cursor.readFloat();
		break;
	case Field::Encoding::Double:
		out.kind = Value::Kind::Real;
		out.real = cursor.readDouble();
		break;
	case Field::Encoding::Reference:
		out.kind = Value::Kind::Reference;
		out.integer = cursor.readVarlong();
		break;
	default: break;
	}
}

void readSingle(Cursor& cursor, const Field& field, Value& out, int depth)
{
	switch (field.encoding)
	{
	case Field::Encoding::String: readString(cursor, out); break;
	case Field::Encoding::Struct:
		skipFields(cursor, *field.type, depth + 1);
		out.kind = Value::Kind::Struct;
		break;
	default: readPrimitive(cursor, field.encoding, out); break;
	}
}

} // namespace

void readString(Cursor& cursor, Value& out)
{
	std::uint64_t at = cursor.position();
	std::uint8_t encoding = cursor.readByte();
	out.encoding = Value::Encoding::Utf8;
	out.text.clear();
	switch (encoding)
	{
	case 0: out.kind = Value::Kind::Null; return;
	case 1: out.kind = Value::Kind::String; return;
	case 2:
		out.kind = Value::Kind::StringReference;
		out.integer = cursor.readVarlong();
		return;
	case 3:
		out.kind = Value::Kind::String;
		cursor.readBytes(out.text, cursor.readCount("UTF-8 bytes"));
		repairUtf8(out.text);
		return;
	case 4:
		out.kind = Value::Kind::String;
		readUtf16(cursor, out.text);
		return;
	case 5:
		out.kind = Value::Kind::String;
		out.encoding = Value::Encoding::Latin1;
		cursor.readBytes(out.text, cursor.readCount("Latin-1 bytes"));
		return;
	default: cursor.failAt(at, "unknown string encoding " + std::to_string(encoding) + " (expected 0 to 5)");
	}
}

void skipFields(Cursor& cursor, const Type& type, int depth)
{
	if (depth > MAX_NESTING) cursor.fail("structs nested deeper than " + std::to_string(MAX_NESTING) + " levels in " + type.name);
	Value scratch;
	for (const auto& field : type.fields) readField(cursor, field, scratch, depth);
}

void readField(Cursor& cursor, const Field& field, Value& out, int depth)
{
	if (!field.array)
	{
		readSingle(cursor, field, out, depth);
		return;
	}
	// Every element takes at least a byte: Metadata::read refuses structs that take none.
	std::uint64_t count = cursor.readCount("array elements");
	Value element;
	for (std::uint64_t i = 0; i < count; ++i) readSingle(cursor, field, element, depth);
	out.kind = Value::Kind::Array;
	out.count = count;
}

} // namespace jfr
} // namespace asprof
