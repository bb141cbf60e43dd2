#include "Commands.h"
#include "asprof/jfr/Saturating.h"
#include "asprof/jfr/FlameGraph.h"
#include "Poco/JSON/Array.h"
#include "Poco/JSON/Object.h"
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

namespace asprof {
namespace jfr {
namespace cli {

namespace {

// The collector's stacks merged (it hands one per chunk), each frame named
// as the rest of the tool writes them (kernel frames end in _[k]). The
// frames live as long as the collector: their names are copied.
struct StackTotals: SampleSink
{
	struct Entry
	{
		std::vector<std::string> frames; ///< leaf first
		std::int64_t allocations = 0;
		std::int64_t bytes = 0;
	};
	std::vector<Entry> entries;
	std::map<std::vector<std::string>, std::size_t> index;

	void add(const std::vector<const NamedFrame*>& stack, std::int64_t samples, std::int64_t value) override
	{
		std::vector<std::string> frames;
		frames.reserve(stack.size());
		for (auto frame = stack.rbegin(); frame != stack.rend(); ++frame)
			frames.push_back((*frame)->name + FlameGraph::suffix((*frame)->type));
		auto found = index.find(frames);
		if (found == index.end())
		{
			found = index.emplace(frames, entries.size()).first;
			entries.push_back(Entry{std::move(frames), 0, 0});
		}
		entries[found->second].allocations = saturating::add(entries[found->second].allocations, samples);
		entries[found->second].bytes = saturating::add(entries[found->second].bytes, value);
	}

	// Largest bytes first, then most allocations, then by stack.
	void sort()
	{
		std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
			if (a.bytes != b.bytes) return a.bytes > b.bytes;
			if (a.allocations != b.allocations) return a.allocations > b.allocations;
			return a.frames < b.frames;
		});
	}
};

struct Totals
{
	std::int64_t allocations = 0;
	std::int64_t bytes = 0;
};

Totals totalsOf(const StackTotals& stacks)
{
	Totals totals;
	for (const auto& entry : stacks.entries)
	{
		totals.allocations = saturating::add(totals.allocations, entry.allocations);
		totals.bytes = saturating::add(totals.bytes, entry.bytes);
	}
	return totals;
}

std::string percent(std::int64_t part, std::int64_t whole)
{
	char text[32];
	std::snprintf(text, sizeof(text), "%.2f%%", whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
	return text;
}

void writeText(std::ostream& out, const Options& options, const StackTotals& stacks)
{
	Totals totals = totalsOf(stacks);
	if (options.leak)
		out << "Leaks (allocated and never freed within the files given, tail " << options.tail << "): ";
	else
		out << "Allocations: ";
	const bool one = totals.allocations == 1;
	out << totals.allocations << (options.leak ? (one ? " allocation, " : " allocations, ") : (one ? " event, " : " events, "))
		<< totals.bytes << " bytes, " << stacks.entries.size() << (stacks.entries.size() == 1 ? " distinct stack\n" : " distinct stacks\n");
	for (const auto& entry : stacks.entries)
	{
		out << "\n"
			<< entry.bytes << " bytes (" << percent(entry.bytes, totals.bytes) << ") in " << entry.allocations
			<< (entry.allocations == 1 ? " allocation\n" : " allocations\n");
		for (const auto& frame : entry.frames) out << "    " << frame << "\n";
	}
}

void writeJson(std::ostream& out, const Options& options, const StackTotals& stacks)
{
	Totals totals = totalsOf(stacks);
	Poco::JSON::Object json(Poco::JSON_PRESERVE_KEY_ORDER);
	json.set("kind", options.leak ? "leaks" : "allocations");
	if (options.leak) json.set("tail", options.tail);
	json.set("allocations", totals.allocations);
	json.set("bytes", totals.bytes);
	json.set("stacks", static_cast<std::uint64_t>(stacks.entries.size()));
	Poco::JSON::Array entries;
	for (const auto& entry : stacks.entries)
	{
		Poco::JSON::Object item(Poco::JSON_PRESERVE_KEY_ORDER);
		item.set("bytes", entry.bytes);
		item.set("allocations", entry.allocations);
		Poco::JSON::Array frames; // leaf first, as printed
		for (const auto& frame : entry.frames) frames.add(frame);
		item.set("frames", frames);
		entries.add(item);
	}
	json.set("entries", entries);
	json.stringify(out);
	out << "\n";
}

} // namespace

int runNativeMem(const Options& options)
{
	StackTotals stacks;
	collect(options, stacks);
	stacks.sort();
	if (stacks.entries.empty() && !options.leak)
		std::cerr
			<< "asprof-jfr: warning: no profiler.Malloc event in the input: record with nativemem= (the agent: [profiler] nativeMem)\n";
	writeOutput(options, [&](std::ostream& out) {
		if (options.json)
			writeJson(out, options, stacks);
		else
			writeText(out, options, stacks);
	});
	return 0;
}

} // namespace cli
} // namespace jfr
} // namespace asprof
