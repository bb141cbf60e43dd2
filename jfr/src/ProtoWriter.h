//
// ProtoWriter.h
//
// The few protobuf encodings profile.proto needs (internal). Hand-written on
// purpose: no libprotobuf in processes the agent is loaded into.
//

#ifndef Asprof_Jfr_ProtoWriter_INCLUDED
#define Asprof_Jfr_ProtoWriter_INCLUDED

#include <cstdint>
#include <string>
#include <vector>

namespace asprof {
namespace jfr {

/// Appends protobuf fields to a byte string. Nested messages are
/// written into their own ProtoWriter and added with message().
class ProtoWriter
{
public:
	/// Wire type 0 (int64, uint64, bool); zero values are written too
	/// only when the caller calls this (proto3 leaves them out).
	void varint(std::uint32_t field, std::uint64_t value)
	{
		tag(field, 0);
		raw(value);
	}

	/// int64: two's complement as a varint (10 bytes when negative).
	void signedVarint(std::uint32_t field, std::int64_t value)
	{
		varint(field, static_cast<std::uint64_t>(value));
	}

	/// Wire type 2: a string or bytes.
	void bytes(std::uint32_t field, const std::string& data)
	{
		tag(field, 2);
		raw(data.size());
		_data.append(data);
	}

	void message(std::uint32_t field, const ProtoWriter& nested)
	{
		bytes(field, nested._data);
	}

	/// A packed repeated varint field (nothing when values is empty).
	void packed(std::uint32_t field, const std::vector<std::uint64_t>& values)
	{
		if (values.empty()) return;
		std::string payload;
		for (std::uint64_t value : values) appendVarint(payload, value);
		bytes(field, payload);
	}

	const std::string& data() const
	{
		return _data;
	}

	void clear()
	{
		_data.clear();
	}

	static void appendVarint(std::string& out, std::uint64_t value)
	{
		while (value >= 0x80)
		{
			out += static_cast<char>((value & 0x7f) | 0x80);
			value >>= 7;
		}
		out += static_cast<char>(value);
	}

private:
	void tag(std::uint32_t field, std::uint32_t wireType)
	{
		raw(static_cast<std::uint64_t>(field) << 3 | wireType);
	}

	void raw(std::uint64_t value)
	{
		appendVarint(_data, value);
	}

	std::string _data;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_ProtoWriter_INCLUDED
