//
// Value.h
//
// One decoded field of an event or a constant-pool entry.
//

#ifndef Asprof_Jfr_Value_INCLUDED
#define Asprof_Jfr_Value_INCLUDED

#include "asprof/jfr/Export.h"
#include <cstdint>
#include <string>

namespace asprof {
namespace jfr {

/// What a field held. Integers of every width (and booleans, chars,
/// bytes) are in integer; references to a constant pool (fields marked
/// constantPool, and strings stored as a reference to the string pool)
/// hold the entry's id in integer. Structs and arrays are decoded (so
/// the next field is found) but not kept: count holds an array's length.
struct ASPROF_JFR_API Value
{
	enum class Kind : std::uint8_t
	{
		Null,            ///< a null string
		Integer,         ///< boolean, byte, char, short, int, long
		Real,            ///< float, double
		String,          ///< text, see encoding
		Reference,       ///< a constant-pool id (integer), see Field::type
		StringReference, ///< a java.lang.String pool id (integer)
		Struct,          ///< an inline struct, skipped
		Array            ///< an array, skipped; count elements
	};

	enum class Encoding : std::uint8_t
	{
		Utf8,  ///< UTF-8 (also an empty string, and UTF-16 converted to UTF-8)
		Latin1 ///< ISO-8859-1 bytes as found (code points 0..255, NUL included)
	};

	Kind kind = Kind::Null;
	Encoding encoding = Encoding::Utf8;
	std::uint64_t integer = 0;
	double real = 0;
	std::uint64_t count = 0;
	std::string text;

	/// The text as UTF-8 (Latin-1 converted); empty unless a String.
	std::string utf8() const;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Value_INCLUDED
