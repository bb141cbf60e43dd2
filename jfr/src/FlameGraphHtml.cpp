#include "asprof/jfr/FlameGraphHtml.h"
#include "FlameGraphTemplate.h"
#include <algorithm>
#include <charconv>
#include <cstring>

namespace asprof {
namespace jfr {

namespace {

// Collects small writes into a block before handing them to the stream:
// a 100k-stack graph is millions of numbers.
class BufferedOutput
{
public:
	explicit BufferedOutput(std::ostream& out): _out(out)
	{
	}

	~BufferedOutput()
	{
		flush();
	}

	void put(char c)
	{
		if (_used == sizeof(_buffer)) flush();
		_buffer[_used++] = c;
	}

	void put(const char* text, std::size_t length)
	{
		if (length > sizeof(_buffer) - _used) flush();
		if (length > sizeof(_buffer))
		{
			_out.write(text, static_cast<std::streamsize>(length));
			return;
		}
		std::memcpy(_buffer + _used, text, length);
		_used += length;
	}

	void put(const char* text)
	{
		put(text, std::strlen(text));
	}

	void putNumber(std::int64_t value)
	{
		if (sizeof(_buffer) - _used < 24) flush();
		_used = static_cast<std::size_t>(std::to_chars(_buffer + _used, _buffer + sizeof(_buffer), value).ptr - _buffer);
	}

	void flush()
	{
		if (_used > 0) _out.write(_buffer, static_cast<std::streamsize>(_used));
		_used = 0;
	}

private:
	std::ostream& _out;
	char _buffer[64 * 1024];
	std::size_t _used = 0;
};

const char* const REPLACEMENT = "\xEF\xBF\xBD"; // U+FFFD

// The length of a UTF-8 sequence by its first byte; 0 for a byte that
// cannot start one (a continuation byte, or 0xC0, 0xC1, 0xF5-0xFF).
std::size_t sequenceLength(unsigned char lead)
{
	if (lead < 0x80) return 1;
	if (lead >= 0xC2 && lead <= 0xDF) return 2;
	if (lead >= 0xE0 && lead <= 0xEF) return 3;
	if (lead >= 0xF0 && lead <= 0xF4) return 4;
	return 0;
}

// The length of the well-formed UTF-8 sequence at text[at] (not
// overlong, no surrogate, at most U+10FFFF), or 0.
std::size_t utf8Length(const std::string& text, std::size_t at, std::uint32_t& codePoint)
{
	auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
	unsigned char lead = byte(at);
	std::size_t length = sequenceLength(lead);
	if (length == 0 || at + length > text.size()) return 0;
	codePoint = length == 1 ? lead : lead & (0x7F >> length);
	for (std::size_t i = 1; i < length; ++i)
	{
		if ((byte(at + i) & 0xC0) != 0x80) return 0;
		codePoint = codePoint << 6 | (byte(at + i) & 0x3F);
	}
	static const std::uint32_t MINIMUM[] = {0, 0, 0x80, 0x800, 0x10000};
	if (codePoint < MINIMUM[length] || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF)) return 0;
	return length;
}

// A JSON string that is also safe inside a <script> element: no '<', '>'
// or '&' (so no "</script" or "<!--"), no raw U+2028/U+2029.
void writeJsonString(BufferedOutput& out, const std::string& text)
{
	static const char HEX[] = "0123456789abcdef";
	out.put('"');
	for (std::size_t at = 0; at < text.size();)
	{
		std::uint32_t codePoint = 0;
		std::size_t length = utf8Length(text, at, codePoint);
		if (length == 0)
		{
			out.put(REPLACEMENT);
			++at;
			continue;
		}
		if (codePoint == '"' || codePoint == '\\')
		{
			out.put('\\');
			out.put(static_cast<char>(codePoint));
		}
		else if (codePoint < 0x20 || codePoint == '<' || codePoint == '>' || codePoint == '&' || codePoint == 0x2028 || codePoint == 0x2029)
		{
			char escape[] = {'\\', 'u', HEX[codePoint >> 12], HEX[codePoint >> 8 & 0xF], HEX[codePoint >> 4 & 0xF], HEX[codePoint & 0xF]};
			out.put(escape, sizeof(escape));
		}
		else
			out.put(text.data() + at, length);
		at += length;
	}
	out.put('"');
}

// What stands for a character in HTML text, or nullptr for itself; control
// characters become spaces.
const char* htmlEntity(std::uint32_t codePoint)
{
	switch (codePoint)
	{
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return codePoint < 0x20 || codePoint == 0x7F ? " " : nullptr;
	}
}

void writeHtmlText(BufferedOutput& out, const std::string& text)
{
	for (std::size_t at = 0; at < text.size();)
	{
		std::uint32_t codePoint = 0;
		std::size_t length = utf8Length(text, at, codePoint);
		const char* entity = length == 0 ? REPLACEMENT : htmlEntity(codePoint);
		if (entity)
			out.put(entity);
		else
			out.put(text.data() + at, length);
		at += length == 0 ? 1 : length;
	}
}

// Depth first, a node before its children, siblings by name then type;
// iterative: the pending stack holds the unvisited siblings on the path.
void writeNodes(BufferedOutput& out, const FlameGraph& graph)
{
	const std::vector<FlameGraph::Node>& nodes = graph.nodes();
	const std::vector<std::string>& titles = graph.titles();
	auto byName = [&](std::uint32_t a, std::uint32_t b) {
		int order = titles[nodes[a].title].compare(titles[nodes[b].title]);
		return order != 0 ? order < 0 : nodes[a].type < nodes[b].type;
	};
	std::vector<std::uint32_t> pending{0};
	std::vector<std::uint32_t> children;
	bool first = true;
	while (!pending.empty())
	{
		const FlameGraph::Node& node = nodes[pending.back()];
		pending.pop_back();
		if (!first) out.put(',');
		first = false;
		out.putNumber(node.title);
		out.put(',');
		out.putNumber(FlameGraph::displayType(node));
		out.put(',');
		out.putNumber(node.total);
		out.put(',');
		out.putNumber(node.self);
		out.put(',');
		out.putNumber(static_cast<std::int64_t>(node.children.size()));
		children = node.children;
		std::sort(children.begin(), children.end(), byName);
		pending.insert(pending.end(), children.rbegin(), children.rend());
	}
}

} // namespace

void writeFlameGraphHtml(const FlameGraph& graph, std::ostream& out, const std::string& title, const std::string& units)
{
	BufferedOutput buffered(out);
	buffered.put(FlameGraphTemplate::HEAD);
	writeHtmlText(buffered, title);
	buffered.put(FlameGraphTemplate::BODY);
	buffered.put("{\"version\":1,\"title\":");
	writeJsonString(buffered, title);
	buffered.put(",\"units\":");
	writeJsonString(buffered, units);
	buffered.put(",\"titles\":[");
	const std::vector<std::string>& titles = graph.titles();
	for (std::size_t i = 0; i < titles.size(); ++i)
	{
		if (i > 0) buffered.put(',');
		writeJsonString(buffered, titles[i]);
	}
	buffered.put("],\n\"nodes\":[");
	writeNodes(buffered, graph);
	buffered.put("]}");
	buffered.put(FlameGraphTemplate::SCRIPT);
	buffered.flush();
}

} // namespace jfr
} // namespace asprof
