//
// Decoder.h
//
// Decoding of strings and fields by their metadata (internal).
//

#ifndef Asprof_Jfr_Decoder_INCLUDED
#define Asprof_Jfr_Decoder_INCLUDED

#include "Cursor.h"
#include "asprof/jfr/Metadata.h"
#include "asprof/jfr/Value.h"

namespace asprof {
namespace jfr {

/// Structs may nest; a chunk's metadata deeper than this is refused.
const int MAX_NESTING = 64;

/// One string in any of JFR's encodings: 0 null, 1 empty, 2 a string-pool
/// reference, 3 UTF-8, 4 UTF-16 code units (converted to UTF-8), 5 Latin-1.
void readString(Cursor& cursor, Value& out);

/// One field; structs and arrays are read past (count kept for arrays).
void readField(Cursor& cursor, const Field& field, Value& out, int depth = 0);

/// The fields of an inline struct of type.
void skipFields(Cursor& cursor, const Type& type, int depth);

void appendUtf8(std::string& out, std::uint32_t codePoint);

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Decoder_INCLUDED
