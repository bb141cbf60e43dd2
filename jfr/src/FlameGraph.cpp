#include "asprof/jfr/FlameGraph.h"
#include "JavaOrder.h"
#include "asprof/jfr/Saturating.h"
#include <algorithm>

namespace asprof {
namespace jfr {

namespace {

const int TYPE_SHIFT = 28;

std::uint32_t keyOf(const FlameGraph::Node& node)
{
	return node.title | static_cast<std::uint32_t>(node.type) << TYPE_SHIFT;
}

} // namespace

FlameGraph::FlameGraph(bool total): _total(total)
{
	_nodes.emplace_back();
	_titles.emplace_back();
	_titleIndex.emplace(std::string(), 0);
}

const char* FlameGraph::suffix(std::uint8_t type)
{
	static const char* const SUFFIXES[] = {"_[0]", "_[j]", "_[i]", "", "", "_[k]", "_[1]"};
	return type < 7 ? SUFFIXES[type] : "";
}

std::uint32_t FlameGraph::child(std::uint32_t parent, std::uint32_t title, std::uint8_t type)
{
	std::uint32_t key = title | static_cast<std::uint32_t>(type) << TYPE_SHIFT;
	// HashMap.computeIfAbsent grows its table before it looks the key up,
	// found or not: the table size depends on every call, not just the size.
	Node& parentNode = _nodes[parent];
	if (parentNode.table == 0)
		parentNode.table = 16;
	else if (parentNode.children.size() > parentNode.table * 3 / 4)
		parentNode.table *= 2;
	std::uint64_t lookup = static_cast<std::uint64_t>(parent) << 32 | key;
	auto found = _childIndex.find(lookup);
	if (found != _childIndex.end()) return found->second;
	auto index = static_cast<std::uint32_t>(_nodes.size());
	Node node;
	node.title = title;
	node.type = type;
	_nodes.push_back(std::move(node));
	_nodes[parent].children.push_back(index);
	_childIndex.emplace(lookup, index);
	return index;
}

void FlameGraph::add(const std::vector<const NamedFrame*>& stack, std::int64_t samples, std::int64_t value)
{
	std::int64_t ticks = _total ? value : samples;
	std::uint32_t node = 0;
	for (const NamedFrame* frame : stack)
	{
		_nodes[node].total = saturating::add(_nodes[node].total, ticks);
		auto title = _titleIndex.find(frame->name);
		if (title == _titleIndex.end())
		{
			title = _titleIndex.emplace(frame->name, static_cast<std::uint32_t>(_titles.size())).first;
			_titles.push_back(frame->name);
		}
		// Interpreted, inlined and C1 frames fold into one JIT-compiled node.
		std::uint8_t type = frame->type;
		if (type == FrameType::INTERPRETED || type == FrameType::INLINED || type == FrameType::C1_COMPILED) type = FrameType::JIT_COMPILED;
		node = child(node, title->second, type);
		Node& folded = _nodes[node];
		if (frame->type == FrameType::INTERPRETED)
			folded.interpreted = saturating::add(folded.interpreted, ticks);
		else if (frame->type == FrameType::INLINED)
			folded.inlined = saturating::add(folded.inlined, ticks);
		else if (frame->type == FrameType::C1_COMPILED)
			folded.c1 = saturating::add(folded.c1, ticks);
	}
	_nodes[node].total = saturating::add(_nodes[node].total, ticks);
	_nodes[node].self = saturating::add(_nodes[node].self, ticks);
	_depth = std::max(_depth, static_cast<int>(stack.size()));
}

std::uint8_t FlameGraph::displayType(const Node& node)
{
	// In long double: hostile weights must not overflow (exact for real ones).
	using Wide = long double;
	if (Wide(node.inlined) * 3 >= Wide(node.total)) return FrameType::INLINED;
	if (Wide(node.c1) * 2 >= Wide(node.total)) return FrameType::C1_COMPILED;
	if (Wide(node.interpreted) * 2 >= Wide(node.total)) return FrameType::INTERPRETED;
	return node.type;
}

std::vector<std::uint32_t> FlameGraph::orderedChildren(const Node& node) const
{
	std::vector<std::uint32_t> hashes;
	hashes.reserve(node.children.size());
	for (std::uint32_t index : node.children) hashes.push_back(keyOf(_nodes[index]));
	std::vector<std::uint32_t> ordered;
	ordered.reserve(node.children.size());
	for (std::size_t position : java::computeIfAbsentOrder(hashes, node.table)) ordered.push_back(node.children[position]);
	return ordered;
}

void FlameGraph::writeCollapsed(std::ostream& out) const
{
	// Depth first, a node before its children; iterative, as a hostile
	// recording may hold stacks millions of frames deep.
	struct Visit
	{
		std::uint32_t node;
		std::size_t pathLength; ///< of the parent's path
	};
	std::string path;
	std::vector<Visit> pending;
	auto pushChildren = [&](const Node& node, std::size_t pathLength) {
		std::vector<std::uint32_t> ordered = orderedChildren(node);
		for (auto it = ordered.rbegin(); it != ordered.rend(); ++it) pending.push_back(Visit{*it, pathLength});
	};
	pushChildren(_nodes[0], 0);
	while (!pending.empty())
	{
		Visit visit = pending.back();
		pending.pop_back();
		const Node& node = _nodes[visit.node];
		path.resize(visit.pathLength);
		path += _titles[node.title];
		path += suffix(displayType(node));
		if (node.self > 0) out << path << ' ' << node.self << '\n';
		path += ';';
		pushChildren(node, path.size());
	}
}

const std::vector<FlameGraph::Node>& FlameGraph::nodes() const
{
	return _nodes;
}

const std::vector<std::string>& FlameGraph::titles() const
{
	return _titles;
}

int FlameGraph::depth() const
{
	return _depth;
}

} // namespace jfr
} // namespace asprof
