//
// FlameGraph.h
//
// A call tree of collected stacks: collapsed text and the data of a flame graph.
//

#ifndef Asprof_Jfr_FlameGraph_INCLUDED
#define Asprof_Jfr_FlameGraph_INCLUDED

#include "asprof/jfr/Export.h"
#include "asprof/jfr/StackCollector.h"
#include <cstdint>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

namespace asprof {
namespace jfr {

/// Merges stacks into a tree of frames, root first, the way async-profiler's
/// converter does: a frame is its name and its type (interpreted, inlined
/// and C1 frames count as JIT-compiled), each node holds its total and
/// self weight. The weight of a stack is its sample count, or with total
/// its value (bytes for native memory).
class ASPROF_JFR_API FlameGraph: public SampleSink
{
public:
	struct Node
	{
		std::uint32_t title = 0; ///< index into titles()
		std::uint8_t type = 0;   ///< FrameType, after folding
		std::int64_t total = 0;
		std::int64_t self = 0;
		std::vector<std::uint32_t> children; ///< node indexes, in insertion order
		std::uint32_t table = 0;             ///< the converter's hash table size for children (for their order)
		std::int64_t interpreted = 0;        ///< weight that came as interpreted frames (folded into JIT)
		std::int64_t inlined = 0;            ///< weight that came as inlined frames
		std::int64_t c1 = 0;                 ///< weight that came as C1-compiled frames
	};

	explicit FlameGraph(bool total = false);

	void add(const std::vector<const NamedFrame*>& stack, std::int64_t samples, std::int64_t value) override;

	/// One line per stack with self weight: "frame;frame;... weight", root
	/// first; kernel frames end in _[k], JIT-compiled in _[j], inlined
	/// _[i], interpreted _[0], C1 _[1]. Lines come in the order of
	/// async-profiler 4.5's converter, so the output equals its
	/// `-o collapsed` line for line.
	void writeCollapsed(std::ostream& out) const;

	/// nodes()[0] is the root (title 0, the empty string).
	const std::vector<Node>& nodes() const;

	const std::vector<std::string>& titles() const;

	/// The children in the converter's order (see writeCollapsed()).
	std::vector<std::uint32_t> orderedChildren(const Node& node) const;

	/// The deepest stack's frame count.
	int depth() const;

	static const char* suffix(std::uint8_t type);

	/// The type shown for a node, as the converter decides it: inlined
	/// when a third of its weight came inlined, C1 when half came C1,
	/// interpreted when half came interpreted, else its own type.
	static std::uint8_t displayType(const Node& node);

private:
	std::uint32_t child(std::uint32_t parent, std::uint32_t title, std::uint8_t type);

	bool _total;
	std::vector<Node> _nodes;
	std::vector<std::string> _titles;
	std::unordered_map<std::string, std::uint32_t> _titleIndex;
	std::unordered_map<std::uint64_t, std::uint32_t> _childIndex; ///< parent << 32 | key
	int _depth = 0;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_FlameGraph_INCLUDED
