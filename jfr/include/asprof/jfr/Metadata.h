//
// Metadata.h
//
// The types a chunk declares: event types, constant-pool types, their fields.
//

#ifndef Asprof_Jfr_Metadata_INCLUDED
#define Asprof_Jfr_Metadata_INCLUDED

#include "asprof/jfr/Export.h"
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace asprof {
namespace jfr {

class Cursor;
struct Type;

/// One field of a type, in the order fields are written.
struct ASPROF_JFR_API Field
{
	enum class Encoding : std::uint8_t
	{
		Boolean,   ///< one byte
		Byte,      ///< one byte
		Short,     ///< compressed, or 2 bytes (also char)
		Int,       ///< compressed, or 4 bytes
		Long,      ///< compressed, or 8 bytes
		Float,     ///< 4 bytes, big-endian
		Double,    ///< 8 bytes, big-endian
		String,    ///< an encoding byte, then the string
		Reference, ///< a constant-pool id (compressed long)
		Struct     ///< the fields of type, inline
	};

	std::string name;
	std::uint64_t typeId = 0;
	bool constantPool = false;
	bool array = false; ///< dimension = 1: a count, then the elements
	const Type* type = nullptr;
	Encoding encoding = Encoding::Long;
};

/// A class element of the metadata: an event type (superType
/// jdk.jfr.Event), a constant-pool type or a primitive.
struct ASPROF_JFR_API Type
{
	std::uint64_t id = 0;
	std::string name;
	std::string superType;
	bool simpleType = false;
	std::vector<Field> fields;
	bool integersOnly = false; ///< every field a single integer or reference (decoded on a fast path)

	/// The index of the named field, or -1.
	int fieldIndex(const std::string& fieldName) const;

	/// superType is jdk.jfr.Event.
	bool isEvent() const;
};

/// The types of one chunk, resolved by name: numeric ids differ between
/// async-profiler versions and between the chunks of one file.
class ASPROF_JFR_API Metadata
{
public:
	const Type* byId(std::uint64_t id) const;

	/// nullptr when the chunk does not declare it.
	const Type* byName(const std::string& name) const;

	const std::vector<std::unique_ptr<Type>>& types() const;

	/// Reads the metadata event at the cursor (size and type already
	/// checked by the caller are read again here). Throws JfrError on
	/// bad strings, unknown field types, nesting deeper than 64 levels,
	/// a struct that contains itself, or counts that cannot fit.
	static Metadata read(Cursor& cursor);

	/// A type for ids the metadata does not declare (0: jdk.Metadata,
	/// 1: jdk.CheckPoint, others: "<type N>"), created once.
	const Type& synthetic(std::uint64_t id, const std::string& name);

private:
	std::vector<std::unique_ptr<Type>> _types;
	std::unordered_map<std::uint64_t, const Type*> _byId;
	std::unordered_map<std::string, const Type*> _byName;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Metadata_INCLUDED
