#include "asprof/jfr/Value.h"
#include "Decoder.h"

namespace asprof {
namespace jfr {

std::string Value::utf8() const
{
	if (kind != Kind::String) return std::string();
	if (encoding == Encoding::Utf8) return text;
	std::string out;
	out.reserve(text.size());
	for (char c : text) appendUtf8(out, static_cast<std::uint8_t>(c));
	return out;
}

} // namespace jfr
} // namespace asprof
