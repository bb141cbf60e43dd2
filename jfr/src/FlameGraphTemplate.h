//
// FlameGraphTemplate.h
//
// The page writeFlameGraphHtml() fills in: markup, style and script.
//

#ifndef Asprof_Jfr_FlameGraphTemplate_INCLUDED
#define Asprof_Jfr_FlameGraphTemplate_INCLUDED

namespace asprof {
namespace jfr {

/// The page in three pieces, written in this order with the HTML-escaped
/// title after HEAD and the JSON data (see FlameGraphHtml.h) after BODY.
/// Nothing in them loads anything from elsewhere.
struct FlameGraphTemplate
{
	static const char* const HEAD;   ///< up to the text of <title>
	static const char* const BODY;   ///< style, controls, up to the data element's text
	static const char* const SCRIPT; ///< closes the data element; the viewer's script
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_FlameGraphTemplate_INCLUDED
